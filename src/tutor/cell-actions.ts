import { TranslationBundle } from '@jupyterlab/translation';
import {
  errorSummary,
  HintLevel,
  hintEventData,
  nextHintLevel,
  TUTOR_HINT_EVENT
} from '../context';
import { createEvent } from '../telemetry/events';
import { ITelemetry } from '../tokens';
import type { TutorContextProvider } from './context-provider';
import type { ICellTarget } from './notebooks';
import type { IAskOptions } from './request';

/**
 * What the cell actions use: the chat, the telemetry and the context's events.
 */
export interface ICellActionsContext {
  /** Asks the tutor a question about the shown notebook. */
  ask: (question: string, options: IAskOptions) => Promise<boolean>;
  telemetry: Pick<ITelemetry, 'session'>;
  provider: Pick<TutorContextProvider, 'events' | 'remember'>;
  trans: TranslationBundle;
  /** The clock; `new Date()` by default. */
  now?: () => Date;
}

/**
 * The question about a cell's error, e.g. `Why does cell 4 fail with KeyError: 'price'?`
 */
export function errorQuestion(
  target: ICellTarget,
  trans: TranslationBundle
): string {
  const number = target.cell.index + 1;
  return target.error
    ? trans.__(
        'Why does cell %1 fail with %2?',
        number,
        errorSummary(target.error)
      )
    : trans.__('Why does cell %1 fail?', number);
}

/**
 * The question asking to explain a cell, e.g. `Can you explain cell 4?`
 */
export function explainQuestion(
  target: ICellTarget,
  trans: TranslationBundle
): string {
  return trans.__('Can you explain what cell %1 does?', target.cell.index + 1);
}

/**
 * The question asking for a hint, saying its level, e.g. `Give me a hint for cell 4 (hint 2 of 3).`
 */
export function hintRequestQuestion(
  target: ICellTarget,
  level: HintLevel,
  trans: TranslationBundle
): string {
  return trans.__(
    'Give me a hint for cell %1 (hint %2 of 3).',
    target.cell.index + 1,
    level
  );
}

/**
 * Asks the tutor about the error a cell raised.
 */
export function askAboutError(
  target: ICellTarget,
  context: ICellActionsContext
): Promise<boolean> {
  return context.ask(errorQuestion(target, context.trans), {
    cellId: target.cell.id
  });
}

/**
 * Asks the tutor to explain a cell.
 */
export function explainCell(
  target: ICellTarget,
  context: ICellActionsContext
): Promise<boolean> {
  return context.ask(explainQuestion(target, context.trans), {
    cellId: target.cell.id
  });
}

/**
 * Asks for the next hint on a cell: one level more than the hints already
 * asked on it (see `nextHintLevel`). The model gateway records the request
 * as a `tutor.hint` event; this page keeps a copy of it before the question
 * is sent, so the context and the next hint both see it.
 */
export async function askForHint(
  target: ICellTarget,
  context: ICellActionsContext
): Promise<HintLevel> {
  const now = context.now?.() ?? new Date();
  const events = await context.provider.events(target.notebook);
  const level = nextHintLevel(events, target.cell.id, now);
  const data = hintEventData(level);
  const where = {
    notebook: target.notebook,
    kernel: target.kernel,
    cell: target.cell
  };
  // The gateway's record reaches this page only after a reload.
  const event = createEvent(
    TUTOR_HINT_EVENT,
    data,
    context.telemetry.session,
    where,
    now
  );
  context.provider.remember(event);
  await context.ask(hintRequestQuestion(target, level, context.trans), {
    cellId: target.cell.id,
    hint: { level }
  });
  return level;
}
