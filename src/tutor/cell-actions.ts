import { TranslationBundle } from '@jupyterlab/translation';
import { errorSummary } from '../context';
import { ITutor } from '../tokens';
import type { ICellTarget } from './notebooks';

/**
 * What the cell actions use: the tutor they ask, and the translations.
 */
export interface ICellActionsContext {
  tutor: Pick<ITutor, 'ask' | 'nextHintLevel'>;
  trans: TranslationBundle;
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
  level: ITutor.HintLevel,
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
  return context.tutor.ask(errorQuestion(target, context.trans), {
    notebook: target.notebook,
    cell: target.cell
  });
}

/**
 * Asks the tutor to explain a cell.
 */
export function explainCell(
  target: ICellTarget,
  context: ICellActionsContext
): Promise<boolean> {
  return context.tutor.ask(explainQuestion(target, context.trans), {
    notebook: target.notebook,
    cell: target.cell
  });
}

/**
 * Asks for the next hint on a cell: one level more than the hints already
 * asked on it (the tutor's `nextHintLevel`); the level is in the question
 * and in the request, so the gateway words the hint and records it.
 */
export async function askForHint(
  target: ICellTarget,
  context: ICellActionsContext
): Promise<ITutor.HintLevel> {
  const { tutor, trans } = context;
  const level = await tutor.nextHintLevel(target.notebook, target.cell.id);
  await tutor.ask(hintRequestQuestion(target, level, trans), {
    notebook: target.notebook,
    cell: target.cell,
    hint: level
  });
  return level;
}
