import { ServerConnection } from '@jupyterlab/services';

import { JelaiRequestError } from '../../api';
import {
  keepaliveChunks,
  loadConfig,
  postEvents,
  postKeepalive,
  queryEvents,
  utf8Length
} from '../transport';
import { edits, ids, serverConfig } from './helpers';

/** Server settings whose fetch records requests and answers `reply`. */
function fakeServer(reply: () => Response) {
  const calls: { url: string; init: RequestInit; request?: Request }[] = [];
  const fetch = jest.fn(
    async (input: RequestInfo | URL, init?: RequestInit) => {
      if (input instanceof Request) {
        calls.push({ url: input.url, init: init ?? {}, request: input });
      } else {
        calls.push({ url: String(input), init: init ?? {} });
      }
      return reply();
    }
  );
  const settings = ServerConnection.makeSettings({
    baseUrl: 'http://localhost/user/ada/',
    token: 'secret-token',
    fetch
  });
  return { settings, calls };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });

describe('postKeepalive', () => {
  afterEach(() => {
    document.cookie = '_xsrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
  });

  it('posts to the events route with the headers ServerConnection would add', async () => {
    document.cookie = '_xsrf=2|abc|def';
    const { settings, calls } = fakeServer(() => json({ stored: 1 }));
    const body = JSON.stringify({ events: edits(1) });
    const response = await postKeepalive(body, settings);

    expect(response.ok).toBe(true);
    expect(calls).toHaveLength(1);
    const { url, init } = calls[0];
    expect(url).toBe('http://localhost/user/ada/jelai/events');
    expect(init).toMatchObject({ method: 'POST', body, keepalive: true });
    const headers = new Headers(init.headers);
    expect(headers.get('Authorization')).toBe('token secret-token');
    expect(headers.get('X-XSRFToken')).toBe('2|abc|def');
    expect(headers.get('Content-Type')).toBe('application/json');
  });
});

describe('postEvents and queryEvents', () => {
  it('posts a batch as {"events": [...]}', async () => {
    const { settings, calls } = fakeServer(() =>
      json({ stored: 2, duplicates: 0, dropped: 0 })
    );
    const events = edits(2);
    const result = await postEvents(events, settings);
    expect(result.stored).toBe(2);
    const request = calls[0].request as Request;
    expect(request.method).toBe('POST');
    expect(ids(JSON.parse(await request.text()).events)).toEqual(ids(events));
  });

  it('turns an error answer into a JelaiRequestError with its field', async () => {
    const { settings } = fakeServer(() =>
      json({ error: 'is required', field: 'events[0].id' }, 400)
    );
    const error = await postEvents(edits(1), settings).catch(e => e);
    expect(error).toBeInstanceOf(JelaiRequestError);
    expect(error).toMatchObject({ status: 400, field: 'events[0].id' });
  });

  it('asks for one notebook, a time, a limit and several types', async () => {
    const stored = edits(2);
    const { settings, calls } = fakeServer(() => json({ events: stored }));
    const events = await queryEvents(
      {
        notebook: 'week 1/lab.ipynb',
        since: '2024-01-31T12:00:00.000Z',
        limit: 50,
        types: ['cell.execute', 'cell.edit']
      },
      settings
    );
    expect(ids(events)).toEqual(ids(stored));
    const url = new URL(calls[0].url);
    expect(url.pathname).toBe('/user/ada/jelai/events');
    expect(url.searchParams.get('notebook')).toBe('week 1/lab.ipynb');
    expect(url.searchParams.get('since')).toBe('2024-01-31T12:00:00.000Z');
    expect(url.searchParams.get('limit')).toBe('50');
    expect(url.searchParams.getAll('type')).toEqual([
      'cell.execute',
      'cell.edit'
    ]);
  });
});

describe('loadConfig', () => {
  const config = serverConfig();

  it('waits for a server that is starting', async () => {
    jest.useFakeTimers();
    try {
      const answers = [() => json({ error: 'down' }, 503), () => json(config)];
      const { settings, calls } = fakeServer(() => answers.shift()!());
      const loaded = loadConfig(settings);
      await jest.advanceTimersByTimeAsync(1000);
      await expect(loaded).resolves.toEqual(config);
      expect(calls).toHaveLength(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('gives up at once on a server without jelai', async () => {
    const { settings } = fakeServer(() => new Response('', { status: 404 }));
    await expect(loadConfig(settings)).rejects.toMatchObject({ status: 404 });
  });
});

describe('keepaliveChunks', () => {
  it('counts bytes, not characters', () => {
    expect(utf8Length('abc')).toBe(3);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('€')).toBe(3);
    expect(utf8Length('😀')).toBe(4);
    expect(utf8Length('é😀a')).toBe(new TextEncoder().encode('é😀a').length);
  });

  it('makes valid bodies within the chunk size and the budget', () => {
    const events = edits(20, 1000).map(e => ({
      ...e,
      data: { ...e.data, source: 'é€😀'.repeat(100) }
    }));
    const chunks = keepaliveChunks(events, 4000, 20000);
    let total = 0;
    for (const chunk of chunks) {
      const bytes = new TextEncoder().encode(chunk.body).length;
      expect(chunk.bytes).toBe(bytes);
      expect(bytes).toBeLessThanOrEqual(4000);
      expect(ids(JSON.parse(chunk.body).events)).toEqual(ids(chunk.events));
      total += bytes;
    }
    expect(total).toBeLessThanOrEqual(20000);
    expect(chunks.flatMap(c => ids(c.events))).toEqual(
      ids(events.slice(0, chunks.flatMap(c => c.events).length))
    );
  });
});
