import { errorSummary } from './errors';
import { eventCellNumber, ITimedEvent } from './log';
import { executionOutcome } from './outcome';
import { formatDuration, ordinal, times } from './text';

/**
 * One line of the timeline of recent actions.
 */
export interface ITimelineEntry {
  /** When it started and ended, ms since the epoch. */
  start: number;
  end: number;
  /** The action in plain words, without the time. */
  text: string;
}

/**
 * Options of `buildTimeline`.
 */
export interface ITimelineOptions {
  /** Cell numbers as the student sees them now, by cell id. */
  numbers: ReadonlyMap<string, number>;
  /** Most entries returned (the newest). */
  maxEntries?: number;
}

/**
 * Gap under which repeated actions of one kind collapse into one line.
 */
export const BURST_GAP_MS = 2 * 60 * 1000;

/**
 * Failures of one cell further apart than this do not count as a streak.
 */
export const STREAK_WINDOW_MS = 30 * 60 * 1000;

/**
 * The student's recent actions in plain words, oldest first, bursts collapsed.
 */
export function buildTimeline(
  events: readonly ITimedEvent[],
  options: ITimelineOptions
): ITimelineEntry[] {
  const maxEntries = options.maxEntries ?? 40;
  // Enough raw events for the newest entries and the failure streaks they mention.
  const from = Math.max(0, events.length - Math.max(400, maxEntries * 20));
  const builder = new Private.Builder(options.numbers);
  for (let i = from; i < events.length; i++) {
    builder.add(events[i]);
  }
  return builder.entries.slice(-maxEntries).map(d => ({
    start: d.start,
    end: d.end,
    text: Private.render(d)
  }));
}

/**
 * Timeline entries as lines: `14:02 ran cell 5`, or `14:02-14:05 edited cell 5 (+12 chars)`.
 */
export function formatTimeline(
  entries: readonly ITimelineEntry[],
  clock: (ms: number) => string
): string[] {
  return entries.map(entry => {
    const start = clock(entry.start);
    const end = clock(entry.end);
    return `${start === end ? start : `${start}-${end}`} ${entry.text}`;
  });
}

namespace Private {
  /** A timeline line being built; newer actions with the same key merge into it. */
  export type Draft = {
    key: string;
    start: number;
    end: number;
    count: number;
  } & (
    | { kind: 'run'; cells: (number | null)[] }
    | {
        kind: 'cells';
        cells: (number | null)[];
        words: (several: boolean) => string;
      }
    | { kind: 'edit'; cell: string; delta: number }
    | { kind: 'fail'; cell: string; summary: string; tail: string }
    | { kind: 'text'; text: (count: number) => string; merges: boolean }
  );

  /** Folds `next` into `last` when they are one burst; false to start a new line. */
  export function merge(last: Draft, next: Draft): boolean {
    if (last.key !== next.key || next.start - last.end > BURST_GAP_MS) {
      return false;
    }
    if (
      (last.kind === 'run' && next.kind === 'run') ||
      (last.kind === 'cells' && next.kind === 'cells')
    ) {
      last.cells.push(...next.cells);
    } else if (last.kind === 'edit' && next.kind === 'edit') {
      last.delta += next.delta;
    } else if (last.kind === 'fail' && next.kind === 'fail') {
      last.tail = next.tail;
    } else if (last.kind !== 'text' || !last.merges) {
      return false;
    }
    last.end = next.end;
    last.count += next.count;
    return true;
  }

  /** The words of a line. */
  export function render(d: Draft): string {
    switch (d.kind) {
      case 'run':
        return describeRuns(d.cells);
      case 'cells':
        return `${describeCells(d.cells)} ${d.words(distinctCells(d.cells).length > 1)}`;
      case 'edit': {
        const sign = d.delta > 0 ? '+' : '';
        return `edited ${d.cell}${d.delta ? ` (${sign}${d.delta} chars)` : ''}`;
      }
      case 'fail':
        return `ran ${d.cell}${times(d.count)}: ${d.summary}${d.tail}`;
      case 'text':
        return d.text(d.count);
    }
  }

  /** Turns events into drafts, merging bursts and counting failure streaks. */
  export class Builder {
    constructor(numbers: ReadonlyMap<string, number>) {
      this._numbers = numbers;
    }

    readonly entries: Draft[] = [];

    add(timed: ITimedEvent): void {
      const draft = this._draft(timed);
      if (!draft) {
        return;
      }
      const last = this.entries[this.entries.length - 1];
      if (!last || !merge(last, draft)) {
        this.entries.push(draft);
      }
    }

