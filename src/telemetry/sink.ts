import { IDisposable } from '@lumino/disposable';

import { IEvent } from '../tokens';
import { QueueStorage } from './storage';
import { keepaliveChunks } from './transport';

/**
 * Queues events and delivers them to the server without losing any: batched
 * by count and time, retried with backoff while the server is away, kept in
 * browser storage until acknowledged, and sent with `keepalive` when the page
 * is hidden or closed.
 */
export class EventSink implements IDisposable {
  /** Creates a sink and re-sends what earlier pages left in storage. */
  constructor(options: EventSink.IOptions) {
    this._post = options.post;
    this._keepalive = options.keepalive ?? null;
    this._timers = options.timers ?? Private.TIMERS;
    this._batchSize = options.batchSize ?? 50;
    this._interval = options.flushInterval ?? 2000;
    this._batchLimit = options.maxBatch ?? 200;
    this._maxQueue = options.maxQueue ?? 5000;
    this._firstDelay = options.retryDelay ?? 1000;
    this._maxDelay = options.maxRetryDelay ?? 60000;
    this._chunkBytes = options.keepaliveChunkBytes ?? 32000;
    this._budgetBytes = options.keepaliveBudgetBytes ?? 60000;
    this._window =
      options.window === undefined
        ? typeof window === 'undefined'
          ? null
          : window
        : options.window;
    if (this._window) {
      this._window.addEventListener('pagehide', this);
      this._window.addEventListener('online', this);
      this._window.document.addEventListener('visibilitychange', this);
    }
    const storage =
      options.storage === undefined ? Private.localStorage() : options.storage;
    if (storage && options.storageKey) {
      this._storage = new QueueStorage({
        storage,
        prefix: options.storageKey,
        read: () => this._queue,
        timers: this._timers,
        delay: options.persistDelay,
        maxChars: options.maxStoredChars
      });
      this._queue = this._storage.adopt();
      if (this._queue.length > 0) {
        void this.flush();
      }
    }
  }

  /** Number of events not yet acknowledged by the server. */
  get pending(): number {
    return this._queue.length;
  }

  /** Whether the sink is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Queues one event; it is sent with the next batch. */
  add(event: IEvent): void {
    if (this._isDisposed) {
      return;
    }
    this._queue.push(event);
    if (this._queue.length > this._maxQueue) {
      this._queue.splice(0, this._queue.length - this._maxQueue);
      this._warnOnce(
        'queue',
        `jelai: more than ${this._maxQueue} events wait for the server; the oldest are dropped.`
      );
    }
    this._storage?.saveSoon();
    if (this._delay > 0 || this._draining) {
      // A retry or the running drain picks it up.
      return;
    }
    if (this._queue.length >= this._batchSize) {
      void this.flush();
    } else if (this._timer === null) {
      this._timer = this._timers.setTimeout(() => {
        this._timer = null;
        void this.flush();
      }, this._interval);
    }
  }

  /** Sends everything queued now; resolves when the server answered. */
  flush(): Promise<void> {
    if (this._draining) {
      return this._draining;
    }
    this._clearTimer();
    this._draining = this._drain().finally(() => {
      this._draining = null;
    });
    return this._draining;
  }

  /**
   * Saves the queue and sends it with `keepalive` requests, for a page that
   * is being hidden or closed. Keepalive bodies share a 64 KiB budget, so
   * events beyond it stay in storage for the next page load.
   */
  flushOnExit(): void {
    if (this._isDisposed) {
      return;
    }
    this._storage?.saveNow();
    if (!this._keepalive) {
      return;
    }
    const waiting = this._queue.filter(e => !this._inKeepalive.has(e.id));
    const budget = this._budgetBytes - this._keepaliveBytes;
    for (const chunk of keepaliveChunks(waiting, this._chunkBytes, budget)) {
      chunk.events.forEach(e => this._inKeepalive.add(e.id));
      this._keepaliveBytes += chunk.bytes;
      this._keepalive(chunk.body)
        .then(
          response => {
            if (response.ok || response.status === 400) {
              this._remove(chunk.events);
            }
          },
          () => undefined
        )
        .finally(() => {
          chunk.events.forEach(e => this._inKeepalive.delete(e.id));
          this._keepaliveBytes -= chunk.bytes;
        });
    }
  }

  /** Reacts to the page lifecycle: hidden, closed, back online. */
  handleEvent(event: Event): void {
    switch (event.type) {
      case 'pagehide':
        this.flushOnExit();
        break;
      case 'visibilitychange':
        if (this._window?.document.visibilityState === 'hidden') {
          this.flushOnExit();
        }
        break;
      case 'online':
        if (this._queue.length > 0) {
          void this.flush();
        }
        break;
    }
  }

