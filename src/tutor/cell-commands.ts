import { INotebookTracker } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { ITutor } from '../tokens';
import {
  askAboutError,
  askForHint,
  explainCell,
  ICellActionsContext
} from './cell-actions';
import { findCellTarget, ICellTarget } from './notebooks';

/**
 * The ids of the commands that ask the tutor about a cell.
 */
export namespace CellCommandIDs {
  /** Asks the tutor about the error a cell raised. */
  export const askAboutError = 'jelai:ask-about-error';
  /** Asks the tutor to explain a cell. */
  export const explainCell = 'jelai:explain-cell';
  /** Asks the tutor for the next hint on a cell. */
  export const hint = 'jelai:hint';
}

/**
 * Adds the commands that ask the tutor about a cell (an error, an
 * explanation, a hint); each opens the tutor and sends the question at once.
 */
export function addCellCommands(
  commands: CommandRegistry,
  options: ICellCommandsOptions
): IDisposable {
  const { tutor, trans, tracker } = options;
  const describedBy = {
    args: {
      type: 'object',
      properties: {
        cellId: {
          type: 'string',
          description: trans.__(
            'Id of the cell to ask about; the active cell when absent.'
          )
        }
      }
    }
  };
  const target = (args: ReadonlyPartialJSONObject) =>
    findCellTarget(
      tracker,
      typeof args.cellId === 'string' ? args.cellId : undefined
    );
  const context: ICellActionsContext = { tutor, trans };
  const run =
    (
      action: (target: ICellTarget, c: ICellActionsContext) => Promise<unknown>
    ) =>
    async (args: ReadonlyPartialJSONObject) => {
      const found = target(args);
      if (!found) {
        return;
      }
      // The conversation is about the cell's notebook: show it while the
      // question is prepared.
      tutor.open(found.notebook);
      await action(found, context);
    };
  const added = [
    commands.addCommand(CellCommandIDs.askAboutError, {
      label: trans.__('Ask the tutor about this error'),
      caption: trans.__(
        'Ask the tutor why this cell fails; the error and your recent work are sent with the question'
      ),
      describedBy,
      isEnabled: args => !!target(args)?.error,
      isVisible: args => !!target(args)?.error,
      execute: run(askAboutError)
    }),
    commands.addCommand(CellCommandIDs.explainCell, {
      label: trans.__('Explain this cell'),
      caption: trans.__('Ask the tutor to explain what this cell does'),
      describedBy,
      isEnabled: args => !!target(args),
      execute: run(explainCell)
    }),
    commands.addCommand(CellCommandIDs.hint, {
      label: trans.__('Give me a hint'),
      caption: trans.__(
        'Ask the tutor for a hint on this cell; each new hint is a little more concrete'
      ),
      describedBy,
      isEnabled: args => !!target(args),
      execute: run(askForHint)
    })
  ];
  return new DisposableDelegate(() => added.forEach(c => c.dispose()));
}

/**
 * What the cell commands act on.
 */
export interface ICellCommandsOptions {
  /** The tutor the commands ask. */
  tutor: ITutor;
  tracker: INotebookTracker;
  trans: TranslationBundle;
}
