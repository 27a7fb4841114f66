import { expect, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import {
  ACKNOWLEDGED_SETTINGS,
  command,
  countByType,
  kernelIdle,
  openNotebook,
  storedEvents,
  writeNotebook
} from './helpers';

test.describe('a notebook in two views', () => {
  test.use({ mockSettings: ACKNOWLEDGED_SETTINGS });

  test('records each change of the notebook once, whichever view made it', async ({
    page,
    tmpPath
  }) => {
    const name = 'views.ipynb';
    const path = `${tmpPath}/${name}`;
    await writeNotebook(page, path, ['a = 1', 'b = 2', 'c = 3']);
    await openNotebook(page, path);
    await kernelIdle(page);

    // File > New View for Notebook: a second view beside the first.
    await page.menu.clickMenuItem('File>New View for Notebook');
    const panels = page.locator('.jp-NotebookPanel');
    await expect(panels).toHaveCount(2);
    const ids = await panels.evaluateAll(nodes => nodes.map(node => node.id));
    const first = page.locator(`#${ids[0]}`);
    const second = page.locator(`#${ids[1]}`);
    const cell = (view: Locator, index: number) =>
      view.locator('.jp-Cell').nth(index);
    await expect(cell(second, 2)).toBeVisible();

    // Typing in the second view.
    await cell(second, 0).locator('.cm-content').click();
    await page.keyboard.press('End');
    await page.keyboard.type(' + 1');
    await expect
      .poll(async () => (await storedEvents(page, path, ['cell.edit'])).length)
      .toBe(1);
    // The first view shows the same text.
    await expect(cell(first, 0).locator('.cm-content')).toHaveText('a = 1 + 1');

    // A cell added in the first view, below its last cell.
    await cell(first, 2).locator('.jp-InputPrompt').click();
    await page.keyboard.press('b');
    await expect(first.locator('.jp-Cell')).toHaveCount(4);
    await expect(second.locator('.jp-Cell')).toHaveCount(4);

    // The first cell, active in the second view, moved down from there.
    await cell(second, 0).locator('.jp-InputPrompt').click();
    await command(page, 'notebook:move-cell-down');
    await expect(cell(first, 1).locator('.cm-content')).toHaveText('a = 1 + 1');

    // A run from the second view, and a save.
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.press('Control+s');

    await expect
      .poll(async () => countByType(await storedEvents(page, path)))
      .toMatchObject({
        'notebook.open': 1,
        'cell.edit': 1,
        'cell.add': 1,
        'cell.move': 1,
        'cell.execute': 1,
        'notebook.save': 1
      });
    const move = (await storedEvents(page, path, ['cell.move']))[0];
    expect(move.cell).toMatchObject({ id: 'cell-0', index: 1 });
    expect(move.data).toEqual({ from_index: 0, to_index: 1 });
    const added = (await storedEvents(page, path, ['cell.add']))[0];
    expect(added.cell).toMatchObject({ index: 3 });
    const run = (await storedEvents(page, path, ['cell.execute']))[0];
    expect(run.cell).toMatchObject({ id: 'cell-0' });
    expect(run.data).toMatchObject({ outcome: 'ok', source: 'a = 1 + 1' });

    // Closing one view closes nothing; closing the other closes the notebook.
    const closeTab = async (index: number) => {
      await page
        .locator('.lm-TabBar-tab', { hasText: name })
        .nth(index)
        .locator('.lm-TabBar-tabCloseIcon')
        .click();
    };
    await closeTab(1);
    await expect(panels).toHaveCount(1);
    await closeTab(0);
    await expect(panels).toHaveCount(0);
    await expect
      .poll(
        async () => (await storedEvents(page, path, ['notebook.close'])).length
      )
      .toBe(1);
    // Each view reports where the student went in it, once.
    const activations = await storedEvents(page, path, ['cell.activate']);
    expect(activations.map(e => [e.cell!.id, e.data.previous])).toEqual([
      ['cell-2', 'cell-0'], // clicked in the first view
      [added.cell!.id, 'cell-2'], // the cell added there
      ['cell-2', 'cell-0'] // Shift+Enter in the second view
    ]);
    const counts = countByType(await storedEvents(page, path));
    expect(counts).toMatchObject({
      'notebook.open': 1,
      'cell.edit': 1,
      'cell.add': 1,
      'cell.move': 1,
      'cell.execute': 1,
      'notebook.save': 1,
      'notebook.close': 1
    });
  });
});
