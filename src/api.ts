import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * An error answered by a `/jelai/*` endpoint, with the field it names.
 */
export class JelaiRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly field: string | null = null
  ) {
    super(message);
    this.name = 'JelaiRequestError';
  }
}

/**
 * Calls a `/jelai/<endpoint>` route and returns its JSON answer.
 *
 * Errors come back as `JelaiRequestError`; a server that cannot be reached
 * throws `ServerConnection.NetworkError`.
 */
export async function requestAPI<T>(
  endpoint: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, 'jelai', endpoint);
  const response = await ServerConnection.makeRequest(url, init, settings);
  const text = await response.text();
  let body: any = null; // JSON of any shape; narrowed by the caller's T
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = { error: text };
    }
  }
  if (!response.ok) {
    throw new JelaiRequestError(
      body?.error ?? body?.message ?? response.statusText,
      response.status,
      body?.field ?? null
    );
  }
  return body as T;
}
