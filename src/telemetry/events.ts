import type * as nbformat from '@jupyterlab/nbformat';
import { v7 as uuidv7 } from 'uuid';

import {
  ICellRef,
  IEvent,
  IEventContext,
  ITelemetryConfig,
  SCHEMA_VERSION
} from '../tokens';

/**
 * The text of one output, as recorded in `cell.execute` events.
 */
export interface IOutputSummary {
  output_type: string;
  text?: string;
}

/**
 * An error raised by a cell, as recorded in `cell.execute` events.
 */
export interface IErrorSummary {
  name: string;
  value: string;
  traceback: string[];
}

/**
 * Builds one event envelope with a fresh id and the current time.
 *
 * The id is a UUIDv7, which starts with the event's time: ids of one
 * session's events sort together, so the server's id index grows at its end
 * instead of touching a random page per event.
 */
export function createEvent(
  type: string,
  data: Record<string, unknown>,
  session: string,
  context: IEventContext = {},
  time: Date = new Date()
): IEvent {
  return {
    schema_version: SCHEMA_VERSION,
    id: uuidv7({ msecs: time.getTime() }),
    time: time.toISOString(),
    session,
    notebook: context.notebook ?? null,
    kernel: context.kernel ?? null,
    type,
    cell: context.cell ?? null,
    data
  };
}

/**
 * Why an envelope would be refused by the server, or null if it would not.
 */
export function checkEnvelope(event: IEvent): string | null {
  if (!Private.TYPE.test(event.type) || event.type.length > 64) {
    return `type "${event.type}" is not dotted lowercase (e.g. "chat.exchange")`;
  }
  if (event.notebook !== null && event.notebook.length > 1024) {
    return 'notebook path is longer than 1024 characters';
  }
  if (event.cell !== null && event.cell.id.length > 128) {
    return 'cell id is longer than 128 characters';
  }
  if (event.session.length < 1 || event.session.length > 64) {
    return 'session id must have 1 to 64 characters';
  }
  return null;
}

/**
 * Cuts `text` to at most `max` UTF-16 units without splitting a surrogate pair.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) {
    return text;
  }
  let end = Math.max(max, 0);
  const code = text.charCodeAt(end - 1);
  if (end > 0 && code >= 0xd800 && code <= 0xdbff) {
    end -= 1;
  }
  return text.slice(0, end);
}

/**
 * The `data` of an event as the instructor's policy allows it to be recorded,
 * or null when the event is not recorded at all.
 *
 * It mirrors the server's policy (`jelai/events.py`), so what the browser
 * shows other plugins is what ends up in the store: switched-off fields are
 * left out, every string is cut to `max_text_length` and the cut ones are
 * named in `truncated`.
 */
export function applyPolicy(
  type: string,
  data: Record<string, unknown>,
  config: ITelemetryConfig
): Record<string, unknown> | null {
  if (!config.enabled) {
    return null;
  }
  if (config.event_types !== null && !config.event_types.includes(type)) {
    return null;
  }
  const result: Record<string, unknown> = { ...data };
  if (!config.log_source && type.startsWith('cell.')) {
    delete result.source;
  }
  if (!config.log_clipboard && type.startsWith('clipboard.')) {
    delete result.text;
  }
  const cut: string[] = [];
  if (type === 'cell.execute') {
    if (!config.log_outputs) {
      delete result.outputs;
    } else if (
      Array.isArray(result.outputs) &&
      result.outputs.length > config.max_outputs
    ) {
      result.outputs = result.outputs.slice(0, Math.max(config.max_outputs, 0));
      cut.push('outputs');
    }
  }
  const limited = Private.cut(
    result,
    Math.max(config.max_text_length, 0),
    '',
    cut
  ) as Record<string, unknown>;
  if (cut.length > 0) {
    const already = Array.isArray(limited.truncated)
      ? (limited.truncated as string[])
      : [];
    limited.truncated = [...already, ...cut.filter(n => !already.includes(n))];
  }
  return limited;
}

/**
 * The text of each output: streams, results and displays (`text/plain`) and
 * errors (`name: value`).
 */
export function summariseOutputs(
  outputs: readonly nbformat.IOutput[]
): IOutputSummary[] {
  return outputs.map(output => {
    const summary: IOutputSummary = { output_type: output.output_type };
    const text = Private.outputText(output);
    if (text !== null) {
      summary.text = text;
    }
    return summary;
  });
}

/**
 * The first error among the outputs of a cell, or null.
 */
export function errorFromOutputs(
  outputs: readonly nbformat.IOutput[]
): IErrorSummary | null {
  for (const output of outputs) {
    if (output.output_type === 'error') {
      const error = output as nbformat.IError;
      return {
        name: String(error.ename ?? ''),
        value: String(error.evalue ?? ''),
        traceback: Array.isArray(error.traceback)
          ? error.traceback.map(String)
          : []
      };
    }
  }
  return null;
}

/**
 * A cell type as the envelope names it (`code`, `markdown`, `raw`), or null.
 */
export function cellKind(type: string | undefined): ICellRef['type'] {
  return type === 'code' || type === 'markdown' || type === 'raw' ? type : null;
}

/**
 * How many lines a text has (0 for the empty text).
 */
export function countLines(text: string): number {
  return text === '' ? 0 : text.split('\n').length;
}

namespace Private {
  /** The envelope's `type` pattern (see `event.v1.json`). */
  export const TYPE = /^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/;

  /**
   * `value` with every string longer than `limit` cut, their paths in `cut`.
   */
  export function cut(
    value: unknown,
    limit: number,
    path: string,
    names: string[]
  ): unknown {
    if (typeof value === 'string') {
      if (value.length > limit) {
        names.push(path);
        return truncate(value, limit);
      }
      return value;
    }
    if (Array.isArray(value)) {
      return value.map((item, i) => cut(item, limit, `${path}[${i}]`, names));
    }
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        out[key] =
          key === 'truncated'
            ? item
            : cut(item, limit, path ? `${path}.${key}` : key, names);
      }
      return out;
    }
    return value;
  }

  /**
   * The text an output shows, or null for outputs without text.
   */
  export function outputText(output: nbformat.IOutput): string | null {
    switch (output.output_type) {
      case 'stream':
        return multiline((output as nbformat.IStream).text);
      case 'execute_result':
      case 'display_data': {
        const data = (output as nbformat.IExecuteResult).data ?? {};
        const plain = data['text/plain'];
        return plain === undefined ? null : multiline(plain);
      }
      case 'error': {
        const error = output as nbformat.IError;
        return `${error.ename}: ${error.evalue}`;
      }
      default:
        return null;
    }
  }

  /** Text stored as a string or as a list of lines. */
  export function multiline(value: unknown): string {
    return Array.isArray(value) ? value.join('') : String(value ?? '');
  }
}
