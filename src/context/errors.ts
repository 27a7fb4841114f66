import type { ITimedEvent } from './log';
import { executionOutcome } from './outcome';
import type { ICellSnapshot, IErrorInfo } from './types';

/**
 * The error the student hit last, cleaned for the prompt.
 */
export interface ILastError {
  cellId: string | null;
  /** 1-based cell number as the student sees it, or null. */
  cellNumber: number | null;
  /** When it was raised (ms since the epoch), or null when only the notebook shows it. */
  time: number | null;
  name: string;
  value: string;
  /** Traceback lines without ANSI codes; at least the `name: value` line. */
  traceback: string[];
  /** The source that raised it, when an event recorded it. */
  source: string | null;
  /** When that cell later ran without error, or null. */
  resolvedAt: number | null;
}

/**
 * Text with ANSI terminal codes (colours, cursor moves, links) removed.
 */
export function stripAnsi(text: string): string {
  return text.replace(Private.ANSI, '');
}

/**
 * The traceback of an error as clean lines: ANSI stripped, never empty.
 */
export function tracebackLines(error: IErrorInfo): string[] {
  const raw = (error.traceback ?? []).join('\n');
  const lines = stripAnsi(raw)
    .split('\n')
    .map(line => line.replace(/\s+$/, ''));
  while (lines.length && !lines[0]) {
    lines.shift();
  }
  while (lines.length && !lines[lines.length - 1]) {
    lines.pop();
  }
  const summary = errorSummary(error);
  if (!lines.length || !lines[lines.length - 1].includes(error.name)) {
    lines.push(summary);
  }
  return lines;
}

/**
 * The one-line form of an error, as Python prints it: `KeyError: 'price'`.
 */
export function errorSummary(error: IErrorInfo): string {
  const value = stripAnsi(error.value ?? '').trim();
  return value ? `${error.name}: ${value}` : error.name;
}

/**
 * The error raised last: from the newest execution event whose outcome is
 * `error` (interrupts and skipped cells are not errors), else from
 * the active cell's outputs, else from the cell that ran last with an error.
 */
export function findLastError(
  events: readonly ITimedEvent[],
  cells: readonly ICellSnapshot[],
  activeCellId: string | null,
  numbers: ReadonlyMap<string, number>
): ILastError | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const { event, t } = events[i];
    if (event.type !== 'cell.execute') {
      continue;
    }
    // An interrupt, a skipped cell or a lost kernel is no error of the code.
    const error = Private.asError(event.data.error);
    if (executionOutcome(event.data) !== 'error' || !error) {
      continue;
    }
    const cellId = event.cell?.id ?? null;
    let resolvedAt: number | null = null;
    for (let j = i + 1; j < events.length && cellId; j++) {
      const later = events[j].event;
      if (
        later.type === 'cell.execute' &&
        later.cell?.id === cellId &&
        executionOutcome(later.data) === 'ok'
      ) {
        resolvedAt = events[j].t;
        break;
      }
    }
    const index = event.cell?.index;
    return {
      cellId,
      cellNumber:
        (cellId ? numbers.get(cellId) : undefined) ??
        (typeof index === 'number' ? index + 1 : null),
      time: t,
      name: error.name,
      value: error.value,
      traceback: tracebackLines(error),
      source: typeof event.data.source === 'string' ? event.data.source : null,
      resolvedAt
    };
  }
  const failing = cells.filter(cell => cell.error);
  const cell =
    failing.find(c => c.id === activeCellId) ??
    failing.reduce<ICellSnapshot | null>(
      (best, c) =>
        !best || (c.executionCount ?? -1) > (best.executionCount ?? -1)
          ? c
          : best,
      null
    );
  if (!cell || !cell.error) {
    return null;
  }
  return {
    cellId: cell.id,
    cellNumber: numbers.get(cell.id) ?? null,
    time: null,
    name: cell.error.name,
    value: cell.error.value,
    traceback: tracebackLines(cell.error),
    source: null,
    resolvedAt: null
  };
}

namespace Private {
  /** CSI sequences (colours, cursor) and OSC sequences (titles, links). */
  export const ANSI =
    // eslint-disable-next-line no-control-regex
    /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

  /** The `error` field of an execute event, if it has the expected shape. */
  export function asError(value: unknown): IErrorInfo | null {
    if (!value || typeof value !== 'object') {
      return null;
    }
    const error = value as Record<string, unknown>;
    if (typeof error.name !== 'string') {
      return null;
    }
    return {
      name: error.name,
      value: typeof error.value === 'string' ? error.value : '',
      traceback: Array.isArray(error.traceback)
        ? error.traceback.filter((l): l is string => typeof l === 'string')
        : []
    };
  }
}
