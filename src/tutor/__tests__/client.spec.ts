import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator } from '@jupyterlab/translation';
import {
  createProxyFetch,
  describeTutorError,
  jelaiHeaders,
  proxyUrl,
  toTutorError,
  TutorClient,
  TutorError
} from '../client';

const BASE = 'http://localhost:8888/user/ada/';
const trans = nullTranslator.load('jelai');

/**
 * Stands in for the Request class so the test sees exactly what
 * ServerConnection.makeRequest hands to fetch.
 */
class RecordedRequest {
  constructor(
    readonly url: string,
    init: RequestInit = {}
  ) {
    this.method = init.method ?? 'GET';
    this.headers = new Headers(init.headers);
    this.body = typeof init.body === 'string' ? init.body : null;
  }
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | null;
}

function server(respond: (request: RecordedRequest) => Response | never) {
  const requests: RecordedRequest[] = [];
  const settings = ServerConnection.makeSettings({
    baseUrl: BASE,
    wsUrl: 'ws://localhost:8888/user/ada/',
    token: 'secret',
    Request: RecordedRequest as unknown as typeof Request,
    fetch: (async (request: RecordedRequest) => {
      requests.push(request);
      return respond(request);
    }) as unknown as typeof fetch
  });
  return { settings, requests };
}

function ndjson(...lines: object[]): Response {
  return new Response(lines.map(line => JSON.stringify(line) + '\n').join(''), {
    status: 200,
    headers: { 'Content-Type': 'application/x-ndjson' }
  });
}

