import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { JelaiRequestError } from '../api';

/**
 * What to download from `GET /jelai/export`.
 */
export interface IExportOptions {
  format: 'jsonl' | 'csv';
  /** Only this notebook's events. */
  notebook?: string | null;
  /** A date (`2024-03-01`) or ISO time, UTC; only events from then. */
  since?: string | null;
  /** A date (the whole day included) or ISO time, UTC; only events before. */
  until?: string | null;
  /** Replace user names with keyed pseudonyms. */
  pseudonymise?: boolean;
}

/**
 * The export route's query for the options (empty filters left out).
 */
export function exportQuery(options: IExportOptions): string {
  const query = new URLSearchParams({ format: options.format });
  for (const name of ['notebook', 'since', 'until'] as const) {
    const value = options[name];
    if (value) {
      query.set(name, value);
    }
  }
  if (options.pseudonymise) {
    query.set('pseudonymise', '1');
  }
  return query.toString();
}

/**
 * The file name a `Content-Disposition` header gives, else the fallback;
 * never a path.
 */
export function dispositionFilename(
  header: string | null,
  fallback: string
): string {
  const encoded = header?.match(/filename\*\s*=\s*[^']*'[^']*'([^;]+)/i);
  const plain = header?.match(/filename\s*=\s*(?:"([^"]*)"|([^;]+))/i);
  let name: string | undefined;
  if (encoded) {
    try {
      name = decodeURIComponent(encoded[1].trim());
    } catch {
      name = undefined;
    }
  }
  name = name ?? plain?.[1] ?? plain?.[2]?.trim();
  const base = name?.split(/[\\/]/).pop();
  return base && base !== '.' && base !== '..' ? base : fallback;
}

/**
 * Downloads an export through the server (with the user's token) and hands
 * it to the browser as a file; resolves with the file's name.
 */
export async function downloadExport(
  options: IExportOptions,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<string> {
  const url = URLExt.join(settings.baseUrl, 'jelai', 'export');
  const response = await ServerConnection.makeRequest(
    `${url}?${exportQuery(options)}`,
    { method: 'GET' },
    settings
  );
  if (!response.ok) {
    throw await Private.error(response);
  }
  const blob = await response.blob();
  const filename = dispositionFilename(
    response.headers.get('Content-Disposition'),
    `jelai-events.${options.format}`
  );
  const href = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = href;
  link.download = filename;
  link.hidden = true;
  document.body.appendChild(link);
  try {
    link.click();
  } finally {
    link.remove();
    // The browser reads the blob after the click returns.
    setTimeout(() => URL.revokeObjectURL(href), 60_000);
  }
  return filename;
}

namespace Private {
  /** The server's JSON error (`{"error": ..., "field": ...}`) as an Error. */
  export async function error(response: Response): Promise<JelaiRequestError> {
    const text = await response.text();
    let body: { error?: string; field?: string } = {};
    try {
      body = JSON.parse(text);
    } catch {
      body = { error: text };
    }
    return new JelaiRequestError(
      body.error || response.statusText,
      response.status,
      body.field ?? null
    );
  }
}
