import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import {
  ACKNOWLEDGED_SETTINGS,
  chatRequests,
  fake,
  storedEvents
} from './helpers';

const PANEL = '#jelai-tutor';

/** Types a question in the tutor's input and sends it. */
async function ask(page: IJupyterLabPageFixture, question: string) {
  const input = page.locator(
    `${PANEL} .jp-chat-input-container textarea:not([readonly])`
  );
  await input.fill(question);
  await page.locator(`${PANEL} .jp-chat-send-button`).click();
}

test.describe('tutor replies', () => {
  test.use({ mockSettings: ACKNOWLEDGED_SETTINGS });

  test.beforeEach(async ({ request }) => {
    await fake(request, 'reset');
  });

  test('show the answer without the reasoning, and say when a reply was cut', async ({
    page,
    request,
    tmpPath
  }) => {
    const name = 'replies.ipynb';
    await page.notebook.createNew(name);
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('jelai:open-tutor');
    });
    await expect(
      page.locator(`${PANEL} .jp-jelai-Tutor-status`)
    ).toHaveAttribute('data-state', 'connected');
    const messages = page.locator(`${PANEL} .jp-chat-message`);

    // A model that writes its reasoning inline, held while it reasons: in
    // tutor mode the gateway sends none of it, so the page shows no mark.
    await fake(request, 'config', {
      reply:
        '<think>The student forgot to run cell 1; do not say so.</think>Which cell defines x?',
      hold_after: 4
    });
    await ask(page, 'Why is x not defined?');
    const first = messages.nth(1);
    await expect.poll(async () => (await chatRequests(request)).length).toBe(1);
    await expect(first).not.toContainText('forgot');
    await fake(request, 'release');
    await expect(first).toContainText('Which cell defines x?');
    await expect(first.locator('.jp-mod-thinking')).toHaveCount(0);
    await expect(first).not.toContainText('forgot');
    await expect(first).not.toContainText('think');

    // A thinking model sends its reasoning apart, in message.thinking.
    await fake(request, 'reset');
    await fake(request, 'config', {
      thinking: 'They need the idea of a loop invariant.',
      reply: 'What stays true on every turn?'
    });
    await ask(page, 'How do I check my loop?');
    const second = messages.nth(3);
    await expect(second).toContainText('What stays true on every turn?');
    await expect(second).not.toContainText('invariant');

    // The length limit cut the reply: it says so.
    await fake(request, 'reset');
    await fake(request, 'config', {
      reply: 'A class bundles data and the functions that',
      done_reason: 'length'
    });
    await ask(page, 'What is a class?');
    const third = messages.nth(5);
    await expect(third).toContainText('A class bundles data');
    await expect(third.locator('.jp-jelai-Tutor-mark.jp-mod-cut')).toHaveText(
      /The reply was cut/
    );

    // The student's record has the answers, never the reasoning...
    const path = `${tmpPath}/${name}`;
    await expect
      .poll(async () =>
        (await storedEvents(page, path, ['chat.exchange'])).map(e => [
          e.data.reply,
          e.data.reasoning,
          e.data.done_reason
        ])
      )
      .toEqual([
        ['Which cell defines x?', undefined, 'stop'],
        ['What stays true on every turn?', undefined, 'stop'],
        ['A class bundles data and the functions that', undefined, 'length']
      ]);
    // ...which the staff record keeps apart from the answer.
    const download = await page.request.get(
      `/jelai/export?${new URLSearchParams({ notebook: path })}`
    );
    expect(download.ok()).toBeTruthy();
    const staff = (await download.text())
      .split('\n')
      .filter(line => line.trim())
      .map(line => JSON.parse(line))
      .filter(event => event.type === 'chat.exchange');
    expect(
      staff.map(e => [e.data.reply, e.data.reasoning, e.data.done_reason])
    ).toEqual([
      [
        'Which cell defines x?',
        'The student forgot to run cell 1; do not say so.',
        'stop'
      ],
      [
        'What stays true on every turn?',
        'They need the idea of a loop invariant.',
        'stop'
      ],
      ['A class bundles data and the functions that', null, 'length']
    ]);
  });

  test("show a long code block cut by the server, with its note, under the notebook folder's tighter limit", async ({
    page,
    request,
    tmpPath
  }) => {
    // The assignment asks for 2 lines, below the course's 6.
    expect(
      await page.contents.uploadContent(
        '---\nmode: tutor\nmax_code_lines: 2\n---\nShort snippets only.\n',
        'text',
        `${tmpPath}/TUTOR.md`
      )
    ).toBe(true);
    const name = 'guarded.ipynb';
    await page.notebook.createNew(name);
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('jelai:open-tutor');
    });
    await expect(
      page.locator(`${PANEL} .jp-jelai-Tutor-status`)
    ).toHaveAttribute('data-state', 'connected');
    const code = [1, 2, 3, 4, 5, 6].map(i => `step_${i} = secret_${i}()`);
    await fake(request, 'config', {
      reply: `Like this:\n\n\`\`\`python\n${code.join('\n')}\n\`\`\`\n\nWhich step is yours?`
    });
    const bodies: Promise<string>[] = [];
    page.on('response', response => {
      if (response.url().includes('/jelai/ollama/api/chat')) {
        bodies.push(response.text());
      }
    });
    await ask(page, 'Show me all the steps.');
    const reply = page.locator(`${PANEL} .jp-chat-message`).nth(1);
    await expect(reply).toContainText('Which step is yours?');
    await expect(reply).toContainText('step_2 = secret_2()');
    await expect(reply).not.toContainText('secret_3');
    await expect(
      reply.locator('.jp-jelai-Tutor-mark.jp-mod-trimmed')
    ).toHaveText(/4 more lines of code left out/);
    // The browser never received the cut part.
    expect(bodies).toHaveLength(1);
    expect(await bodies[0]).not.toContain('secret_3');

    // The server recorded what the student was shown, and the cut.
    const path = `${tmpPath}/${name}`;
    await expect
      .poll(async () =>
        (
          await storedEvents(page, path, [
            'chat.exchange',
            'tutor.reply_trimmed'
          ])
        ).map(e => [
          e.type,
          e.data.max_code_lines ?? e.data.reply.includes('secret_3')
        ])
      )
      .toEqual([
        ['chat.exchange', false],
        ['tutor.reply_trimmed', 2]
      ]);
  });
});
