import * as fs from 'fs';
import * as path from 'path';

import { expect, test } from '@jupyterlab/galata';

import { ACKNOWLEDGED_SETTINGS, kernelIdle, storedEvents } from './helpers';

const PANEL = '#jelai-tutor';
const DEMO = path.resolve(__dirname, '..', '..', 'demo');
const NOTEBOOK = 'exercise-1-basket.ipynb';
// A real model's reply takes seconds on two cores; this only bounds the wait.
const REPLY_TIMEOUT = 180 * 1000;

test.describe('the tutor answered by a real model', () => {
  test.use({ mockSettings: ACKNOWLEDGED_SETTINGS });

  test('answers a question about an error of the demo notebook', async ({
    page,
    tmpPath
  }) => {
    // The demo as a student gets it: the notebook and its TUTOR.md.
    for (const file of [NOTEBOOK, 'TUTOR.md']) {
      const text = fs.readFileSync(path.join(DEMO, file), 'utf-8');
      expect(
        await page.contents.uploadContent(text, 'text', `${tmpPath}/${file}`)
      ).toBe(true);
    }
    // Toasts (news, notices) can cover the tutor's panel.
    await page.addStyleTag({
      content: '.Toastify { display: none !important; }'
    });
    await page.notebook.openByPath(`${tmpPath}/${NOTEBOOK}`);
    await page.notebook.activate(NOTEBOOK);
    await kernelIdle(page);

    // Task 1 fails on the item that has no price.
    await page.notebook.runCell(1);
    await page.notebook.runCell(3);
    const failed = page.locator('.jp-Cell').nth(3);
    await expect(failed.locator('.jp-OutputArea-output')).toContainText(
      "KeyError: 'price'"
    );
    await failed.locator('.jp-jelai-askAboutError').click();

    const messages = page.locator(`${PANEL} .jp-chat-message`);
    await expect(messages.nth(0)).toContainText('KeyError');
    const reply = messages.nth(1);

    // The model's reply is over once its exchange is recorded (the gateway
    // stores it before it sends the last line); its words are the model's.
    const notebook = `${tmpPath}/${NOTEBOOK}`;
    await expect
      .poll(
        async () =>
          (await storedEvents(page, notebook, ['chat.exchange'])).map(
            e => e.data.status
          ),
        { timeout: REPLY_TIMEOUT }
      )
      .toEqual(['finished']);
    const [exchange] = await storedEvents(page, notebook, ['chat.exchange']);
    expect(exchange.data.model).toBe('SmolLM2-135M-Instruct');
    expect(exchange.data.reply.trim()).not.toBe('');

    // The panel shows the reply whole: streaming done, text rendered, and a
    // mark only if the course's length limit cut it.
    await expect(page.locator(`${PANEL} .jp-chat-writers`)).not.toContainText(
      'typing'
    );
    await expect(page.locator(`${PANEL} .jp-jelai-Tutor-stop`)).toBeDisabled();
    const rendered = reply.locator('.jp-chat-rendered-message');
    await expect(rendered).not.toBeEmpty();
    expect((await rendered.innerText()).trim()).not.toBe('');
    await expect(
      reply.locator('.jp-mod-failed, .jp-mod-stopped, .jp-mod-thinking')
    ).toHaveCount(0);
    const cut = exchange.data.done_reason === 'length';
    await expect(reply.locator('.jp-jelai-Tutor-mark.jp-mod-cut')).toHaveCount(
      cut ? 1 : 0
    );
  });
});
