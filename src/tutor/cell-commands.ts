import { JupyterFrontEnd } from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { ITelemetry } from '../tokens';
import {
  askAboutError,
  askForHint,
  explainCell,
  ICellActionsContext
} from './cell-actions';
import { CommandIDs } from './commands';
import { TutorContextProvider } from './context-provider';
import { TutorChatModel } from './model';
import { findCellTarget, ICellTarget } from './notebooks';

/**
 * Adds the commands that ask the tutor about a cell (an error, an
 * explanation, a hint); each opens the tutor and sends the question at once.
 */
export function addCellCommands(
  commands: CommandRegistry,
  options: ICellCommandsOptions
): IDisposable {
  const { model, trans, tracker } = options;
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
  const context: ICellActionsContext = {
    ask: (question, request) => model.ask(question, request),
    telemetry: options.telemetry,
    provider: options.provider,
    trans
  };
  const run =
    (
      action: (target: ICellTarget, c: ICellActionsContext) => Promise<unknown>
    ) =>
    async (args: ReadonlyPartialJSONObject) => {
      const found = target(args);
      if (!found) {
        return;
      }
      // The conversation is about the cell's notebook; show it and ask.
      model.notebook = found.notebook;
      options.shell.activateById(options.panelId);
      model.input.focus();
      await action(found, context);
    };
  const added = [
    commands.addCommand(CommandIDs.askAboutError, {
      label: trans.__('Ask the tutor about this error'),
      caption: trans.__(
        'Ask the tutor why this cell fails; the error and your recent work are sent with the question'
      ),
      describedBy,
      isEnabled: args => !!target(args)?.error,
      isVisible: args => !!target(args)?.error,
      execute: run(askAboutError)
    }),
    commands.addCommand(CommandIDs.explainCell, {
      label: trans.__('Explain this cell'),
      caption: trans.__('Ask the tutor to explain what this cell does'),
      describedBy,
      isEnabled: args => !!target(args),
      execute: run(explainCell)
    }),
    commands.addCommand(CommandIDs.hint, {
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
  model: TutorChatModel;
  provider: TutorContextProvider;
  telemetry: Pick<ITelemetry, 'session'>;
  tracker: INotebookTracker;
  shell: JupyterFrontEnd.IShell;
  /** The id of the tutor panel in the shell. */
  panelId: string;
  trans: TranslationBundle;
}
