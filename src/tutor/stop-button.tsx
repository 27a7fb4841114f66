import { InputToolbarRegistry, TooltippedIconButton } from '@jupyter/chat';
import { TranslationBundle } from '@jupyterlab/translation';
import { stopIcon } from '@jupyterlab/ui-components';
import React, { useEffect, useState } from 'react';

/**
 * CSS class of the tutor's stop button in the chat input toolbar.
 */
export const STOP_BUTTON_CLASS = 'jp-jelai-Tutor-stop';

/**
 * Builds the input toolbar's stop button: enabled while the tutor writes,
 * it calls `onStop` (the chat library's own button does nothing).
 */
export function createStopButton(
  onStop: () => void,
  trans: TranslationBundle
): React.FunctionComponent<InputToolbarRegistry.IToolbarItemProps> {
  const tooltip = trans.__('Stop the reply');
  return function TutorStopButton(props) {
    const { chatModel, edit } = props;
    const [disabled, setDisabled] = useState(true);
    useEffect(() => {
      if (!chatModel) {
        return;
      }
      const update = () =>
        setDisabled(!chatModel.writers.some(writer => writer.user.bot));
      update();
      chatModel.writersChanged?.connect(update);
      return () => {
        chatModel.writersChanged?.disconnect(update);
      };
    }, [chatModel]);
    if (edit) {
      return <></>;
    }
    return (
      <TooltippedIconButton
        onClick={onStop}
        tooltip={tooltip}
        disabled={disabled}
        buttonProps={{ title: tooltip, className: STOP_BUTTON_CLASS }}
        aria-label={tooltip}
      >
        <stopIcon.react tag={null} />
      </TooltippedIconButton>
    );
  };
}
