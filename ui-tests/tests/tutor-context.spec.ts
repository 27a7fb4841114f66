import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import {
  ACKNOWLEDGED_SETTINGS,
  chatRequests,
  fake,
  storedEvents
} from './helpers';

const PANEL = '#jelai-tutor';
const FAILING_CELL = 'basket = {"apple": 1}\nbasket["price"]';

/** A new notebook whose first cell has just failed with KeyError: 'price'. */
async function failingNotebook(
  page: IJupyterLabPageFixture,
  name: string
): Promise<void> {
  // Toasts (news, notices) can cover the tutor's toolbar.
  await page.addStyleTag({
    content: '.Toastify { display: none !important; }'
  });
  await page.notebook.createNew(name);
  await page.notebook.setCell(0, 'code', FAILING_CELL);
  await page.notebook.runCell(0);
  await expect(
    page.locator('.jp-Cell .jp-OutputArea-output[data-mime-type]')
  ).toContainText('KeyError');
}

/** The messages of the n-th request the fake Ollama received on /api/chat. */
async function sentMessages(
  request: Parameters<typeof chatRequests>[0],
  n: number
): Promise<Array<{ role: string; content: string }>> {
  await expect
    .poll(async () => (await chatRequests(request)).length)
    .toBeGreaterThan(n);
  return (await chatRequests(request))[n].body.messages;
}

test.describe('the tutor sees what the student just did', () => {
  test.use({ mockSettings: ACKNOWLEDGED_SETTINGS });

  test.beforeEach(async ({ request }) => {
    await fake(request, 'reset');
  });

  test('asks about an error with the error, the cell and the recent actions', async ({
    page,
    request
  }) => {
    await failingNotebook(page, 'error.ipynb');

    const button = page.locator('.jp-Cell .jp-jelai-askAboutError');
    await expect(button).toHaveText('Ask the tutor about this error');
    await button.click();

    // One click: the tutor opens and the question is sent.
    const messages = page.locator(`${PANEL} .jp-chat-message`);
    await expect(page.locator(PANEL)).toBeVisible();
    await expect(messages.nth(0)).toContainText(
      "Why does cell 1 fail with KeyError: 'price'?"
    );
    await expect(
      messages.nth(1).locator('.jp-chat-rendered-message')
    ).toContainText('Run it and compare the result');

    const sent = await sentMessages(request, 0);
    // The question last, exactly as shown; the context just before it.
    expect(sent[sent.length - 1]).toEqual({
      role: 'user',
      content: "Why does cell 1 fail with KeyError: 'price'?"
    });
    const context = sent[sent.length - 2].content;
    // The gateway put the tutor's instructions first; the page sent none.
    expect(sent[0].role).toBe('system');
    expect(sent[0].content).toContain('You are a friendly programming tutor');
    expect(sent.filter(m => m.role === 'system')).toHaveLength(1);
    expect(context).toContain('## Active cell: cell 1');
    expect(context).toContain('basket["price"]');
    expect(context).toContain('## Last error: cell 1');
    expect(context).toContain("KeyError: 'price'");
    expect(context).toMatch(
      /## Recent actions[^]*ran cell 1: KeyError: 'price'/
    );

    // The button goes once the error is gone.
    await page.notebook.setCell(0, 'code', 'basket = {"apple": 1}');
    await page.notebook.runCell(0);
    await expect(button).toHaveCount(0);
  });

  test('shows what the tutor sees, and climbs the hint ladder from the cell menu', async ({
    page,
    request,
    tmpPath
  }) => {
    await failingNotebook(page, 'hint.ipynb');
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('jelai:open-tutor');
    });
    const toggle = page.locator(`${PANEL} .jp-jelai-Tutor-contextToggle`);
    const view = page.locator(`${PANEL} .jp-jelai-Tutor-context`);
    await toggle.click();
    // Before any question: what a question would send now.
    await expect(view).toBeVisible();
    await expect(view).toContainText('(your next question)');
    await expect(view).toContainText("ran cell 1: KeyError: 'price'");
    // The budget is what the gateway's instructions leave of the course's 6000.
    await expect(view).toContainText(/tokens of a budget of 5\d{3}\b/);
    await expect(
      view.locator('.jp-jelai-Tutor-contextInstructions')
    ).toContainText(
      "The server puts the tutor's instructions before these messages"
    );
    // The page shows the messages it sends: no system prompt among them.
    await expect(
      view.locator('.jp-jelai-Tutor-contextMessage[data-role="system"]')
    ).toHaveCount(0);

    for (const level of [1, 2]) {
      // Right-click on the error output of the failed cell.
      await page
        .locator('.jp-Cell .jp-OutputArea-output')
        .first()
        .click({ button: 'right' });
      await page.getByRole('menuitem', { name: 'Give me a hint' }).click();
      const sent = await sentMessages(request, level - 1);
      expect(sent[sent.length - 1].content).toBe(
        `Give me a hint for cell 1 (hint ${level} of 3).`
      );
      // The gateway told the model the level the page asked for.
      expect(sent[0].content).toContain(`level ${level} of 3`);
      await expect(
        page.locator(`${PANEL} .jp-chat-message`).nth(level * 2 - 1)
      ).toContainText('Run it and compare the result');
    }

    // The view shows the exact messages of the last question.
    await expect(view).toContainText(
      'Sent to the model for your last question'
    );
    await expect(view).toContainText(
      'Give me a hint for cell 1 (hint 2 of 3).'
    );
    await expect(view).toContainText('asked for a hint on cell 1 (level 1)');

    // The gateway recorded each hint request.
    await expect
      .poll(async () =>
        (await storedEvents(page, `${tmpPath}/hint.ipynb`, ['tutor.hint'])).map(
          e => e.data.level
        )
      )
      .toEqual([1, 2]);
  });
});
