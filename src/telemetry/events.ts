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
 * `text` cut to at most `max` UTF-16 units keeping its beginning and its end,
 * with `[... N characters omitted ...]` on a line of its own between them;
 * below `MIN_KEPT_ENDS` characters kept, only the beginning is kept.
 *
 * The end of an output or a traceback (the last line printed, the exception)
 * is what a student and the tutor need most. The server keeps the same rule
 * (`jelai/events.py`), counting code points: a browser's result, at most
 * `max` units, is never cut again there.
 */
export function keepEnds(text: string, max: number): string {
  if (text.length <= max) {
    return text;
  }
  // The marker for the whole text is the longest one this cut can need.
  const room = max - Private.marker(text.length).length;
  if (room < MIN_KEPT_ENDS) {
    return truncate(text, max);
  }
  const head = truncate(text, Math.floor(room / 2)).length;
  let start = text.length - (room - Math.floor(room / 2));
  const code = text.charCodeAt(start);
  if (code >= 0xdc00 && code <= 0xdfff) {
    start += 1; // never begin with the second half of a pair
  }
  return text.slice(0, head) + Private.marker(start - head) + text.slice(start);
}

/** Fewest characters kept around the marker for a cut to keep both ends. */
export const MIN_KEPT_ENDS = 20;

/** The `output_type` of the mark left where outputs were omitted. */
export const OMITTED_OUTPUTS = 'omitted';

/**
 * At most `max` outputs: the first and the last ones, with one mark
 * `{output_type: "omitted", omitted: N}` where N were left out; `outputs`
 * itself when it holds no more than `max` (marks already there are kept and
 * added up if outputs are cut again).
 *
 * The last output is often the one that matters: the end of a printing
 * loop, the error.
 */
export function keepOutputs(outputs: unknown[], max: number): unknown[] {
  const real = outputs.filter(output => !Private.isMark(output));
  const limit = Math.max(max, 0);
  if (real.length <= limit) {
    return outputs;
  }
  let earlier = 0;
  for (const output of outputs) {
    const n = Private.isMark(output) ? output.omitted : 0;
    earlier += typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 0;
  }
  const head = Math.floor(limit / 2);
  return [
    ...real.slice(0, head),
    { output_type: OMITTED_OUTPUTS, omitted: real.length - limit + earlier },
    ...real.slice(real.length - (limit - head))
  ];
}

/**
 * The `data` of an event as the instructor's policy allows it to be recorded,
 * or null when the event is not recorded at all.
 *
 * It mirrors the server's policy (`jelai/events.py`), so what the browser
 * shows other plugins is what ends up in the store: switched-off fields are
 * left out, a run keeps its first and last outputs (`keepOutputs`), every
 * string longer than `max_text_length` keeps its beginning and its end
 * (`keepEnds`), and the cut ones are named in `truncated`.
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
    } else if (Array.isArray(result.outputs)) {
      const kept = keepOutputs(result.outputs, config.max_outputs);
      if (kept !== result.outputs) {
        result.outputs = kept;
        cut.push('outputs');
      }
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
        return keepEnds(value, limit);
      }
      return value;
    }
    if (Array.isArray(value)) {
      return value.map((item, i) => cut(item, limit, `${path}[${i}]`, names));
    }
    if (isMark(value)) {
      // The mark of omitted outputs is the policy's own: kept whole, and
      // nothing else rides along in it.
      return { output_type: OMITTED_OUTPUTS, omitted: value.omitted };
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

  /** Whether an output is the mark of omitted outputs. */
  export function isMark(output: unknown): output is { omitted?: unknown } {
    return (
      output !== null &&
      typeof output === 'object' &&
      (output as { output_type?: unknown }).output_type === OMITTED_OUTPUTS
    );
  }

  /** What stands for the `omitted` characters cut out of a text. */
  export function marker(omitted: number): string {
    return `\n[... ${omitted} characters omitted ...]\n`;
  }

  /** Text stored as a string or as a list of lines. */
  export function multiline(value: unknown): string {
    return Array.isArray(value) ? value.join('') : String(value ?? '');
  }
}
