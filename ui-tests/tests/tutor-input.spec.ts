import { expect, test } from '@jupyterlab/galata';

import { ACKNOWLEDGED_SETTINGS, chatRequests, fake } from './helpers';

const PANEL = '#jelai-tutor';

test.describe('tutor input', () => {
  test.use({ mockSettings: ACKNOWLEDGED_SETTINGS });

  test.beforeEach(async ({ request }) => {
    await fake(request, 'reset');
  });

  test('Enter while an input method composes only finishes the composition', async ({
    page,
    request
  }) => {
    await page.notebook.createNew('ime.ipynb');
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('jelai:open-tutor');
    });
    await expect(
      page.locator(`${PANEL} .jp-jelai-Tutor-status`)
    ).toHaveAttribute('data-state', 'connected');
    const input = page.locator(
      `${PANEL} .jp-chat-input-container textarea:not([readonly])`
    );
    await input.fill('平均値は');
    await input.focus();
    // A real composition, as a Japanese input method makes it: the text is
    // underlined in the input and not yet committed.
    // The plain Playwright page under galata's fixture.
    const cdp = await page.context().newCDPSession(page.page);
    await cdp.send('Input.imeSetComposition', {
      text: 'どうやって',
      selectionStart: 5,
      selectionEnd: 5
    });
    await expect(input).toHaveValue('平均値はどうやって');
    // What the page is told of the next key, seen before any handler of the chat.
    await page.evaluate(() => {
      window.addEventListener(
        'keydown',
        event => {
          document.body.dataset.imeEnter = JSON.stringify({
            key: event.key,
            composing: event.isComposing || event.keyCode === 229
          });
        },
        { capture: true, once: true }
      );
    });
    // Enter picks the candidate: the input method takes the key, so the page
    // gets a keydown of Enter (keyCode 229, composing) that types nothing.
    // It must not send the half-typed question.
    for (const type of ['rawKeyDown', 'keyUp']) {
      await cdp.send('Input.dispatchKeyEvent', {
        type,
        key: 'Enter',
        code: 'Enter',
        windowsVirtualKeyCode: 229,
        nativeVirtualKeyCode: 229
      });
    }
    await expect(page.locator('body')).toHaveAttribute(
      'data-ime-enter',
      JSON.stringify({ key: 'Enter', composing: true })
    );

    // The input method commits the text; now Enter sends the whole question.
    await cdp.send('Input.insertText', { text: '計算しますか？' });
    await expect(input).toHaveValue('平均値は計算しますか？');
    await page.keyboard.press('Enter');

    const messages = page.locator(`${PANEL} .jp-chat-message`);
    await expect(messages.nth(1)).toContainText('Run it and compare');
    // Only the committed question was sent, once.
    await expect(messages).toHaveCount(2);
    await expect(messages.nth(0)).toContainText('平均値は計算しますか？');
    const sent = (await chatRequests(request)).map(r => {
      const users = r.body.messages.filter(
        (m: { role: string }) => m.role === 'user'
      );
      return users[users.length - 1].content;
    });
    expect(sent).toEqual(['平均値は計算しますか？']);
    await cdp.detach();
  });
});
