import { UUID } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';

import { IEvent } from '../tokens';

/**
 * Keeps a page's unsent events in browser storage so that the next page load
 * sends them: one key per page under a prefix per server and user, adopted
 * (and removed) by the next page that starts with the same prefix.
 */
export class QueueStorage implements IDisposable {
  /** Creates the storage of one page's queue. */
  constructor(options: QueueStorage.IOptions) {
    this._storage = options.storage;
    this._prefix = `${options.prefix}:`;
    this._key = this._prefix + UUID.uuid4();
    this._read = options.read;
    this._timers = options.timers;
    this._delay = options.delay ?? 250;
    this._maxChars = options.maxChars ?? 2_000_000;
  }

  /** Whether the storage is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Takes over the events every earlier page left under the prefix, oldest
   * first and each id once, and stores them under this page's key.
   */
  adopt(): IEvent[] {
    const storage = this._storage;
    const keys: string[] = [];
    const events: IEvent[] = [];
    try {
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i);
        if (key !== null && key.startsWith(this._prefix)) {
          keys.push(key);
        }
      }
      const seen = new Set<string>();
      for (const key of keys) {
        for (const event of Private.parse(storage.getItem(key))) {
          if (!seen.has(event.id)) {
            seen.add(event.id);
            events.push(event);
          }
        }
      }
    } catch (error) {
      this._warn('jelai: cannot read unsent events.', error);
      return [];
    }
    events.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    this._write(events);
    // Removed only once saved under this page's key, so the events are never
    // stored nowhere; a page still open keeps its queue in memory and saves
    // it again on its next change (the server dedupes what both send).
    keys.filter(k => k !== this._key).forEach(k => storage.removeItem(k));
    return events;
  }

  /** Saves the queue shortly; many changes in a row cost one write. */
  saveSoon(): void {
    if (this._timer !== null || this._isDisposed) {
      return;
    }
    this._timer = this._timers.setTimeout(() => {
      this._timer = null;
      this.saveNow();
    }, this._delay);
  }

  /** Saves the queue now. */
  saveNow(): void {
    if (this._timer !== null) {
      this._timers.clearTimeout(this._timer);
      this._timer = null;
    }
    if (!this._isDisposed) {
      this._write(this._read());
    }
  }

  /** Saves a last time and stops. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this.saveNow();
    this._isDisposed = true;
  }

  private _write(events: readonly IEvent[]): void {
    try {
      if (events.length === 0) {
        this._storage.removeItem(this._key);
      } else {
        this._storage.setItem(
          this._key,
          Private.serialise(events, this._maxChars)
        );
      }
    } catch (error) {
      this._warn('jelai: cannot save unsent events.', error);
    }
  }

  private _warn(message: string, error: unknown): void {
    if (!this._warned) {
      this._warned = true;
      console.warn(message, error);
    }
  }

  private _storage: Storage;
  private _prefix: string;
  private _key: string;
  private _read: () => readonly IEvent[];
  private _timers: QueueStorage.ITimers;
  private _delay: number;
  private _maxChars: number;
  private _timer: unknown = null;
  private _warned = false;
  private _isDisposed = false;
}

/**
 * The options of `QueueStorage`.
 */
export namespace QueueStorage {
  /**
   * Timer functions, injectable so tests control time.
   */
  export interface ITimers {
    setTimeout(fn: () => void, ms: number): unknown;
    clearTimeout(handle: unknown): void;
  }

  /**
   * Where and how often the queue is saved.
   */
  export interface IOptions {
    /** The browser storage (`localStorage`). */
    storage: Storage;
    /** Key prefix, one per server and user. */
    prefix: string;
    /** Returns the queue to save. */
    read: () => readonly IEvent[];
    /** Timer functions. */
    timers: ITimers;
    /** Delay before a change is written, ms (default 250). */
    delay?: number;
    /** Most characters stored; the oldest events go first (default 2,000,000). */
    maxChars?: number;
  }
}

namespace Private {
  /** The queue as stored: the newest events that fit in `maxChars`. */
  export function serialise(
    queue: readonly IEvent[],
    maxChars: number
  ): string {
    const whole = JSON.stringify({ version: 1, events: queue });
    if (whole.length <= maxChars) {
      return whole;
    }
    const kept: string[] = [];
    let size = 32;
    for (let i = queue.length - 1; i >= 0; i--) {
      const json = JSON.stringify(queue[i]);
      if (size + json.length + 1 > maxChars) {
        break;
      }
      kept.unshift(json);
      size += json.length + 1;
    }
    return `{"version":1,"events":[${kept.join(',')}]}`;
  }

  /** The events of a stored queue; nothing for anything unreadable. */
  export function parse(text: string | null): IEvent[] {
    if (!text) {
      return [];
    }
    try {
      const events: unknown = JSON.parse(text)?.events;
      return Array.isArray(events)
        ? events.filter(
            (e): e is IEvent =>
              typeof e?.id === 'string' && typeof e?.time === 'string'
          )
        : [];
    } catch {
      return [];
    }
  }
}
