import type { IEvent } from '../tokens';
import type { HintLevel } from './types';

/**
 * Event type of a hint request; the model gateway records it when the
 * request reaches it, the page keeps its own copy for the ladder.
 */
export const TUTOR_HINT_EVENT = 'tutor.hint';

/**
 * One rung of the hint ladder; what the model is told at each rung is the
 * gateway's (`jelai/gateway/prompt.py`).
 */
export interface IHintLevel {
  level: HintLevel;
  name: 'nudge' | 'concept' | 'pointer';
}

/**
 * The hint ladder: a nudge first, then the concept, then a concrete pointer.
 */
export const HINT_LEVELS: readonly IHintLevel[] = [
  { level: 1, name: 'nudge' },
  { level: 2, name: 'concept' },
  { level: 3, name: 'pointer' }
];

/**
 * After this long without a hint on a cell, its hints start again at a nudge.
 */
export const HINT_RESET_MS = 30 * 60 * 1000;

/**
 * The level of the next hint on a cell: one more than the hints asked on it
 * since it last ran without error, at most 3. A pause longer than
 * `HINT_RESET_MS` between hints starts the ladder again.
 */
export function nextHintLevel(
  events: readonly IEvent[],
  cellId: string,
  now: Date,
  resetAfterMs: number = HINT_RESET_MS
): HintLevel {
  const limit = now.getTime();
  const seen = new Set<string>();
  const hints: number[] = [];
  let lastSuccess = -Infinity;
  for (const event of events) {
    if (event.cell?.id !== cellId || seen.has(event.id)) {
      continue;
    }
    seen.add(event.id);
    const t = Date.parse(event.time);
    if (Number.isNaN(t) || t > limit) {
      continue;
    }
    if (event.type === TUTOR_HINT_EVENT) {
      hints.push(t);
    } else if (event.type === 'cell.execute' && event.data.success === true) {
      lastSuccess = Math.max(lastSuccess, t);
    }
  }
  hints.sort((a, b) => b - a);
  // Count back from now while the hints follow each other closely enough.
  let given = 0;
  let after = limit;
  for (const t of hints) {
    if (t <= lastSuccess || after - t > resetAfterMs) {
      break;
    }
    given += 1;
    after = t;
  }
  return Math.min(3, given + 1) as HintLevel;
}

/**
 * The rung of the ladder for a level.
 */
export function hintLevel(level: HintLevel): IHintLevel {
  return HINT_LEVELS[Math.min(3, Math.max(1, level)) - 1];
}

/**
 * The `data` of the `tutor.hint` event recorded for a hint request.
 */
export function hintEventData(level: HintLevel): {
  level: HintLevel;
  name: string;
} {
  return { level, name: hintLevel(level).name };
}
