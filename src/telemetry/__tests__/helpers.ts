/**
 * Small fakes for the telemetry tests: a server and a browser storage.
 */
import { JelaiRequestError } from '../../api';
import { IEvent, IJelaiConfig, ITelemetryConfig } from '../../tokens';
import { createEvent } from '../events';

/** An instructor's policy that records everything, changed where given. */
export function openPolicy(
  changes: Partial<ITelemetryConfig> = {}
): ITelemetryConfig {
  return {
    enabled: true,
    event_types: null,
    log_source: true,
    log_outputs: true,
    log_clipboard: true,
    max_text_length: 2000,
    max_outputs: 5,
    ...changes
  };
}

/** The server's configuration as `GET /jelai/config` answers it. */
export function serverConfig(
  telemetry: Partial<ITelemetryConfig> = {}
): IJelaiConfig {
  return {
    user: 'ada',
    data_dir: '/srv/jelai',
    telemetry: openPolicy(telemetry)
  };
}

/** What the fake server answers to the next request. */
export type Answer = 200 | 400 | 413 | 500 | 503 | 'network';

/**
 * An events endpoint that dedupes by id, like the real store.
 */
export class FakeServer {
  /** Stored events by id. */
  readonly stored = new Map<string, IEvent>();
  /** Every batch received, refused or not. */
  readonly requests: IEvent[][] = [];
  /** Answers for the next requests; 200 once they run out. */
  answers: Answer[] = [];
  /** Batches with more events get 413. */
  maxEvents = Infinity;
  /** How many events came again after they were stored. */
  duplicates = 0;

  /** The `post` function of a sink. */
  post = async (events: IEvent[]): Promise<unknown> => {
    this.requests.push(events);
    const answer = this.answers.shift() ?? 200;
    if (answer === 'network') {
      throw new TypeError('Failed to fetch');
    }
    if (events.length > this.maxEvents) {
      throw new JelaiRequestError('too many events', 413, 'events');
    }
    if (answer !== 200) {
      throw new JelaiRequestError('refused', answer, null);
    }
    return this.store(events);
  };

  /** Stores a batch as the server would. */
  store(events: IEvent[]): { stored: number; duplicates: number } {
    let stored = 0;
    for (const event of events) {
      if (this.stored.has(event.id)) {
        this.duplicates++;
      } else {
        this.stored.set(event.id, event);
        stored++;
      }
    }
    return { stored, duplicates: events.length - stored };
  }
}

/**
 * A `Storage` held in memory.
 */
export class MemoryStorage implements Storage {
  get length(): number {
    return this._items.size;
  }

  clear(): void {
    this._items.clear();
  }

  getItem(key: string): string | null {
    return this._items.get(key) ?? null;
  }

  key(index: number): string | null {
    return Array.from(this._items.keys())[index] ?? null;
  }

  removeItem(key: string): void {
    this._items.delete(key);
  }

  setItem(key: string, value: string): void {
    this._items.set(key, String(value));
  }

  /** Keys starting with a prefix. */
  keys(prefix = ''): string[] {
    return Array.from(this._items.keys()).filter(k => k.startsWith(prefix));
  }

  private _items = new Map<string, string>();
}

/** `n` cell edit events, each with `size` characters of source. */
export function edits(n: number, size = 10): IEvent[] {
  return Array.from({ length: n }, (_, i) =>
    createEvent(
      'cell.edit',
      { source: String(i).padEnd(size, 'x'), length: size, delta: 1 },
      'session-1',
      { notebook: 'a.ipynb', cell: { id: `c${i}`, index: i, type: 'code' } }
    )
  );
}

/** The ids of events, in order. */
export function ids(events: readonly IEvent[]): string[] {
  return events.map(e => e.id);
}
