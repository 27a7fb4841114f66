import {
  expect,
  galata,
  IJupyterLabPageFixture,
  test
} from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import { ACKNOWLEDGED_SETTINGS, countByType, storedEvents } from './helpers';

/** The code editor of one cell of the open notebook. */
function editor(page: IJupyterLabPageFixture, index: number): Locator {
  return page
    .locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')
    .nth(index)
    .locator('.cm-content');
}

test.describe('telemetry', () => {
  test.use({
    mockSettings: ACKNOWLEDGED_SETTINGS,
    permissions: ['clipboard-read', 'clipboard-write']
  });

  test('records each notebook action once in the server store', async ({
    page,
    tmpPath
  }) => {
    const name = 'session.ipynb';
    const path = `${tmpPath}/${name}`;
    await page.notebook.createNew(name);

    await page.notebook.setCell(
      0,
      'code',
      'basket = {"apple": 1}\nbasket["price"]'
    );
    // Running the last cell adds an empty one below it, as Shift+Enter does.
    await page.notebook.runCell(0);
    await page.notebook.setCell(1, 'code', 'total = 2');
    await page.notebook.addCell('code', 'print(total)');

    // Move the last cell up, then delete the first one.
    await page.notebook.selectCells(2);
    await page.evaluate(() =>
      window.jupyterapp.commands.execute('notebook:move-cell-up')
    );
    await page.notebook.selectCells(0);
    await page.notebook.deleteCells();

    // Copy the source of `total = 2` and paste it at the end of the other cell.
    await editor(page, 1).click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Control+C');
    await editor(page, 0).click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Control+V');
    await page.keyboard.press('Escape');
    await page.notebook.save();

    await expect
      .poll(async () => countByType(await storedEvents(page, path)), {
        timeout: 20000
      })
      .toMatchObject({
        'notebook.rename': 1,
        'notebook.save': 1,
        'cell.execute': 1,
        'cell.add': 2,
        'cell.move': 1,
        'cell.remove': 1,
        'clipboard.copy': 1,
        'clipboard.paste': 1
      });
    // The last edits go out once typing has paused.
    await expect
      .poll(async () => (await storedEvents(page, path, ['cell.edit'])).length)
      .toBeGreaterThanOrEqual(3);
    const events = await storedEvents(page, path);

    // A new notebook opens as Untitled.ipynb and is then renamed.
    const rename = events.find(e => e.type === 'notebook.rename')!;
    const opened = await storedEvents(page, rename.data.from, [
      'notebook.open'
    ]);
    expect(opened).toHaveLength(1);

    const ids = events.map(e => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(events.map(e => e.session)).size).toBe(1);
    expect(events.every(e => e.notebook === path && e.user)).toBe(true);

    const run = events.find(e => e.type === 'cell.execute')!;
    expect(run.data.success).toBe(false);
    expect(run.data.error.name).toBe('KeyError');
    expect(run.data.source).toContain('basket["price"]');
    expect(run.data.execution_count).toBe(1);

    const added = events.filter(e => e.type === 'cell.add');
    expect(added.map(e => e.cell!.index)).toEqual([1, 2]);
    const moved = events.find(e => e.type === 'cell.move')!;
    expect(moved.data).toMatchObject({ from_index: 2, to_index: 1 });
    const removed = events.find(e => e.type === 'cell.remove')!;
    expect(removed.cell!.index).toBe(0);
    expect(removed.data.source).toContain('basket["price"]');

    const copy = events.find(e => e.type === 'clipboard.copy')!;
    expect(copy.data).toMatchObject({ text: 'total = 2', lines: 1 });
    const paste = events.find(e => e.type === 'clipboard.paste')!;
    expect(paste.data.text).toBe('total = 2');

    // Typing is reported when it pauses, never once per key.
    const typed = 'basket = {"apple": 1}\nbasket["price"]total = 2print(total)';
    const edits = events.filter(e => e.type === 'cell.edit');
    expect(edits.length).toBeGreaterThanOrEqual(3);
    expect(edits.length).toBeLessThan(typed.length / 5);
    // The event order follows what the student did.
    const order = events
      .map(e => e.type)
      .filter(t => ['cell.execute', 'cell.move', 'cell.remove'].includes(t));
    expect(order).toEqual(['cell.execute', 'cell.move', 'cell.remove']);
  });

  test('keeps events while the server is away and sends them after a reload', async ({
    page,
    tmpPath
  }) => {
    const name = 'offline.ipynb';
    const path = `${tmpPath}/${name}`;
    await page.notebook.createNew(name);
    await expect
      .poll(async () => countByType(await storedEvents(page, path)))
      .toMatchObject({ 'notebook.rename': 1 });

    // The server stops answering event posts.
    const eventsRoute = (url: URL) => url.pathname.endsWith('/jelai/events');
    await page.route(eventsRoute, route =>
      route.request().method() === 'POST'
        ? route.fulfill({ status: 503, body: '{"error": "away"}' })
        : route.fallback()
    );
    await page.notebook.setCell(0, 'code', '1 + 1');
    await page.notebook.runCell(0);
    await page.waitForTimeout(3000); // past the batch interval: the post failed
    expect(
      countByType(await storedEvents(page, path))['cell.execute']
    ).toBeUndefined();

    // The page is reloaded while the server is still away, then it is back:
    // only what the old page left in the browser's storage can bring them.
    await page.notebook.save(); // so the page can go without a prompt
    await page.reload({ waitForIsReady: false });
    await page.unroute(eventsRoute);
    await expect
      .poll(async () => countByType(await storedEvents(page, path)), {
        timeout: 20000
      })
      .toMatchObject({ 'cell.execute': 1 });
    const run = (await storedEvents(page, path, ['cell.execute']))[0];
    expect(run.data).toMatchObject({ success: true, source: '1 + 1' });
  });
});

test.describe('data notice', () => {
  test.use({
    mockSettings: galata.DEFAULT_SETTINGS,
    autoGoto: false,
    // Galata's own readiness check waits at most 15 s for the Launcher to be
    // the active tab, which it is not while the notice holds the focus: the
    // page is ready here once the splash screen is gone.
    waitForApplication: async ({}, use) => {
      await use(async page => {
        await page
          .locator('#jupyterlab-splash')
          .waitFor({ state: 'detached', timeout: 100 * 1000 });
      });
    }
  });

  test('tells a new student what is recorded, once, and from the Help menu', async ({
    page
  }) => {
    await page.goto();
    // The notice comes once the application has restored its layout and read
    // the server's configuration, however long that takes.
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('records your work', {
      timeout: 100 * 1000
    });
    await expect(dialog).toContainText('ui-tests/.jupyter-data/jelai');
    await dialog.locator('.jp-mod-accept').click();
    await expect(dialog).toHaveCount(0);

    await page.menu.clickMenuItem('Help>What jelai Records');
    await expect(page.locator('.jp-Dialog')).toContainText('records your work');
  });
});
