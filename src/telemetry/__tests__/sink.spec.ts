import { EventSink } from '../sink';
import { edits, FakeServer, ids, MemoryStorage } from './helpers';

const KEY = 'jelai:events:http://localhost/:student';

describe('EventSink', () => {
  let server: FakeServer;
  let storage: MemoryStorage;
  let sinks: EventSink[];

  /** A sink on the fake server and storage, without page listeners. */
  function makeSink(options: Partial<EventSink.IOptions> = {}): EventSink {
    const sink = new EventSink({
      post: server.post,
      storage,
      storageKey: KEY,
      window: null,
      batchSize: 5,
      flushInterval: 2000,
      retryDelay: 1000,
      maxRetryDelay: 8000,
      ...options
    });
    sinks.push(sink);
    return sink;
  }

  beforeEach(() => {
    jest.useFakeTimers();
    server = new FakeServer();
    storage = new MemoryStorage();
    sinks = [];
  });

  afterEach(() => {
    sinks.forEach(sink => sink.dispose());
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  describe('batching', () => {
    it('sends one request once a batch is full', async () => {
      const sink = makeSink();
      const events = edits(5);
      events.slice(0, 4).forEach(e => sink.add(e));
      await jest.advanceTimersByTimeAsync(0);
      expect(server.requests).toHaveLength(0);

      sink.add(events[4]);
      await jest.advanceTimersByTimeAsync(0);
      expect(server.requests.map(ids)).toEqual([ids(events)]);
      expect(sink.pending).toBe(0);
    });

    it('sends a partial batch once the interval has passed', async () => {
      const sink = makeSink();
      const events = edits(2);
      events.forEach(e => sink.add(e));
      await jest.advanceTimersByTimeAsync(1999);
      expect(server.requests).toHaveLength(0);

      await jest.advanceTimersByTimeAsync(1);
      expect(server.requests.map(ids)).toEqual([ids(events)]);
    });

    it('sends everything at once on flush', async () => {
      const sink = makeSink();
      edits(3).forEach(e => sink.add(e));
      await sink.flush();
      expect(server.stored.size).toBe(3);
    });
  });

  describe('while the server is away', () => {
    it('retries with doubling delays and delivers every event once', async () => {
      server.answers = [503, 'network', 500, 200];
      const sink = makeSink();
      const first = edits(2);
      first.forEach(e => sink.add(e));
      await jest.advanceTimersByTimeAsync(2000);
      expect(server.requests).toHaveLength(1);

      // Events made during the outage join the retry, not a request of their own.
      const later = edits(1);
      sink.add(later[0]);
      await jest.advanceTimersByTimeAsync(999);
      expect(server.requests).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(1);
      expect(server.requests).toHaveLength(2);

      await jest.advanceTimersByTimeAsync(1999);
      expect(server.requests).toHaveLength(2);
      await jest.advanceTimersByTimeAsync(1);
      expect(server.requests).toHaveLength(3);

      await jest.advanceTimersByTimeAsync(4000);
      expect(server.requests).toHaveLength(4);
      expect(sink.pending).toBe(0);
      expect([...server.stored.keys()].sort()).toEqual(
        ids([...first, ...later]).sort()
      );
      expect(server.duplicates).toBe(0);
    });

    it('never waits longer than the longest retry delay', async () => {
      server.answers = Array(8).fill(503);
      const sink = makeSink();
      sink.add(edits(1)[0]);
      await jest.advanceTimersByTimeAsync(2000);
      const times: number[] = [];
      let last = Date.now();
      while (server.requests.length < 8) {
        const count = server.requests.length;
        await jest.advanceTimersByTimeAsync(500);
        if (server.requests.length > count) {
          times.push(Date.now() - last);
          last = Date.now();
        }
      }
      expect(times).toEqual([1000, 2000, 4000, 8000, 8000, 8000, 8000]);
      await jest.advanceTimersByTimeAsync(8000);
      expect(server.stored.size).toBe(1);
    });

    it('goes back to normal pacing after the server returns', async () => {
      server.answers = [503];
      const sink = makeSink();
      sink.add(edits(1)[0]);
      await jest.advanceTimersByTimeAsync(3000);
      expect(server.stored.size).toBe(1);

      sink.add(edits(1)[0]);
      await jest.advanceTimersByTimeAsync(2000);
      expect(server.stored.size).toBe(2);
      expect(server.requests).toHaveLength(3);
    });
  });

  describe('refused batches', () => {
    it('drops a batch the server rejects as invalid and warns once', async () => {
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
      server.answers = [400];
      const sink = makeSink();
      edits(2).forEach(e => sink.add(e));
      await sink.flush();
      expect(sink.pending).toBe(0);
      expect(warn).toHaveBeenCalledTimes(1);

      await jest.advanceTimersByTimeAsync(60000);
      expect(server.requests).toHaveLength(1);

      const next = edits(1);
      sink.add(next[0]);
      await sink.flush();
      expect([...server.stored.keys()]).toEqual(ids(next));
    });

    it('splits a batch that is too large until the server takes it', async () => {
      server.maxEvents = 2;
      const sink = makeSink({ batchSize: 50 });
      const events = edits(7);
      events.forEach(e => sink.add(e));
      await sink.flush();
      expect([...server.stored.keys()].sort()).toEqual(ids(events).sort());
      expect(server.duplicates).toBe(0);

      // Later batches use the size the server accepted.
      const before = server.requests.length;
      edits(4).forEach(e => sink.add(e));
      await sink.flush();
      expect(server.requests.slice(before).map(r => r.length)).toEqual([2, 2]);
    });
  });

  describe('across a page reload', () => {
    it('keeps unsent events and sends them from the next page', async () => {
      server.answers = Array(10).fill('network');
      const old = makeSink();
      const events = edits(3);
      events.forEach(e => old.add(e));
      await jest.advanceTimersByTimeAsync(2000);
      expect(server.stored.size).toBe(0);
      expect(storage.keys(KEY)).toHaveLength(1);

      // The old page is gone: its timers never fire again.
      jest.clearAllTimers();
      server.answers = [];
      const next = makeSink();
      await jest.advanceTimersByTimeAsync(0);
      expect([...server.stored.keys()]).toEqual(ids(events));
      await jest.advanceTimersByTimeAsync(250);
      expect(storage.keys(KEY)).toEqual([]);
      expect(next.pending).toBe(0);
    });

    it('leaves the events of another user or server alone', async () => {
      const other = makeSink({ storageKey: 'jelai:events:http://x/:teacher' });
      server.answers = Array(10).fill('network');
      other.add(edits(1)[0]);
      await jest.advanceTimersByTimeAsync(300);
      jest.clearAllTimers();
      server.answers = [];
      makeSink();
      await jest.advanceTimersByTimeAsync(0);
      expect(server.stored.size).toBe(0);
      expect(storage.keys('jelai:events:http://x/:teacher')).toHaveLength(1);
    });

    it('keeps only the newest events when storage is bounded', async () => {
      server.answers = Array(10).fill('network');
      const old = makeSink({ maxStoredChars: 2500 });
      const events = edits(10, 100);
      events.forEach(e => old.add(e));
      old.flushOnExit();
      jest.clearAllTimers();
      server.answers = [];
      makeSink();
      await jest.advanceTimersByTimeAsync(0);
      const sent = [...server.stored.keys()];
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.length).toBeLessThan(10);
      expect(sent).toEqual(ids(events.slice(10 - sent.length)));
    });
  });

  describe('when the page is hidden or closed', () => {
    const hidden = (state: 'hidden' | 'visible') =>
      Object.defineProperty(document, 'visibilityState', {
        value: state,
        configurable: true
      });

    afterEach(() => hidden('visible'));

    it('sends the queue with keepalive and forgets what the server took', async () => {
      const bodies: string[] = [];
      const keepalive = jest.fn(async (body: string) => {
        bodies.push(body);
        server.store(JSON.parse(body).events);
        return { ok: true, status: 200 };
      });
      const sink = makeSink({ window, keepalive });
      const events = edits(3);
      events.forEach(e => sink.add(e));

      hidden('hidden');
      document.dispatchEvent(new Event('visibilitychange'));
      // The page may not live for timers, so the queue is saved at once.
      expect(storage.keys(KEY)).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(0);
      expect(keepalive).toHaveBeenCalledTimes(1);
      expect([...server.stored.keys()]).toEqual(ids(events));
      expect(sink.pending).toBe(0);

      window.dispatchEvent(new Event('pagehide'));
      await jest.advanceTimersByTimeAsync(0);
      expect(keepalive).toHaveBeenCalledTimes(1);
    });

    it('sends chunks under the keepalive limit and keeps the rest for the next page', async () => {
      const bodies: string[] = [];
      const keepalive = jest.fn((body: string) => {
        bodies.push(body);
        // The page is gone before any answer arrives.
        return new Promise<{ ok: boolean; status: number }>(() => undefined);
      });
      const sink = makeSink({
        window,
        keepalive,
        batchSize: 100,
        keepaliveChunkBytes: 16000,
        keepaliveBudgetBytes: 40000
      });
      const events = edits(12, 5000);
      events.forEach(e => sink.add(e));

      window.dispatchEvent(new Event('pagehide'));
      const sizes = bodies.map(b => new TextEncoder().encode(b).length);
      expect(sizes.length).toBeGreaterThan(1);
      sizes.forEach(size => expect(size).toBeLessThanOrEqual(16000));
      expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(40000);
      const sent = bodies.flatMap(b => ids(JSON.parse(b).events));
      expect(sent).toEqual(ids(events.slice(0, sent.length)));

      // A second exit signal does not send the same events again.
      hidden('hidden');
      document.dispatchEvent(new Event('visibilitychange'));
      const again = bodies.slice(sizes.length);
      expect(again.flatMap(b => ids(JSON.parse(b).events))).toEqual([]);

      // Everything, sent or not, is still stored for the next page.
      jest.clearAllTimers();
      makeSink({ window: null });
      await jest.advanceTimersByTimeAsync(0);
      expect([...server.stored.keys()]).toEqual(ids(events));
    });

    it('sends each event once when the page is hidden and then closed', async () => {
      const bodies: string[] = [];
      const keepalive = jest.fn((body: string) => {
        bodies.push(body);
        return new Promise<{ ok: boolean; status: number }>(() => undefined);
      });
      const sink = makeSink({ window, keepalive });
      const first = edits(2);
      first.forEach(e => sink.add(e));
      hidden('hidden');
      document.dispatchEvent(new Event('visibilitychange'));
      const later = edits(1);
      sink.add(later[0]);
      window.dispatchEvent(new Event('pagehide'));
      expect(bodies.map(b => ids(JSON.parse(b).events))).toEqual([
        ids(first),
        ids(later)
      ]);
    });

    it('keeps the events when the keepalive request fails', async () => {
      const keepalive = jest.fn(async () => {
        throw new TypeError('Failed to fetch');
      });
      const sink = makeSink({ window, keepalive });
      edits(2).forEach(e => sink.add(e));
      window.dispatchEvent(new Event('pagehide'));
      await jest.advanceTimersByTimeAsync(0);
      expect(sink.pending).toBe(2);
      await jest.advanceTimersByTimeAsync(2000);
      expect(server.stored.size).toBe(2);
    });
  });
});
