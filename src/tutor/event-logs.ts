import { IEvent, IEventQuery } from '../tokens';

/**
 * The event types the tutor's context reads from the stored log; exchanges
 * (large, and already in the conversation) are left out.
 */
export const CONTEXT_EVENT_TYPES: readonly string[] = [
  'notebook.open',
  'notebook.close',
  'notebook.save',
  'notebook.visible',
  'notebook.hidden',
  'notebook.scroll',
  'cell.activate',
  'cell.add',
  'cell.remove',
  'cell.move',
  'cell.edit',
  'cell.execute',
  'clipboard.copy',
  'clipboard.cut',
  'clipboard.paste',
  'kernel.restart',
  'kernel.interrupt',
  'tutor.hint'
];

/**
 * The events of each notebook the tutor is asked about: its stored log, read
 * once, and the events published since, kept in arrival order.
 */
export class EventLogs {
  constructor(options: EventLogs.IOptions) {
    this._query = options.query;
    this._maxEvents = options.maxEvents ?? 2000;
  }

  /**
   * A notebook's events, oldest first, each id once: the stored log (the
   * newest `maxEvents`) followed by the live events.
   */
  async events(notebook: string): Promise<IEvent[]> {
    const log = this._log(notebook);
    if (log.stored === null) {
      log.loading ??= this._query({
        notebook,
        limit: this._maxEvents,
        types: [...CONTEXT_EVENT_TYPES]
      }).then(
        events => {
          log.stored = events;
        },
        reason => {
          // Ask again next time; meanwhile the live events still count.
          log.loading = null;
          console.warn('jelai: stored events not read.', reason);
        }
      );
      await log.loading;
    }
    const ids = new Set<string>();
    const events: IEvent[] = [];
    for (const event of [...(log.stored ?? []), ...log.live]) {
      if (!ids.has(event.id)) {
        ids.add(event.id);
        events.push(event);
      }
    }
    return events;
  }

  /** Adds a live event; other types, repeats and events without a notebook are skipped. */
  add(event: IEvent): void {
    if (event.notebook === null || !CONTEXT_EVENT_TYPES.includes(event.type)) {
      return;
    }
    const log = this._log(event.notebook);
    if (log.ids.has(event.id)) {
      return;
    }
    log.ids.add(event.id);
    log.live.push(event);
    if (log.live.length > this._maxEvents) {
      const dropped = log.live.splice(0, log.live.length - this._maxEvents);
      dropped.forEach(old => log.ids.delete(old.id));
    }
  }

  private _log(notebook: string): Private.ILog {
    let log = this._logs.get(notebook);
    if (!log) {
      log = { stored: null, loading: null, live: [], ids: new Set() };
      this._logs.set(notebook, log);
    }
    return log;
  }

  private _query: (query: IEventQuery) => Promise<IEvent[]>;
  private _maxEvents: number;
  private _logs = new Map<string, Private.ILog>();
}

/**
 * Options of the event logs.
 */
export namespace EventLogs {
  /** Where stored events come from, and how many are kept. */
  export interface IOptions {
    /** Reads stored events (the telemetry service's `query`). */
    query: (query: IEventQuery) => Promise<IEvent[]>;
    /** Most stored events read, and most live events kept, per notebook (default 2000). */
    maxEvents?: number;
  }
}

namespace Private {
  /** One notebook's events: the stored log once read, and the live ones. */
  export interface ILog {
    stored: IEvent[] | null;
    loading: Promise<void> | null;
    live: IEvent[];
    ids: Set<string>;
  }
}
