import { DEFAULT_BUDGET_TOKENS, estimateMessages, fitToBudget } from './budget';
import { errorSummary, findLastError, ILastError, stripAnsi } from './errors';
import {
  activeTime,
  cellNumbers,
  IDLE_GAP_MS,
  makeClock,
  ITimedEvent,
  prepareEvents
} from './log';
import { IActivePart, IErrorPart, INeighbourPart, LIMITS } from './parts';
import { Prompt } from './prompt';
import { clipLines, fence, formatDuration, splitLines } from './text';
import { buildTimeline, formatTimeline } from './timeline';
import type { ICellSnapshot, IContextInput, IContextResult } from './types';

/**
 * Builds the messages the page sends for one question: the conversation so
 * far, then one user message with the context block (notebook, active cell,
 * last error, recent actions, cells around, time spent) and the question,
 * all within the token budget (trimmed in the order of `TRIM_STEPS`). The
 * model gateway puts the tutor's instructions before them.
 */
export function buildContext(input: IContextInput): IContextResult {
  const budget =
    input.budgetTokens ?? input.settings.budgetTokens ?? DEFAULT_BUDGET_TOKENS;
  const { notebook, now } = input;
  const events = prepareEvents(input.events, notebook.path, now);
  const numbers = cellNumbers(notebook.cells);
  const clock = makeClock(now, input.timeZone);
  const activeIndex = notebook.cells.findIndex(
    c => c.id === input.activeCellId
  );
  const lastError = findLastError(
    events,
    notebook.cells,
    input.activeCellId,
    numbers
  );
  const timeline = buildTimeline(events, {
    numbers,
    maxEntries: LIMITS.timeline
  });

  const prompt = new Prompt(
    {
      notebook: Private.header(input, events, clock(now.getTime())),
      active:
        activeIndex < 0
          ? null
          : Private.active(notebook.cells[activeIndex], activeIndex, lastError),
      error: lastError
        ? Private.error(lastError, input.activeCellId, clock)
        : null,
      timeline: formatTimeline(timeline, clock),
      neighbours:
        activeIndex < 0 ? [] : Private.neighbours(notebook.cells, activeIndex),
      conversation: input.conversation.map(turn => ({ ...turn })),
      question: input.questionApart ? input.question : input.question.trim()
    },
    { questionApart: input.questionApart }
  );
  const trimSteps = fitToBudget(prompt, budget);
  const messages = prompt.messages();
  const estimatedTokens = estimateMessages(messages);
  return {
    messages,
    sections: prompt.report(),
    trimSteps,
    estimatedTokens,
    budgetTokens: budget,
    overBudget: estimatedTokens > budget,
    contextWindow: input.settings.contextWindow ?? null,
    notes: [...(input.settings.contextNotes ?? [])]
  };
}

namespace Private {
  /** Notebook, kernel, local time and time spent. */
  export function header(
    input: IContextInput,
    events: readonly ITimedEvent[],
    time: string
  ): string {
    const { path, kernelName, cells } = input.notebook;
    const kernel = kernelName ? `kernel ${kernelName}` : 'no kernel';
    const spent = events.length
      ? `; time on this notebook: ${formatDuration(activeTime(events, input.now))} ` +
        `(pauses over ${formatDuration(IDLE_GAP_MS)} not counted)`
      : '';
    return [
      `Notebook: ${path} (${kernel}, ${cells.length} cells)`,
      `Local time: ${time}${spent}`
    ].join('\n');
  }

  /** The active cell with its current output and error. */
  export function active(
    cell: ICellSnapshot,
    index: number,
    lastError: ILastError | null
  ): IActivePart {
    const error = cell.error ? errorSummary(cell.error) : null;
    return {
      number: index + 1,
      type: cell.type,
      executionCount: cell.type === 'code' ? cell.executionCount : null,
      source: splitLines(cell.source),
      output: splitLines(stripAnsi(cell.outputs)),
      error,
      errorIsLast:
        !!error &&
        lastError?.cellId === cell.id &&
        lastError.name === cell.error?.name
    };
  }

  /** The last error, with the source that raised it when another cell did. */
  export function error(
    e: ILastError,
    activeCellId: string | null,
    clock: (ms: number) => string
  ): IErrorPart {
    const cell = e.cellNumber === null ? 'a cell' : `cell ${e.cellNumber}`;
    return {
      where: e.time === null ? cell : `${cell} at ${clock(e.time)}`,
      summary: errorSummary(e),
      traceback: e.traceback,
      source:
        e.source !== null && e.cellId !== activeCellId
          ? splitLines(e.source)
          : null,
      resolved:
        e.resolvedAt === null
          ? null
          : `The cell ran without error afterwards, at ${clock(e.resolvedAt)}.`
    };
  }

  /** Cells above and below the active one; the nearest rank first, below before above. */
  export function neighbours(
    cells: readonly ICellSnapshot[],
    index: number
  ): INeighbourPart[] {
    const out: INeighbourPart[] = [];
    const add = (i: number, distance: number, below: boolean) => {
      const cell = cells[i];
      if (!cell || !cell.source.trim()) {
        return;
      }
      const count =
        cell.type === 'code' && cell.executionCount !== null
          ? `, ran as [${cell.executionCount}]`
          : '';
      out.push({
        number: i + 1,
        // Cells above usually define what the active cell uses: keep them longer.
        rank: distance * 2 + (below ? 1 : 0),
        text: `### Cell ${i + 1} (${cell.type}${count})\n${fence(
          clipLines(splitLines(cell.source), LIMITS.neighbour)
        )}`
      });
    };
    for (let d = 1; d <= LIMITS.neighboursAbove; d++) {
      add(index - d, d, false);
    }
    for (let d = 1; d <= LIMITS.neighboursBelow; d++) {
      add(index + d, d, true);
    }
    return out;
  }
}
