import { clipLines, fence } from './text';
import type { IChatTurn, SectionName } from './types';

/**
 * Line limits of each part, before and while trimming.
 */
export const LIMITS = {
  source: 80,
  sourceShort: 30,
  sourceMin: 8,
  output: 30,
  outputShort: 10,
  traceback: 60,
  tracebackShort: 12,
  errorSource: 15,
  neighbour: 15,
  neighboursAbove: 3,
  neighboursBelow: 2,
  timeline: 40,
  turns: 20,
  turnChars: 4000,
  questionMinChars: 200
};

/**
 * The active cell, ready to render.
 */
export interface IActivePart {
  number: number;
  type: string;
  executionCount: number | null;
  source: string[];
  output: string[];
  /** `KeyError: 'price'` when its last run raised. */
  error: string | null;
  /** Whether that error is the one shown under "Last error". */
  errorIsLast: boolean;
}

/**
 * The last error, ready to render.
 */
export interface IErrorPart {
  /** `cell 4 at 14:05`. */
  where: string;
  summary: string;
  traceback: string[];
  /** Source that raised it, when it is not the active cell. */
  source: string[] | null;
  /** `The cell ran without error afterwards, at 14:06.` */
  resolved: string | null;
}

/**
 * A cell near the active one; the lowest `rank` is kept longest.
 */
export interface INeighbourPart {
  number: number;
  rank: number;
  text: string;
}

/**
 * Every part of the prompt.
 */
export interface IPromptParts {
  notebook: string;
  active: IActivePart | null;
  error: IErrorPart | null;
  timeline: string[];
  neighbours: INeighbourPart[];
  conversation: IChatTurn[];
  question: string;
}

/**
 * How far the parts that shrink in place have been shrunk.
 */
export interface IPartLevels {
  error: 'full' | 'short' | 'line' | 'none';
  output: 'full' | 'short' | 'none';
  source: 'full' | 'short' | 'min';
}

/**
 * The levels of each shrinking part, largest first.
 */
export const LEVEL_ORDER: { [K in keyof IPartLevels]: IPartLevels[K][] } = {
  error: ['full', 'short', 'line', 'none'],
  output: ['full', 'short', 'none'],
  source: ['full', 'short', 'min']
};

/**
 * One part as text at the given levels; empty when it has nothing to show.
 */
export function renderPart(
  name: SectionName,
  p: IPromptParts,
  levels: IPartLevels
): string {
  switch (name) {
    case 'notebook':
      return p.notebook;
    case 'question':
      return p.question;
    case 'conversation':
      return p.conversation.map(turn => turn.content).join('\n');
    case 'active':
      return p.active ? Private.active(p.active, levels) : '';
    case 'error':
      return p.error ? Private.error(p.error, levels.error) : '';
    case 'timeline':
      return p.timeline.length
        ? [
            '## Recent actions (oldest first)',
            ...p.timeline.map(l => `- ${l}`)
          ].join('\n')
        : '';
    case 'neighbours':
      return p.neighbours.length
        ? [
            '## Cells around the active one',
            ...p.neighbours
              .slice()
              .sort((a, b) => a.number - b.number)
              .map(n => n.text)
          ].join('\n')
        : '';
  }
}

namespace Private {
  /** The active cell: source, output and whether it raised. */
  export function active(a: IActivePart, levels: IPartLevels): string {
    const max = {
      full: LIMITS.source,
      short: LIMITS.sourceShort,
      min: LIMITS.sourceMin
    };
    const run =
      a.executionCount === null ? '' : `, ran as [${a.executionCount}]`;
    const out = [
      `## Active cell: cell ${a.number} (${a.type}${run})`,
      fence(clipLines(a.source, max[levels.source]))
    ];
    if (a.type === 'code' && a.output.length && levels.output !== 'none') {
      const limit =
        levels.output === 'full' ? LIMITS.output : LIMITS.outputShort;
      out.push('Output:', fence(clipLines(a.output, limit)));
    }
    if (a.error) {
      const see = a.errorIsLast ? ' (see "Last error")' : '';
      out.push(`Its last run raised ${a.error}${see}.`);
    } else if (a.type === 'code' && a.executionCount === null) {
      out.push('It has not been run.');
    }
    return out.join('\n');
  }

  /** The last error: traceback (head and tail), or its one line. */
  export function error(e: IErrorPart, level: IPartLevels['error']): string {
    if (level === 'none') {
      return '';
    }
    const out = [`## Last error: ${e.where}`];
    if (level === 'line') {
      out.push(e.summary);
    } else {
      const limit = level === 'full' ? LIMITS.traceback : LIMITS.tracebackShort;
      out.push(fence(clipLines(e.traceback, limit, 0.3)));
      if (e.source && level === 'full') {
        out.push(
          'Source that raised it:',
          fence(clipLines(e.source, LIMITS.errorSource))
        );
      }
    }
    if (e.resolved) {
      out.push(e.resolved);
    }
    return out.join('\n');
  }
}
