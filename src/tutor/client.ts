import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { Ollama } from 'ollama/browser';
import type { ChatResponse } from 'ollama/browser';
import { IGatewayChunk } from './queue-line';
import type { ITutorChatRequest } from './request';

/**
 * What went wrong when the tutor talked to the model server.
 */
export type TutorErrorKind =
  | 'offline'
  | 'unreachable'
  | 'refused'
  | 'quota'
  | 'unknown-model'
  | 'timeout'
  | 'aborted'
  | 'too-long'
  | 'failed';

/**
 * An error from the tutor's model server, classified for the student.
 */
export class TutorError extends Error {
  constructor(
    message: string,
    readonly kind: TutorErrorKind,
    readonly status: number | null = null
  ) {
    super(message);
    this.name = 'TutorError';
  }
}

/**
 * A question whose prompt does not fit the model's context window even with
 * the context trimmed to nothing: it is not sent (the model server would cut
 * the prompt's start, the tutor's instructions first).
 */
export class ContextTooLargeError extends TutorError {
  constructor(
    /** Estimated tokens of the prompt, fully trimmed. */
    readonly estimatedTokens: number,
    /** The budget it had to fit. */
    readonly budgetTokens: number,
    /** Estimated tokens of the question alone. */
    readonly questionTokens: number
  ) {
    super(
      `The prompt (about ${estimatedTokens} tokens) does not fit the budget of ${budgetTokens} tokens.`,
      'too-long'
    );
  }

  /** Whether the question is what does not fit (rather than the instructions). */
  get questionTooLong(): boolean {
    return this.estimatedTokens - this.questionTokens <= this.budgetTokens;
  }
}

/**
 * The slice of an Ollama client the tutor uses; tests inject a fake one.
 */
export interface ITutorClient {
  /** Starts a streamed chat reply for the conversation of one notebook. */
  chat(
    request: ITutorChatRequest,
    context: ITutorClient.IContext
  ): Promise<ITutorClient.IReplyStream>;
  /** The names of the models the student may pick. */
  listModels(): Promise<string[]>;
}

/**
 * Types of the tutor client.
 */
export namespace ITutorClient {
  /** What the server proxy records an exchange against. */
  export interface IContext {
    notebook: string;
  }

  /** One streamed chunk of a reply, as Ollama sends it. */
  export type IChunk = Pick<ChatResponse, 'message' | 'done'> &
    Partial<ChatResponse>;

  /**
   * A streamed reply that can be aborted (Ollama's AbortableAsyncIterator);
   * a course's gateway may send lines of its own first (see `queue-line.ts`).
   */
  export interface IReplyStream extends AsyncIterable<IChunk | IGatewayChunk> {
    abort(): void;
  }
}

/**
 * Maps a URL the Ollama client builds (`<host>/api/<endpoint>`) onto the
 * server proxy route `<baseUrl>/jelai/ollama/api/<endpoint>`.
 */
