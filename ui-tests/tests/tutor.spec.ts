import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import {
  ACKNOWLEDGED_SETTINGS,
  chatRequests,
  fake,
  storedEvents
} from './helpers';

const PANEL = '#jelai-tutor';

/** Opens the tutor side panel. */
async function openTutor(page: IJupyterLabPageFixture): Promise<void> {
  // The command, not the tab: a click on the tab of an open panel closes it.
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('jelai:open-tutor');
  });
  await expect(page.locator(PANEL)).toBeVisible();
}

/** Reloads JupyterLab, whatever it restores, and shows one notebook. */
async function reloadWith(
  page: IJupyterLabPageFixture,
  path: string
): Promise<void> {
  await page.reload({ waitForIsReady: false });
  await page.waitForSelector('#jupyterlab-splash', { state: 'detached' });
  await page.evaluate(async path => {
    await window.jupyterapp.commands.execute('docmanager:open', { path });
  }, path);
  // Playwright's :visible, not JupyterLab's hidden class: a notebook renamed
  // before the reload may leave a panel behind that is never shown.
  await page.locator('.jp-NotebookPanel .jp-Cell:visible').first().waitFor();
}

/** Types a question in the tutor's input and sends it. */
async function ask(page: IJupyterLabPageFixture, question: string) {
  const input = page.locator(
    `${PANEL} .jp-chat-input-container textarea:not([readonly])`
  );
  await input.fill(question);
  await page.locator(`${PANEL} .jp-chat-send-button`).click();
}

test.describe('tutor', () => {
  test.use({ mockSettings: ACKNOWLEDGED_SETTINGS });

  test.beforeEach(async ({ request }) => {
    await fake(request, 'reset');
  });

  test('streams a reply, stops one mid-way and shows both after a reload', async ({
    page,
    request,
    tmpPath
  }) => {
    const name = 'chat.ipynb';
    await page.notebook.createNew(name);
    await openTutor(page);
    await expect(
      page.locator(`${PANEL} .jp-jelai-Tutor-status`)
    ).toHaveAttribute('data-state', 'connected');
    await expect(
      page.locator(`${PANEL} .jp-jelai-Tutor-notebook`)
    ).toContainText(name);

    // The reply arrives token by token: part of it shows while the model
    // server is held mid-stream, the rest once it is released.
    await fake(request, 'config', { hold_after: 6 });
    await ask(page, 'How do I compute a mean?');
    const reply = page.locator(`${PANEL} .jp-chat-message`).nth(1);
    await expect(reply).toContainText("Let's think about it");
    await expect(page.locator(`${PANEL} .jp-chat-writers`)).toContainText(
      'typing'
    );
    await expect(reply).not.toContainText('Run it and compare');
    await fake(request, 'release');
    await expect(reply).toContainText('Run it and compare the result');
    await expect(page.locator(`${PANEL} .jp-chat-writers`)).not.toContainText(
      'typing'
    );
    // Code in the reply is rendered as code, with its toolbar.
    await expect(reply.locator('pre')).toContainText('def mean(values)');
    await expect(reply.locator('.jp-chat-code-toolbar')).toHaveCount(1);

    // The second reply is stopped by the student while it streams.
    await fake(request, 'config', { hold_after: 4 });
    await ask(page, 'And the median?');
    const stopped = page.locator(`${PANEL} .jp-chat-message`).nth(3);
    await expect(stopped).toContainText("Let's think");
    await page.locator(`${PANEL} .jp-jelai-Tutor-stop`).click();
    await expect(
      stopped.locator('.jp-jelai-Tutor-mark.jp-mod-stopped')
    ).toBeVisible();
    await expect(page.locator(`${PANEL} .jp-jelai-Tutor-stop`)).toBeDisabled();
    // The model server saw the browser hang up: nothing keeps generating.
    await expect
      .poll(async () => (await chatRequests(request)).map(r => r.hung_up))
      .toEqual([false, true]);

    // The server kept both exchanges; a reload shows them again.
    const path = `${tmpPath}/${name}`;
    await expect
      .poll(async () =>
        (await storedEvents(page, path, ['chat.exchange'])).map(
          e => e.data.status
        )
      )
      .toEqual(['finished', 'stopped']);
    await page.notebook.save();
    await reloadWith(page, path);
    await openTutor(page);
    const messages = page.locator(`${PANEL} .jp-chat-message`);
    await expect(messages).toHaveCount(4);
    await expect(messages.nth(0)).toContainText('How do I compute a mean?');
    await expect(messages.nth(1)).toContainText(
      'Run it and compare the result'
    );
    await expect(messages.nth(2)).toContainText('And the median?');
    await expect(messages.nth(3).locator('.jp-mod-stopped')).toBeVisible();
  });

  test('clear empties the conversation, also after a reload', async ({
    page,
    tmpPath
  }) => {
    const name = 'clear.ipynb';
    await page.notebook.createNew(name);
    await openTutor(page);
    await ask(page, 'What is a list?');
    const messages = page.locator(`${PANEL} .jp-chat-message`);
    await expect(messages.nth(1)).toContainText(
      'Run it and compare the result'
    );

    await page.locator(`${PANEL} .jp-jelai-Tutor-clear`).click();
    await expect(messages).toHaveCount(0);
    await page.notebook.save();
    await reloadWith(page, `${tmpPath}/${name}`);
    await openTutor(page);
    await expect(
      page.locator(`${PANEL} .jp-jelai-Tutor-notebook`)
    ).toContainText(name);
    await expect(messages).toHaveCount(0);
    // The exchange itself stays in the research record.
    const stored = await storedEvents(page, `${tmpPath}/${name}`, [
      'chat.exchange',
      'chat.clear'
    ]);
    expect(stored.map(e => e.type)).toEqual(['chat.exchange', 'chat.clear']);
  });

  test('a renamed notebook keeps its conversation, also after a reload', async ({
    page,
    tmpPath
  }) => {
    await page.notebook.createNew('draft.ipynb');
    await openTutor(page);
    await ask(page, 'Why does my loop never end?');
    const messages = page.locator(`${PANEL} .jp-chat-message`);
    await expect(messages.nth(1)).toContainText(
      'Run it and compare the result'
    );
    await page.notebook.save();

    const renamed = `${tmpPath}/lab1.ipynb`;
    await page.evaluate(
      async ([from, to]) => {
        await window.jupyterapp.serviceManager.contents.rename(from, to);
      },
      [`${tmpPath}/draft.ipynb`, renamed]
    );
    await expect(
      page.locator(`${PANEL} .jp-jelai-Tutor-notebook`)
    ).toContainText('lab1.ipynb');
    await expect(messages).toHaveCount(2);
    await expect(messages.nth(0)).toContainText('Why does my loop never end?');

    // After a reload the conversation is read back under the path it had.
    await expect
      .poll(
        async () =>
          (await storedEvents(page, renamed, ['notebook.rename'])).length
      )
      .toBe(1);
    await reloadWith(page, renamed);
    await openTutor(page);
    await expect(messages).toHaveCount(2);
    await expect(messages.nth(1)).toContainText(
      'Run it and compare the result'
    );
  });
});