  /** Stops timers and listeners; unsent events stay in storage. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._storage?.dispose();
    this._isDisposed = true;
    this._clearTimer();
    if (this._window) {
      this._window.removeEventListener('pagehide', this);
      this._window.removeEventListener('online', this);
      this._window.document.removeEventListener('visibilitychange', this);
    }
  }

  private async _drain(): Promise<void> {
    // Send what was queued when the flush began, and more only while full
    // batches are waiting, so a steady trickle still goes out in batches.
    let owed = this._queue.length;
    while (
      !this._isDisposed &&
      this._queue.length > 0 &&
      (owed > 0 || this._queue.length >= this._batchSize)
    ) {
      const batch = this._queue.slice(0, this._batchLimit);
      owed -= batch.length;
      if (!(await this._send(batch))) {
        this._retryLater();
        return;
      }
      this._delay = 0;
    }
    if (!this._isDisposed && this._queue.length > 0 && this._timer === null) {
      this._timer = this._timers.setTimeout(() => {
        this._timer = null;
        void this.flush();
      }, this._interval);
    }
  }

  /** Sends one batch; false when it should be tried again later. */
  private async _send(batch: IEvent[]): Promise<boolean> {
    try {
      await this._post(batch);
    } catch (error) {
      const status = Private.status(error);
      if (status === 413 && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        this._batchLimit = Math.max(1, Math.min(this._batchLimit, half));
        return (
          (await this._send(batch.slice(0, half))) &&
          (await this._send(batch.slice(half)))
        );
      }
      if (status === 400 || status === 413) {
        console.warn(
          `jelai: the server refused ${batch.length} event(s); they are dropped.`,
          error
        );
      } else {
        return false;
      }
    }
    this._remove(batch);
    return true;
  }

  private _retryLater(): void {
    this._delay =
      this._delay > 0
        ? Math.min(this._delay * 2, this._maxDelay)
        : this._firstDelay;
    this._clearTimer();
    this._timer = this._timers.setTimeout(() => {
      this._timer = null;
      void this.flush();
    }, this._delay);
  }

  private _remove(events: readonly IEvent[]): void {
    const ids = new Set(events.map(e => e.id));
    const before = this._queue.length;
    this._queue = this._queue.filter(e => !ids.has(e.id));
    if (this._queue.length !== before) {
      this._storage?.saveSoon();
    }
  }

  private _clearTimer(): void {
    if (this._timer !== null) {
      this._timers.clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _warnOnce(topic: string, message: string, error?: unknown): void {
    if (!this._warned.has(topic)) {
      this._warned.add(topic);
      console.warn(message, error ?? '');
    }
  }

  private _post: EventSink.IOptions['post'];
  private _keepalive: EventSink.IOptions['keepalive'] | null;
  private _storage: QueueStorage | null = null;
  private _timers: EventSink.ITimers;
  private _window: Window | null;
  private _batchSize: number;
  private _interval: number;
  private _batchLimit: number;
  private _maxQueue: number;
  private _firstDelay: number;
  private _maxDelay: number;
  private _chunkBytes: number;
  private _budgetBytes: number;
  private _queue: IEvent[] = [];
  private _timer: unknown = null;
  private _delay = 0;
  private _draining: Promise<void> | null = null;
  private _inKeepalive = new Set<string>();
  private _keepaliveBytes = 0;
  private _warned = new Set<string>();
  private _isDisposed = false;
}

/**
 * The options and helper types of `EventSink`.
 */
export namespace EventSink {
  /**
   * Timer functions, injectable so tests control time.
   */
  export type ITimers = QueueStorage.ITimers;

  /**
   * How a sink sends, stores and paces events.
   */
  export interface IOptions {
    /** Posts a batch; throws `JelaiRequestError` (with a status) or a network error. */
    post: (events: IEvent[]) => Promise<unknown>;
    /** Posts a serialised batch with `keepalive`; none means no exit flush. */
    keepalive?: (body: string) => Promise<{ ok: boolean; status: number }>;
    /** Where unsent events are kept across reloads; default `localStorage`, null for none. */
    storage?: Storage | null;
    /** Storage key prefix: one per server and user. No key, no persistence. */
    storageKey?: string;
    /** Timer functions; default the global ones. */
    timers?: ITimers;
    /** The page whose lifecycle triggers exit flushes; default `window`, null for none. */
    window?: Window | null;
    /** Queue length that triggers a send (default 50). */
    batchSize?: number;
    /** Longest wait before queued events are sent, ms (default 2000). */
    flushInterval?: number;
    /** Most events in one request (default 200). */
    maxBatch?: number;
    /** Most events kept while the server is away; the oldest go first (default 5000). */
    maxQueue?: number;
    /** Most characters of events kept in storage (default 2,000,000). */
    maxStoredChars?: number;
    /** First retry delay, ms, doubled on each failure (default 1000). */
    retryDelay?: number;
    /** Longest retry delay, ms (default 60000). */
    maxRetryDelay?: number;
    /** Delay before a queue change is written to storage, ms (default 250). */
    persistDelay?: number;
    /** Largest keepalive body, bytes (default 32000). */
    keepaliveChunkBytes?: number;
    /** Largest total of keepalive bodies in flight, bytes (default 60000). */
    keepaliveBudgetBytes?: number;
  }
}

namespace Private {
  /** The global timers, looked up on each call so fake timers apply. */
  export const TIMERS: EventSink.ITimers = {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: handle =>
      clearTimeout(handle as ReturnType<typeof setTimeout>)
  };

  /** `localStorage` if this page may use it. */
  export function localStorage(): Storage | null {
    try {
      return typeof window === 'undefined' ? null : window.localStorage;
    } catch {
      return null;
    }
  }

  /** The HTTP status of a failed request, or 0 for a network error. */
  export function status(error: unknown): number {
    const value = (error as { status?: unknown } | null)?.status;
    return typeof value === 'number' ? value : 0;
  }
}