export function proxyUrl(url: string, baseUrl: string): string {
  const match = /\/api\/([a-z]+)\/?(?:[?#].*)?$/.exec(url);
  if (!match) {
    throw new TutorError(`Not an Ollama API URL: ${url}`, 'failed');
  }
  return URLExt.join(baseUrl, 'jelai', 'ollama', 'api', match[1]);
}

/**
 * The headers telling the server proxy which notebook and page session an
 * exchange belongs to; the path is URI-encoded since headers are Latin-1.
 */
export function jelaiHeaders(
  notebook: string | null,
  session: string | null
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (notebook) {
    headers['X-Jelai-Notebook'] = encodeURIComponent(notebook);
  }
  if (session) {
    headers['X-Jelai-Session'] = session;
  }
  return headers;
}

/**
 * A `fetch` for the Ollama client that sends every call to the server proxy
 * through `ServerConnection.makeRequest` (token and XSRF headers included).
 */
export function createProxyFetch(
  settings: ServerConnection.ISettings,
  headers: Record<string, string> = {}
): typeof fetch {
  return (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url =
      typeof input === 'string'
        ? input
        : input instanceof URL
          ? input.href
          : input.url;
    const merged = new Headers(init.headers);
    // Browsers refuse to set it; the proxy has no use for it either.
    merged.delete('User-Agent');
    for (const [name, value] of Object.entries(headers)) {
      merged.set(name, value);
    }
    return ServerConnection.makeRequest(
      proxyUrl(url, settings.baseUrl),
      { ...init, headers: merged },
      settings
    );
  };
}

/**
 * Turns whatever the Ollama client or the proxy threw into a `TutorError`.
 */
export function toTutorError(error: unknown): TutorError {
  if (error instanceof TutorError) {
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === 'AbortError') {
    return new TutorError(message, 'aborted');
  }
  if (error instanceof ServerConnection.NetworkError) {
    return new TutorError(message, 'offline');
  }
  // Ollama's ResponseError carries the HTTP status of the proxy's answer.
  const status = (error as { status_code?: unknown } | null)?.status_code;
  if (typeof status === 'number') {
    return new TutorError(message, Private.kindOfStatus(status), status);
  }
  return new TutorError(message, 'failed');
}

/**
 * A sentence for the student saying what went wrong.
 */
export function describeTutorError(
  error: TutorError,
  trans: TranslationBundle
): string {
  switch (error.kind) {
    case 'offline':
      return trans.__('The Jupyter server is not reachable.');
    case 'unreachable':
      // The proxy's message names the model server it tried.
      return /not reachable/i.test(error.message)
        ? error.message
        : trans.__('The model server is not reachable.');
    case 'refused':
      return trans.__('The server refused the request: %1', error.message);
    case 'quota':
      // The course's service says which quota and when asking works again.
      return error.message;
    case 'unknown-model':
      return trans.__(
        'This model is not available on the model server: %1',
        error.message
      );
    case 'timeout':
      return trans.__('The model server took too long to answer.');
    case 'aborted':
      return trans.__('The reply was stopped.');
    case 'too-long':
      return Private.tooLong(error, trans);
    default:
      return trans.__('The reply failed: %1', error.message);
  }
}

/**
 * The tutor's Ollama client (`ollama/browser`), routed through the server
 * proxy so the browser never talks to the model server itself.
 */
export class TutorClient implements ITutorClient {
  constructor(options: TutorClient.IOptions = {}) {
    this._settings = options.serverSettings ?? ServerConnection.makeSettings();
    this._session = options.session ?? null;
  }

  /** Starts a streamed chat reply; HTTP failures become `TutorError`s. */
  async chat(
    request: ITutorChatRequest,
    context: ITutorClient.IContext
  ): Promise<ITutorClient.IReplyStream> {
    try {
      return await this._ollama(context.notebook).chat({
        ...request,
        stream: true
      });
    } catch (error) {
      throw toTutorError(error);
    }
  }

  /** Lists the models the server lets students use. */
  async listModels(): Promise<string[]> {
    try {
      const { models } = await this._ollama(null).list();
      return models.map(model => model.name);
    } catch (error) {
      throw toTutorError(error);
    }
  }

  private _ollama(notebook: string | null): Ollama {
    // One light instance per call: the notebook header differs per request.
    return new Ollama({
      host: Private.PLACEHOLDER_HOST,
      fetch: createProxyFetch(
        this._settings,
        jelaiHeaders(notebook, this._session)
      )
    });
  }

  private _settings: ServerConnection.ISettings;
  private _session: string | null;
}

/**
 * Options of the tutor client.
 */
export namespace TutorClient {
  /** How to reach the Jupyter server and which page session to name. */
  export interface IOptions {
    serverSettings?: ServerConnection.ISettings;
    /** The telemetry session id, sent as `X-Jelai-Session`. */
    session?: string;
  }
}

namespace Private {
  /** Why a question was not sent: it, or the instructions, do not fit the model's context. */
  export function tooLong(error: TutorError, trans: TranslationBundle): string {
    if (!(error instanceof ContextTooLargeError)) {
      return trans.__('The question does not fit the model: %1', error.message);
    }
    if (!error.questionTooLong) {
      return trans.__(
        "The tutor's instructions alone (about %1 tokens) do not fit the model's context; ask your instructor to check the tutor's settings.",
        error.estimatedTokens - error.questionTokens
      );
    }
    return trans.__(
      "Your question is too long for the model: with the tutor's instructions it comes to about %1 tokens, and the model's context holds at most %2. Nothing was sent; shorten the question, or ask about one part at a time.",
      error.estimatedTokens,
      error.budgetTokens
    );
  }

  /**
   * The Ollama client normalises its host with an explicit port, which the
   * Jupyter base URL check would reject; the proxy fetch only keeps the
   * `/api/<endpoint>` tail, so any host will do.
   */
  export const PLACEHOLDER_HOST = 'http://jelai-proxy.invalid';

  export function kindOfStatus(status: number): TutorErrorKind {
    if (status === 502 || status === 503) {
      return 'unreachable';
    }
    if (status === 504) {
      return 'timeout';
    }
    if (status === 404) {
      return 'unknown-model';
    }
    if (status === 413) {
      // The gateway's own check: the prompt with its instructions is too long.
      return 'too-long';
    }
    if (status === 429) {
      return 'quota';
    }
    if (status >= 400 && status < 500) {
      return 'refused';
    }
    return 'failed';
  }
}