function jsonError(status: number, error: string): Response {
  return new Response(JSON.stringify({ error }), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

const chunk = (content: string, done = false) => ({
  model: 'tiny:1b',
  created_at: '2025-01-01T10:00:00Z',
  message: { role: 'assistant', content },
  done
});

async function collect(stream: AsyncIterable<object>) {
  let text = '';
  for await (const part of stream) {
    if ('message' in part) {
      text += (part as { message: { content: string } }).message.content;
    }
  }
  return text;
}

describe('proxyUrl', () => {
  it('maps the host the Ollama client normalised onto the proxy route', () => {
    expect(proxyUrl('http://jelai-proxy.invalid:80/api/chat', BASE)).toBe(
      `${BASE}jelai/ollama/api/chat`
    );
    expect(proxyUrl('https://somewhere:443/x/api/tags?x=1', BASE)).toBe(
      `${BASE}jelai/ollama/api/tags`
    );
  });

  it('refuses URLs outside the Ollama API', () => {
    expect(() => proxyUrl('http://host:80/v1/models', BASE)).toThrow(
      TutorError
    );
  });
});

describe('jelaiHeaders', () => {
  it('names the notebook (URI-encoded) and the page session', () => {
    expect(jelaiHeaders('cours/séance 1.ipynb', 'page-1')).toEqual({
      'X-Jelai-Notebook': 'cours%2Fs%C3%A9ance%201.ipynb',
      'X-Jelai-Session': 'page-1'
    });
    expect(jelaiHeaders(null, null)).toEqual({});
  });
});

describe('createProxyFetch', () => {
  it('goes through ServerConnection with the token and the jelai headers', async () => {
    const { settings, requests } = server(() => ndjson({ version: '0.6.0' }));
    const proxyFetch = createProxyFetch(settings, {
      'X-Jelai-Notebook': 'a.ipynb',
      'X-Jelai-Session': 'page-1'
    });
    await proxyFetch('http://jelai-proxy.invalid:80/api/chat', {
      method: 'POST',
      body: '{"model":"tiny:1b"}',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'ollama-js' }
    });
    const [request] = requests;
    expect(request.url.startsWith(`${BASE}jelai/ollama/api/chat`)).toBe(true);
    expect(request.method).toBe('POST');
    expect(request.body).toBe('{"model":"tiny:1b"}');
    expect(request.headers.get('Authorization')).toBe('token secret');
    expect(request.headers.get('X-Jelai-Notebook')).toBe('a.ipynb');
    expect(request.headers.get('X-Jelai-Session')).toBe('page-1');
    expect(request.headers.get('User-Agent')).toBeNull();
  });
});

describe('TutorClient', () => {
  it("streams a chat reply through the proxy, the page's fields passed on", async () => {
    const { settings, requests } = server(() =>
      ndjson(chunk('Have you '), chunk('tried print?'), chunk('', true))
    );
    const client = new TutorClient({ serverSettings: settings, session: 'p' });
    const stream = await client.chat(
      {
        model: 'tiny:1b',
        messages: [{ role: 'user', content: 'help' }],
        jelai: { hint: 2, cell: { id: 'c1', index: 0, type: 'code' } }
      },
      { notebook: 'lab/week1.ipynb' }
    );
    expect(await collect(stream)).toBe('Have you tried print?');
    const [request] = requests;
    expect(request.url).toContain('/user/ada/jelai/ollama/api/chat');
    expect(request.headers.get('X-Jelai-Notebook')).toBe('lab%2Fweek1.ipynb');
    expect(JSON.parse(request.body!)).toEqual({
      model: 'tiny:1b',
      stream: true,
      messages: [{ role: 'user', content: 'help' }],
      jelai: { hint: 2, cell: { id: 'c1', index: 0, type: 'code' } }
    });
  });

  it("hands the gateway's queue lines over before the reply", async () => {
    const place = (position: number) => ({ jelai: { queue: { position } } });
    const { settings } = server(() =>
      ndjson(place(2), place(1), chunk('Hi'), chunk('', true))
    );
    const client = new TutorClient({ serverSettings: settings });
    const stream = await client.chat(
      { model: 'tiny:1b', messages: [], jelai: {} },
      { notebook: 'a.ipynb' }
    );
    const seen: object[] = [];
    for await (const part of stream) {
      seen.push(part);
    }
    expect(seen.slice(0, 2)).toEqual([place(2), place(1)]);
    expect(seen).toHaveLength(4);
  });

  it('throws the error line a stream carries', async () => {
    const { settings } = server(() =>
      ndjson(chunk('Par'), { error: 'model runner crashed' })
    );
    const client = new TutorClient({ serverSettings: settings });
    const stream = await client.chat(
      { model: 'tiny:1b', messages: [], jelai: {} },
      { notebook: 'a.ipynb' }
    );
    const error = await collect(stream).catch(e => toTutorError(e));
    expect(error).toBeInstanceOf(TutorError);
    expect((error as TutorError).kind).toBe('failed');
    expect((error as TutorError).message).toBe('model runner crashed');
  });

  it.each([
    [
      502,
      'The model server at http://gpu:11434 is not reachable',
      'unreachable'
    ],
    [403, '/api/pull is not available through jelai', 'refused'],
    [400, 'System messages are refused in tutor mode', 'refused'],
    [404, "model 'nope' not found", 'unknown-model'],
    [413, 'The question with its context and the instructions', 'too-long'],
    [504, 'The model server did not answer in time', 'timeout'],
    [429, 'You have asked 20 questions in the last hour', 'quota']
  ])('turns a %d answer into a typed error', async (status, message, kind) => {
    const { settings } = server(() => jsonError(status, message));
    const client = new TutorClient({ serverSettings: settings });
    const error = await client
      .chat({ model: 'nope', messages: [], jelai: {} }, { notebook: 'a.ipynb' })
      .catch(e => e);
    expect(error).toBeInstanceOf(TutorError);
    expect(error.kind).toBe(kind);
    expect(error.status).toBe(status);
    expect(error.message).toBe(message);
  });

  it("tells a student past a quota the service's own words", () => {
    const message =
      'You have asked 20 questions in the last hour; this course allows 20. You can ask again at 14:32:00 UTC (in 12 minutes).';
    const error = new TutorError(message, 'quota', 429);
    expect(describeTutorError(error, trans)).toBe(message);
  });

  it('says which model server is not reachable', () => {
    const error = new TutorError(
      'The model server at http://gpu:11434 is not reachable',
      'unreachable',
      502
    );
    expect(describeTutorError(error, trans)).toBe(
      'The model server at http://gpu:11434 is not reachable'
    );
  });

  it('reports a Jupyter server that cannot be reached as offline', async () => {
    const { settings } = server(() => {
      throw new TypeError('Failed to fetch');
    });
    const client = new TutorClient({ serverSettings: settings });
    const error = await client.listModels().catch(e => e);
    expect(error.kind).toBe('offline');
  });

  it('lists the model names the server offers', async () => {
    const { settings, requests } = server(
      () =>
        new Response(
          JSON.stringify({
            models: [{ name: 'tiny:1b' }, { name: 'llama3.1:8b' }]
          }),
          { status: 200, headers: { 'Content-Type': 'application/json' } }
        )
    );
    const client = new TutorClient({ serverSettings: settings });
    expect(await client.listModels()).toEqual(['tiny:1b', 'llama3.1:8b']);
    expect(requests[0].url).toContain('/jelai/ollama/api/tags');
    expect(requests[0].method).toBe('GET');
  });
});