    private _draft({ event, t }: ITimedEvent): Draft | null {
      const n = eventCellNumber(event, this._numbers);
      const cell = n === null ? 'a cell' : `cell ${n}`;
      const cellId = event.cell?.id ?? '';
      const data = event.data;
      const at = { start: t, end: t, count: 1 };
      const text = (
        key: string,
        words: (count: number) => string,
        merges = true
      ): Draft => ({
        key,
        ...at,
        kind: 'text',
        text: words,
        merges
      });
      switch (event.type) {
        case 'cell.execute':
          return this._execution(t, cellId, cell, n, data);
        case 'cell.edit': {
          const delta = typeof data.delta === 'number' ? data.delta : 0;
          return { key: `edit:${cellId}`, ...at, kind: 'edit', cell, delta };
        }
        case 'clipboard.paste': {
          const lines = Number(data.lines) || 0;
          const length = Number(data.length) || 0;
          const what = lines > 1 ? `${lines} lines` : `${length} characters`;
          return text('paste', () => `pasted ${what} into ${cell}`, false);
        }
        case 'cell.add':
          return text('add', c =>
            c > 1 ? `added ${c} cells` : `added a cell at position ${n ?? '?'}`
          );
        case 'cell.remove': {
          const index = event.cell?.index;
          const was = typeof index === 'number' ? ` ${index + 1}` : '';
          return text('remove', c =>
            c > 1 ? `deleted ${c} cells` : `deleted cell${was}`
          );
        }
        case 'cell.move': {
          const from = Number(data.from_index) + 1;
          const to = Number(data.to_index) + 1;
          return text(
            'move',
            () => `moved a cell from position ${from} to ${to}`,
            false
          );
        }
        case 'kernel.restart':
          return text('restart', c => `restarted the kernel${times(c)}`);
        case 'kernel.interrupt':
          return text('interrupt', c => `interrupted the kernel${times(c)}`);
        case 'notebook.open':
          return text('open', () => 'opened the notebook');
        case 'notebook.hidden':
          this._hiddenAt = this._hiddenAt ?? t;
          return null;
        case 'notebook.visible': {
          const since = this._hiddenAt;
          this._hiddenAt = null;
          if (since === null || t - since < BURST_GAP_MS) {
            return null;
          }
          const away = formatDuration(t - since);
          return {
            ...text('away', () => `left the notebook for ${away}`, false),
            start: since,
            end: since
          };
        }
        case 'tutor.hint': {
          const level = Number(data.level) || 1;
          return text(
            'hint',
            () => `asked for a hint on ${cell} (level ${level})`,
            false
          );
        }
        default:
          return null;
      }
    }

    /**
     * Only an error counts as a failure; a skipped cell did not run, an
     * interrupt or a lost kernel is told as what it was.
     */
    private _execution(
      t: number,
      cellId: string,
      cell: string,
      n: number | null,
      data: Record<string, unknown>
    ): Draft {
      const at = { start: t, end: t, count: 1 };
      switch (executionOutcome(data)) {
        case 'error':
          return this._failure(t, cellId, cell, data);
        case 'aborted':
          return {
            key: 'aborted',
            ...at,
            kind: 'cells',
            cells: [n],
            words: skippedWords
          };
        case 'no_reply':
          return {
            key: 'no_reply',
            ...at,
            kind: 'cells',
            cells: [n],
            words: noReplyWords
          };
        case 'interrupted':
          return {
            key: `interrupted:${cellId}`,
            ...at,
            kind: 'text',
            text: c => `ran ${cell}${times(c)}: ${INTERRUPTED_WORDS}`,
            merges: true
          };
        case 'ok':
          this._streaks.delete(cellId);
          return { key: 'run', ...at, kind: 'run', cells: [n] };
      }
    }

    private _failure(
      t: number,
      cellId: string,
      cell: string,
      data: Record<string, unknown>
    ): Draft {
      const error = data.error as
        { name?: unknown; value?: unknown } | null | undefined;
      const summary =
        error && typeof error.name === 'string'
          ? errorSummary({ name: error.name, value: String(error.value ?? '') })
          : 'an error';
      let streak = this._streaks.get(cellId);
      if (!streak || t - streak.last > STREAK_WINDOW_MS) {
        streak = { first: t, last: t, count: 0 };
        this._streaks.set(cellId, streak);
      }
      streak.count += 1;
      streak.last = t;
      const tail =
        streak.count > 1
          ? `, the ${ordinal(streak.count)} failure in ${formatDuration(t - streak.first)}`
          : '';
      return {
        key: `fail:${cellId}:${summary}`,
        start: t,
        end: t,
        count: 1,
        kind: 'fail',
        cell,
        summary,
        tail
      };
    }

    private _numbers: ReadonlyMap<string, number>;
    private _streaks = new Map<
      string,
      { first: number; last: number; count: number }
    >();
    private _hiddenAt: number | null = null;
  }

  /** What skipped cells are told as (outcome `aborted`). */
  export function skippedWords(several: boolean): string {
    const them = several ? 'them' : 'it';
    return `not run: the kernel skipped ${them} because an earlier cell failed`;
  }

  /** What cells that got no reply are told as (outcome `no_reply`). */
  export function noReplyWords(several: boolean): string {
    const they = several ? 'they' : 'it';
    return `got no reply: the kernel stopped (died, restarted or disconnected) before ${they} finished`;
  }

  /** What an interrupted run is told as (outcome `interrupted`). */
  export const INTERRUPTED_WORDS =
    'the student interrupted it (KeyboardInterrupt)';

  /** `ran cell 5`, `ran cell 5 3 times`, `ran cells 1-4, 6`. */
  export function describeRuns(cells: readonly (number | null)[]): string {
    const distinct = distinctCells(cells);
    if (distinct.length <= 1) {
      const which = distinct.length ? `cell ${distinct[0]}` : 'a cell';
      return `ran ${which}${times(cells.length)}`;
    }
    return `ran ${describeCells(cells)}`;
  }

  /** `cell 5`, `cells 1-4, 6`, `a cell`, each cell once. */
  export function describeCells(cells: readonly (number | null)[]): string {
    const distinct = distinctCells(cells);
    if (distinct.length <= 1) {
      return distinct.length ? `cell ${distinct[0]}` : 'a cell';
    }
    const ranges: string[] = [];
    let begin = distinct[0];
    for (let i = 1; i <= distinct.length; i++) {
      if (i === distinct.length || distinct[i] !== distinct[i - 1] + 1) {
        const end = distinct[i - 1];
        ranges.push(begin === end ? `${begin}` : `${begin}-${end}`);
        begin = distinct[i];
      }
    }
    return `cells ${ranges.join(', ')}`;
  }

  /** The known cell numbers, each once, in order. */
  export function distinctCells(cells: readonly (number | null)[]): number[] {
    return [...new Set(cells.filter((c): c is number => c !== null))].sort(
      (a, b) => a - b
    );
  }
}
