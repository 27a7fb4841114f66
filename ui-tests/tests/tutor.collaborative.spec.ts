import { expect, test } from '@jupyterlab/galata';

import {
  ACKNOWLEDGED_SETTINGS,
  chatRequests,
  fake,
  storedEvents
} from './helpers';

const PANEL = '#jelai-tutor';
const INSTRUCTIONS = 'Week 3: loops. Never give the whole solution.';

test.describe('in collaborative mode (jupyter-collaboration)', () => {
  test.use({ mockSettings: ACKNOWLEDGED_SETTINGS });

  test.beforeEach(async ({ request }) => {
    await fake(request, 'reset');
  });

  test('the tutor reads TUTOR.md and events are stored under the plain path', async ({
    page,
    request,
    tmpPath
  }) => {
    const rtc = await page.evaluate(() => {
      const data = document.getElementById('jupyter-config-data');
      return JSON.parse(data?.textContent ?? '{}').disableRTC;
    });
    expect(rtc).toBe(false);

    await page.contents.uploadContent(
      `# Loops\n\n${INSTRUCTIONS}\n`,
      'text',
      `${tmpPath}/TUTOR.md`
    );
    const path = `${tmpPath}/loops.ipynb`;
    await page.notebook.createNew('loops.ipynb');
    await page.notebook.setCell(0, 'code', 'total = sum(range(4))\ntotal');
    await page.notebook.runCell(0);
    await expect(
      page.locator('.jp-Cell .jp-OutputArea-output').first()
    ).toContainText('6');

    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('jelai:open-tutor');
    });
    const input = page.locator(
      `${PANEL} .jp-chat-input-container textarea:not([readonly])`
    );
    await input.fill('How do loops add up?');
    await page.locator(`${PANEL} .jp-chat-send-button`).click();
    await expect(
      page.locator(`${PANEL} .jp-chat-message`).nth(1)
    ).toContainText('Run it and compare the result');

    // The assignment's instructions reached the model: the page sent the
    // TUTOR.md, the gateway put it in the system prompt.
    const [sent] = await chatRequests(request);
    expect(sent.body.messages[0].role).toBe('system');
    expect(sent.body.messages[0].content).toContain(INSTRUCTIONS);
    expect(sent.body.jelai).toBeUndefined();

    // The run and the exchange are stored under the notebook's plain path.
    await expect
      .poll(async () =>
        (await storedEvents(page, path, ['cell.execute', 'chat.exchange']))
          .map(event => `${event.type} ${event.notebook}`)
          .sort()
      )
      .toEqual([`cell.execute ${path}`, `chat.exchange ${path}`]);

    // A client that names the notebook as jupyter-collaboration before 4.0
    // did (`RTC:<path>`) reaches the same instructions and the same events.
    const query = new URLSearchParams({ notebook: `RTC:${path}` });
    const answer = await page.request.get(`/jelai/tutor/instructions?${query}`);
    expect((await answer.json()).assignment.path).toBe(`${tmpPath}/TUTOR.md`);
    const viaPrefix = await storedEvents(page, `RTC:${path}`, ['cell.execute']);
    expect(viaPrefix.map(event => event.notebook)).toEqual([path]);
  });
});
