import { ServerConnection } from '@jupyterlab/services';
import { UUID } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  IEvent,
  IEventContext,
  IEventQuery,
  IJelaiConfig,
  ITelemetry,
  ITelemetryConfig
} from '../tokens';
import { applyPolicy, checkEnvelope, createEvent } from './events';
import { EventSink } from './sink';
import {
  loadConfig,
  postEvents,
  postKeepalive,
  queryEvents
} from './transport';

/**
 * The telemetry service: applies the instructor's policy to each event,
 * announces it to other plugins and hands it to an `EventSink`.
 */
export class Telemetry implements ITelemetry, IDisposable {
  /** Creates the service and starts reading the server's configuration. */
  constructor(options: Telemetry.IOptions = {}) {
    const settings = options.serverSettings ?? ServerConnection.makeSettings();
    this._settings = settings;
    this.session = UUID.uuid4();
    this.config = (options.config ?? loadConfig(settings)).then(config => {
      this._start(config, options.sink ?? {});
      return config;
    });
    // Nobody may be waiting on `config`; a server without jelai is not an error
    // worth an unhandled rejection.
    this.config.catch(error => {
      this._early = null;
      console.warn('jelai: telemetry is off, no configuration.', error);
    });
  }

  /** The effective configuration, once read from the server. */
  readonly config: Promise<IJelaiConfig>;

  /** The id shared by all events of this page load. */
  readonly session: string;

  /** Emitted for every event accepted for recording, before it is sent. */
  get eventPublished(): ISignal<ITelemetry, IEvent> {
    return this._eventPublished;
  }

  /** Whether the service is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Records an event. Until the configuration is known the event is held and
   * the unfiltered envelope is returned; the policy applies when it arrives.
   */
  publish(
    type: string,
    data: Record<string, unknown> = {},
    context: IEventContext = {}
  ): IEvent | null {
    if (this._isDisposed) {
      return null;
    }
    const event = createEvent(type, data, this.session, context);
    const problem = checkEnvelope(event);
    if (problem !== null) {
      console.warn(`jelai: event not recorded: ${problem}.`);
      return null;
    }
    if (this._sink === null || this._policy === null) {
      if (this._early === null || this._early.length >= Private.MAX_EARLY) {
        return null;
      }
      this._early.push(event);
      return event;
    }
    return this._record(event, this._sink, this._policy);
  }

  /** Sends everything queued now (nothing without a configuration). */
  async flush(): Promise<void> {
    await this.config.catch(() => undefined);
    await this._sink?.flush();
  }

  /** Reads stored events of one notebook back from the server. */
  query(query: IEventQuery): Promise<IEvent[]> {
    return queryEvents(query, this._settings);
  }

  /** Stops sending; unsent events stay in browser storage. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._sink?.dispose();
    Signal.clearData(this);
  }

  private _start(config: IJelaiConfig, sink: Partial<EventSink.IOptions>) {
    if (this._isDisposed) {
      return;
    }
    const settings = this._settings;
    const target = new EventSink({
      post: events => postEvents(events, settings),
      keepalive: body => postKeepalive(body, settings),
      storageKey: `jelai:events:${settings.baseUrl}:${config.user}`,
      ...sink
    });
    this._sink = target;
    this._policy = config.telemetry;
    const early = this._early ?? [];
    this._early = null;
    early.forEach(event => this._record(event, target, config.telemetry));
  }

  private _record(
    event: IEvent,
    sink: EventSink,
    policy: ITelemetryConfig
  ): IEvent | null {
    const data = applyPolicy(event.type, event.data, policy);
    if (data === null) {
      return null;
    }
    const recorded = { ...event, data };
    sink.add(recorded);
    this._eventPublished.emit(recorded);
    return recorded;
  }

  private _settings: ServerConnection.ISettings;
  private _policy: ITelemetryConfig | null = null;
  private _sink: EventSink | null = null;
  private _early: IEvent[] | null = [];
  private _eventPublished = new Signal<ITelemetry, IEvent>(this);
  private _isDisposed = false;
}

/**
 * The options of `Telemetry`.
 */
export namespace Telemetry {
  /**
   * Where the server is and, for tests, what to use instead of it.
   */
  export interface IOptions {
    /** Server connection; default `ServerConnection.makeSettings()`. */
    serverSettings?: ServerConnection.ISettings;
    /** The configuration, instead of reading `GET /jelai/config`. */
    config?: Promise<IJelaiConfig>;
    /** Overrides of the sink options (post, storage, timers...). */
    sink?: Partial<EventSink.IOptions>;
  }
}

namespace Private {
  /** Most events held while the configuration is being read. */
  export const MAX_EARLY = 1000;
}
