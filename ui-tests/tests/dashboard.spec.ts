import { expect, test } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

import { ACKNOWLEDGED_SETTINGS, storedEvents } from './helpers';

/** Opens the dashboard as a person would: from the command palette. */
async function openFromPalette(page: Page): Promise<void> {
  await page.keyboard.press('Control+Shift+C');
  const search = page.locator('#command-palette .lm-CommandPalette-input');
  await search.fill('Learning Dashboard');
  await page
    .locator('#command-palette .lm-CommandPalette-item', {
      hasText: 'Learning Dashboard'
    })
    .first()
    .click();
}

test.describe('dashboard', () => {
  test.use({ mockSettings: ACKNOWLEDGED_SETTINGS });

  test('shows the activity of a notebook, its errors and a plot', async ({
    page,
    tmpPath
  }) => {
    const path = `${tmpPath}/dashboard.ipynb`;
    await page.notebook.createNew('dashboard.ipynb');
    await page.notebook.setCell(
      0,
      'code',
      'prices = {"apple": 1}\nprices["pear"]'
    );
    for (let run = 0; run < 3; run++) {
      await page.notebook.runCell(0);
    }
    await expect
      .poll(
        async () => (await storedEvents(page, path, ['cell.execute'])).length,
        {
          timeout: 20000
        }
      )
      .toBe(3);

    await openFromPalette(page);
    const dashboard = page.locator('#jelai-dashboard');
    await expect(dashboard).toBeVisible();
    await expect(dashboard.locator('.jp-jelai-Dashboard-status')).toContainText(
      'Updated'
    );

    // The UI tests' server names its user an instructor; ana and bob are
    // in its store already (see jupyter_server_test_config.py), and the
    // instructor's own runs are not a student's.
    const classRows = dashboard.locator(
      '.jp-jelai-Dashboard-classTable tbody tr'
    );
    await expect(classRows).toHaveCount(2);
    await expect(classRows.nth(0)).toContainText('ana');
    await expect(classRows.nth(1)).toContainText('bob');
    // The instructor's own activity, on request.
    await dashboard
      .locator('.jp-jelai-Dashboard-view select')
      .selectOption('student');

    const row = dashboard.locator(
      `.jp-jelai-Dashboard-notebookTable tr[data-notebook="${path}"]`
    );
    await expect(row).toBeVisible();
    const cells = row.locator('td');
    // Notebook, active time, runs, errors, error rate, frequent errors...
    await expect(cells.nth(2)).toHaveText('3');
    await expect(cells.nth(3)).toHaveText('3');
    await expect(cells.nth(4)).toHaveText('100%');
    await expect(cells.nth(5)).toHaveText('KeyError ×3');
    // Three failures in a row without asking for help: a gentle note.
    await expect(row).toHaveClass(/jp-mod-stuck/);
    await expect(
      dashboard.locator('.jp-jelai-Dashboard-stuckNote').first()
    ).toContainText('dashboard.ipynb, cell 1: 3 failed runs');

    const activity = dashboard.locator(
      '.jp-jelai-Dashboard-chart[data-chart="activity"]'
    );
    await expect(activity.locator('canvas, svg').first()).toBeVisible();
    const errors = dashboard.locator(
      '.jp-jelai-Dashboard-chart[data-chart="errors"]'
    );
    await expect(errors.locator('canvas, svg').first()).toBeVisible();

    // Limited to the notebook, the CSV download holds its three runs.
    await dashboard
      .locator('.jp-jelai-Dashboard-notebook select')
      .selectOption(path);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      dashboard.locator('.jp-jelai-Dashboard-export-csv').click()
    ]);
    expect(download.suggestedFilename()).toMatch(/^jelai-events-.+\.csv$/);
    const file = await download.path();
    const fs = await import('fs/promises');
    const csv = await fs.readFile(file!, 'utf-8');
    const executions = csv
      .split('\n')
      .filter(line => line.includes(',cell.execute,'));
    expect(executions).toHaveLength(3);
  });

  test('says so when the server answers an error', async ({ page }) => {
    await page.route('**/jelai/analytics?*', route =>
      route.fulfill({
        status: 500,
        contentType: 'application/json',
        body: JSON.stringify({ error: 'The store cannot be read.' })
      })
    );
    await openFromPalette(page);
    await expect(
      page.locator('#jelai-dashboard .jp-jelai-Dashboard-error')
    ).toContainText('(500): The store cannot be read.');
  });
});
