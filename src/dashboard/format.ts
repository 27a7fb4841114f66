import type { TranslationBundle } from '@jupyterlab/translation';
import type { IErrorCount } from './types';

/**
 * A duration in words a person reads at a glance: "45 s", "12 min", "2 h 5 min".
 */
export function formatDuration(
  seconds: number,
  trans: TranslationBundle
): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) {
    return trans.__('%1 s', whole);
  }
  const minutes = Math.round(whole / 60);
  if (minutes < 60) {
    return trans.__('%1 min', minutes);
  }
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? trans.__('%1 h %2 min', hours, rest) : trans.__('%1 h', hours);
}

/**
 * A rate between 0 and 1 as a whole percentage.
 */
export function formatPercent(rate: number): string {
  return `${Math.round(rate * 100)}%`;
}

/**
 * An ISO time in the reader's locale; today's times without the date.
 */
export function formatTime(iso: string | null, now: Date = new Date()): string {
  if (!iso) {
    return '—';
  }
  const time = new Date(iso);
  if (isNaN(time.getTime())) {
    return iso;
  }
  const sameDay = time.toDateString() === now.toDateString();
  return sameDay
    ? time.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : time.toLocaleString(undefined, {
        dateStyle: 'medium',
        timeStyle: 'short'
      });
}

/**
 * The most frequent errors as one short line: "KeyError ×3, NameError ×1".
 */
export function formatErrors(errors: readonly IErrorCount[]): string {
  return errors.map(error => `${error.name} ×${error.count}`).join(', ');
}

/**
 * A notebook's file name without its folders; events outside a notebook
 * have none.
 */
export function notebookName(
  path: string | null,
  trans: TranslationBundle
): string {
  if (!path) {
    return trans.__('(outside a notebook)');
  }
  return path.split('/').pop() || path;
}

/**
 * Names a cell of a notebook for people (its position when the notebook is
 * open, for example); null when it cannot.
 */
export type CellLabeller = (
  notebook: string | null,
  cellId: string | null
) => string | null;

/**
 * A cell's name: the labeller's, else the start of its id.
 */
export function cellName(
  notebook: string | null,
  cellId: string | null,
  trans: TranslationBundle,
  labeller?: CellLabeller | null
): string {
  const label = labeller?.(notebook, cellId);
  if (label) {
    return label;
  }
  return cellId ? trans.__('cell %1', cellId.slice(0, 8)) : trans.__('a cell');
}
