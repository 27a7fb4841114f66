import { Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';

/**
 * Version of the event envelope (see `jelai/schemas/event.v1.json`).
 */
export const SCHEMA_VERSION = 1;

/**
 * The cell an event is about.
 */
export interface ICellRef {
  id: string;
  index: number | null;
  type: 'code' | 'markdown' | 'raw' | null;
}

/**
 * The kernel of the notebook an event is about.
 */
export interface IKernelRef {
  id: string | null;
  name: string | null;
}

/**
 * One recorded event: the envelope shared by every event type.
 */
export interface IEvent {
  schema_version: typeof SCHEMA_VERSION;
  id: string;
  time: string;
  session: string;
  notebook: string | null;
  kernel: IKernelRef | null;
  type: string;
  cell: ICellRef | null;
  data: Record<string, unknown>;
  /** Set by the server on stored events; never sent by the browser. */
  user?: string;
}

/**
 * Where an event happened, given by a producer when it publishes.
 */
export interface IEventContext {
  notebook?: string | null;
  kernel?: IKernelRef | null;
  cell?: ICellRef | null;
}

/**
 * Which stored events to read back from the server.
 */
export interface IEventQuery {
  notebook: string;
  /** ISO time; only events after it. */
  since?: string;
  /** Most recent events first cut to this many, returned oldest first. */
  limit?: number;
  types?: string[];
}

/**
 * The effective server configuration, read from `GET /jelai/config`.
 */
export interface IJelaiConfig {
  user: string;
  /** Where this server keeps the record; null when the course service keeps it. */
  data_dir: string | null;
  /** Whether the course's jelai service (hub mode) keeps the record. */
  service?: boolean;
  telemetry: ITelemetryConfig;
  tutor?: Record<string, unknown>;
}

/**
 * What the instructor lets telemetry record.
 */
export interface ITelemetryConfig {
  enabled: boolean;
  /** Event types to record; null means all. */
  event_types: string[] | null;
  log_source: boolean;
  log_outputs: boolean;
  log_clipboard: boolean;
  max_text_length: number;
  max_outputs: number;
}

/**
 * Records activity and ships it to the server; other plugins publish their
 * own events through it and follow the live stream.
 */
export interface ITelemetry {
  /** The effective configuration, once read from the server. */
  readonly config: Promise<IJelaiConfig>;
  /** The browser page session id shared by all events of this page load. */
  readonly session: string;
  /** Emitted for every event accepted for recording, before it is sent. */
  readonly eventPublished: ISignal<ITelemetry, IEvent>;
  /**
   * Records an event; returns it, or null when the configuration says this
   * type is not recorded.
   */
  publish(
    type: string,
    data?: Record<string, unknown>,
    context?: IEventContext
  ): IEvent | null;
  /** Sends everything queued now. */
  flush(): Promise<void>;
  /** Reads stored events of one notebook back from the server. */
  query(query: IEventQuery): Promise<IEvent[]>;
}

/**
 * The telemetry service token.
 */
export const ITelemetry = new Token<ITelemetry>(
  'jelai:ITelemetry',
  'Records notebook activity and lets other plugins publish and follow events.'
);

/**
 * The tutor chat, for plugins that ask it about a notebook: the cell
 * actions and error buttons use it, and so can another extension.
 */
export interface ITutor {
  /**
   * Shows the tutor panel and focuses its input, on the conversation about
   * `notebook` when one is named.
   */
  open(notebook?: string): void;
  /**
   * Asks a question in the conversation about a notebook, showing the panel
   * first; resolves false when it could not be sent (no model, empty text).
   * The notebook's context is sent with it, as for a typed question.
   */
  ask(question: string, options: ITutor.IAskOptions): Promise<boolean>;
  /**
   * The level the next hint on a cell would have: one more than the hints
   * asked on it since it last ran without error, from 1 (a nudge) to 3.
   */
  nextHintLevel(notebook: string, cellId: string): Promise<ITutor.HintLevel>;
}

/**
 * Types of the tutor service.
 */
export namespace ITutor {
  /** Hint levels, from a nudge (1) to a concrete pointer (3). */
  export type HintLevel = 1 | 2 | 3;

  /** What a question is about beyond its words. */
  export interface IAskOptions {
    /** Path of the notebook the question is about. */
    notebook: string;
    /** The cell it is about; the notebook's active cell when absent. */
    cell?: ICellRef;
    /**
     * Asks for a hint at this level; the tutor keeps a record of it, so the
     * next hint on the cell climbs the ladder.
     */
    hint?: HintLevel;
  }
}

/**
 * The tutor service token.
 */
export const ITutor = new Token<ITutor>(
  'jelai:ITutor',
  'The tutor chat: opens its panel and asks it about a notebook or a cell.'
);
