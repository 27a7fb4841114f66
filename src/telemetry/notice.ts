import { Dialog, showDialog } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { IJelaiConfig } from '../tokens';

/**
 * The command that shows the data notice (Help menu).
 */
export const SHOW_DATA_NOTICE = 'jelai:show-data-notice';

/**
 * The settings key that remembers the student has read the notice.
 */
export const NOTICE_SETTING = 'noticeAcknowledged';

/**
 * The sentences of the data notice, from the effective configuration.
 */
export function noticeLines(
  config: IJelaiConfig,
  trans: TranslationBundle
): { intro: string; items: string[]; where: string } {
  const t = config.telemetry;
  const where =
    config.data_dir === null
      ? trans.__(
          "It is stored by your course's jelai service under your user name (%1), outside your notebook folder and your Jupyter server.",
          config.user
        )
      : trans.__(
          'It is stored on the Jupyter server in %1, under your user name (%2), outside your notebook folder.',
          config.data_dir,
          config.user
        );
  if (!t.enabled) {
    return {
      intro: trans.__(
        'Recording is switched off on this server: jelai records nothing about your notebook work.'
      ),
      items: [],
      where: ''
    };
  }
  const items = [
    t.event_types === null
      ? trans.__(
          'What you do in notebooks: opening, closing, saving, scrolling and switching between them; activating, adding, moving, deleting, editing and running cells; copying, cutting and pasting; restarting and interrupting the kernel.'
        )
      : trans.__('Only these actions: %1.', t.event_types.join(', ')),
    t.log_source
      ? trans.__('The content of your cells when you edit, run or delete them.')
      : trans.__('Not the content of your cells.'),
    t.log_outputs
      ? trans.__(
          'The text of up to %1 outputs of each cell you run (the first and the last ones), and its error if it fails.',
          t.max_outputs
        )
      : trans.__(
          'Not the outputs of your cells; only the error of a cell that fails.'
        ),
    t.log_clipboard
      ? trans.__('The text you copy, cut or paste in a notebook.')
      : trans.__(
          'Only how long the text you copy, cut or paste is, not the text itself.'
        ),
    trans.__(
      'Longer texts are cut to %1 characters, keeping their beginning and end.',
      t.max_text_length
    )
  ];
  return {
    intro: trans.__(
      'jelai records your work in notebooks so that your instructor can see how the class learns and the tutor can help you better. It records:'
    ),
    items,
    where
  };
}

/**
 * Shows what jelai records and where; resolves true when the student
 * acknowledged it.
 */
export async function showDataNotice(
  config: IJelaiConfig,
  trans: TranslationBundle
): Promise<boolean> {
  const result = await showDialog({
    title: trans.__('What jelai Records'),
    body: Private.body(noticeLines(config, trans), trans),
    buttons: [Dialog.okButton({ label: trans.__('Got It') })]
  });
  return result.button.accept;
}

/**
 * Shows the notice once per student: until it is acknowledged, at each start.
 */
export async function showNoticeOnFirstUse(
  config: IJelaiConfig,
  settings: ISettingRegistry.ISettings,
  trans: TranslationBundle
): Promise<void> {
  if (
    settings.composite[NOTICE_SETTING] === true ||
    !config.telemetry.enabled
  ) {
    return;
  }
  if (await showDataNotice(config, trans)) {
    await settings.set(NOTICE_SETTING, true);
  }
}

namespace Private {
  /** The dialog body. */
  export function body(
    lines: { intro: string; items: string[]; where: string },
    trans: TranslationBundle
  ): Widget {
    const node = document.createElement('div');
    node.className = 'jp-jelai-DataNotice';
    const intro = document.createElement('p');
    intro.textContent = lines.intro;
    node.appendChild(intro);
    if (lines.items.length > 0) {
      const list = document.createElement('ul');
      list.className = 'jp-jelai-DataNotice-list';
      for (const item of lines.items) {
        const entry = document.createElement('li');
        entry.textContent = item;
        list.appendChild(entry);
      }
      node.appendChild(list);
    }
    if (lines.where) {
      const where = document.createElement('p');
      where.className = 'jp-jelai-DataNotice-where';
      where.textContent = lines.where;
      node.appendChild(where);
    }
    const help = document.createElement('p');
    help.className = 'jp-jelai-DataNotice-help';
    help.textContent = trans.__(
      'You can read this again at any time from Help › What jelai Records.'
    );
    node.appendChild(help);
    return new Widget({ node });
  }
}
