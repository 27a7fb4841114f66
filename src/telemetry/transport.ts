import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { JelaiRequestError, requestAPI } from '../api';
import { IEvent, IEventQuery, IJelaiConfig } from '../tokens';

/**
 * What the server answers to a posted batch.
 */
export interface IPostResult {
  stored: number;
  duplicates: number;
  dropped: number;
}

/**
 * Posts a batch of events to `POST /jelai/events`.
 */
export function postEvents(
  events: readonly IEvent[],
  settings: ServerConnection.ISettings
): Promise<IPostResult> {
  return requestAPI<IPostResult>(
    'events',
    { method: 'POST', body: JSON.stringify({ events }) },
    settings
  );
}

/**
 * Posts an already serialised batch with `keepalive`, so the request outlives
 * the page; it carries the same authentication headers as
 * `ServerConnection.makeRequest` would add.
 */
export function postKeepalive(
  body: string,
  settings: ServerConnection.ISettings
): Promise<Response> {
  const url = URLExt.join(settings.baseUrl, 'jelai', 'events');
  const headers = new Headers({ 'Content-Type': 'application/json' });
  if (settings.token) {
    headers.set('Authorization', `token ${settings.token}`);
  }
  const xsrf = Private.cookie('_xsrf');
  if (xsrf !== undefined) {
    headers.set('X-XSRFToken', xsrf);
  }
  return settings.fetch.call(null, url, {
    ...settings.init,
    method: 'POST',
    body,
    headers,
    keepalive: true
  });
}

/**
 * Reads stored events of one notebook from `GET /jelai/events`.
 */
export async function queryEvents(
  query: IEventQuery,
  settings: ServerConnection.ISettings
): Promise<IEvent[]> {
  const params = new URLSearchParams({ notebook: query.notebook });
  if (query.since !== undefined) {
    params.set('since', query.since);
  }
  if (query.limit !== undefined) {
    params.set('limit', String(query.limit));
  }
  for (const type of query.types ?? []) {
    params.append('type', type);
  }
  const answer = await requestAPI<{ events: IEvent[] }>(
    `events?${params.toString()}`,
    { method: 'GET' },
    settings
  );
  return answer.events;
}

/**
 * Reads `GET /jelai/config`, waiting with a growing delay while the server
 * cannot be reached or fails; a refusal (4xx) rejects at once.
 */
export async function loadConfig(
  settings: ServerConnection.ISettings,
  options: { retryDelay?: number; maxRetryDelay?: number } = {}
): Promise<IJelaiConfig> {
  let delay = options.retryDelay ?? 1000;
  const max = options.maxRetryDelay ?? 30000;
  for (;;) {
    try {
      return await requestAPI<IJelaiConfig>('config', {}, settings);
    } catch (error) {
      if (!isRetryable(error)) {
        throw error;
      }
    }
    await new Promise(resolve => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, max);
  }
}

/**
 * Whether a failed request may succeed later: the network, a server error,
 * or anything else that is not a refusal of the request itself.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof JelaiRequestError) {
    return error.status >= 500 || error.status === 429 || error.status === 0;
  }
  return true;
}

/**
 * One keepalive request body and the events it carries.
 */
export interface IKeepaliveChunk {
  events: IEvent[];
  body: string;
  bytes: number;
}

/**
 * Splits events into `{"events": [...]}` bodies of at most `chunkBytes`
 * (UTF-8) each and `budget` together; events that do not fit are left out.
 */
export function keepaliveChunks(
  events: readonly IEvent[],
  chunkBytes: number,
  budget: number
): IKeepaliveChunk[] {
  const chunks: IKeepaliveChunk[] = [];
  let batch: IEvent[] = [];
  let parts: string[] = [];
  let bytes = Private.FRAME;
  let total = 0;
  for (const event of events) {
    const json = JSON.stringify(event);
    const size = utf8Length(json);
    if (batch.length > 0 && bytes + 1 + size > chunkBytes) {
      chunks.push({ events: batch, body: Private.body(parts), bytes });
      total += bytes;
      batch = [];
      parts = [];
      bytes = Private.FRAME;
    }
    const added = size + (batch.length > 0 ? 1 : 0);
    if (total + bytes + added > budget) {
      continue;
    }
    batch.push(event);
    parts.push(json);
    bytes += added;
  }
  if (batch.length > 0) {
    chunks.push({ events: batch, body: Private.body(parts), bytes });
  }
  return chunks;
}

/**
 * Bytes of a string in UTF-8.
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) {
      bytes += 1;
    } else if (code < 0x800) {
      bytes += 2;
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else {
      bytes += 3;
    }
  }
  return bytes;
}

namespace Private {
  /** Bytes of `{"events":[]}` around the events. */
  export const FRAME = '{"events":[]}'.length;

  /** A batch body from serialised events. */
  export function body(parts: string[]): string {
    return `{"events":[${parts.join(',')}]}`;
  }

  /**
   * The last value of a cookie, as tornado reads it (see ServerConnection).
   */
  export function cookie(name: string): string | undefined {
    let all = '';
    try {
      all = document.cookie;
    } catch {
      return undefined;
    }
    let value: string | undefined;
    for (const part of all.split(';')) {
      const trimmed = part.trim();
      if (trimmed.startsWith(`${name}=`)) {
        value = trimmed.substring(name.length + 1);
      }
    }
    return value;
  }
}
