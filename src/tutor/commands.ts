import { chatIcon } from '@jupyter/chat';
import { TranslationBundle } from '@jupyterlab/translation';
import { stopIcon, deleteIcon } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { ITutor } from '../tokens';
import { TutorChatModel } from './model';

/**
 * The ids of the tutor's commands.
 */
export namespace CommandIDs {
  /** Opens (reveals and focuses) the tutor panel. */
  export const open = 'jelai:open-tutor';
  /** Clears the conversation about the current notebook. */
  export const clear = 'jelai:clear-tutor';
  /** Stops the reply the tutor is writing. */
  export const stop = 'jelai:stop-tutor';
}

/**
 * Adds the tutor's commands; disposing the result removes them.
 */
export function addTutorCommands(
  commands: CommandRegistry,
  options: ITutorCommandsOptions
): IDisposable {
  const { model, trans } = options;
  const noArgs = { args: { type: 'object', properties: {} } };
  const added = [
    commands.addCommand(CommandIDs.open, {
      label: trans.__('Open Tutor'),
      caption: trans.__('Ask the tutor about the current notebook'),
      icon: chatIcon,
      describedBy: noArgs,
      execute: () => options.tutor.open()
    }),
    commands.addCommand(CommandIDs.clear, {
      label: trans.__('Clear Tutor Conversation'),
      caption: trans.__(
        'Empty the tutor conversation about the current notebook'
      ),
      icon: deleteIcon,
      describedBy: noArgs,
      isEnabled: () => model.messages.length > 0,
      execute: () => model.clear()
    }),
    commands.addCommand(CommandIDs.stop, {
      label: trans.__('Stop Tutor Reply'),
      caption: trans.__('Stop the reply the tutor is writing'),
      icon: stopIcon,
      describedBy: noArgs,
      isEnabled: () => model.isWriting,
      execute: () => model.stop()
    })
  ];
  const onMessages = () => commands.notifyCommandChanged(CommandIDs.clear);
  const onWriters = () => commands.notifyCommandChanged(CommandIDs.stop);
  model.messagesUpdated.connect(onMessages);
  model.writersChanged.connect(onWriters);
  return new DisposableDelegate(() => {
    model.messagesUpdated.disconnect(onMessages);
    model.writersChanged.disconnect(onWriters);
    added.forEach(command => command.dispose());
  });
}

/**
 * What the tutor's commands act on.
 */
export interface ITutorCommandsOptions {
  model: TutorChatModel;
  /** The tutor service, which opens the panel. */
  tutor: ITutor;
  trans: TranslationBundle;
}
