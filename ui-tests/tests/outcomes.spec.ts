import { expect, test } from '@jupyterlab/galata';

import {
  ACKNOWLEDGED_SETTINGS,
  IStoredEvent,
  kernelIdle,
  openNotebook,
  storedEvents,
  writeNotebook
} from './helpers';

/** Each run as `<cell id>:<outcome>`, oldest first. */
function outcomes(runs: IStoredEvent[]): string[] {
  return runs.map(run => `${run.cell!.id}:${run.data.outcome}`);
}

test.describe('execution outcomes', () => {
  test.use({ mockSettings: ACKNOWLEDGED_SETTINGS });

  test('Run All three times over a failing cell records 3 errors and 6 aborted cells', async ({
    page,
    tmpPath
  }) => {
    const path = `${tmpPath}/outcomes.ipynb`;
    // The failing cell waits a moment first, so the two cells after it are
    // already queued in the kernel when it fails, however busy the machine:
    // the kernel aborts only what is queued then (a later request runs).
    await writeNotebook(page, path, [
      'x = 1',
      'import time\ntime.sleep(1.5)\n1/0',
      'print(x)',
      'y = x + 1'
    ]);
    await openNotebook(page, path);
    await kernelIdle(page);

    for (let round = 1; round <= 3; round++) {
      await page.menu.clickMenuItem('Run>Run All Cells');
      // Each round ends with its four outcomes stored.
      await expect
        .poll(
          async () => (await storedEvents(page, path, ['cell.execute'])).length
        )
        .toBe(4 * round);
    }
    const runs = await storedEvents(page, path, ['cell.execute']);
    const round = [
      'cell-0:ok',
      'cell-1:error',
      'cell-2:aborted',
      'cell-3:aborted'
    ];
    expect(outcomes(runs)).toEqual([...round, ...round, ...round]);
    const failures = runs.filter(run => run.data.outcome === 'error');
    expect(failures).toHaveLength(3);
    failures.forEach(run =>
      expect(run.data.error).toMatchObject({ name: 'ZeroDivisionError' })
    );
    const aborted = runs.filter(run => run.data.outcome === 'aborted');
    expect(aborted).toHaveLength(6);
    aborted.forEach(run =>
      expect(run.data).toMatchObject({ success: false, error: null })
    );
    expect(runs.filter(run => run.data.success)).toHaveLength(3);
  });

  test('cells running or queued when the kernel restarts are recorded as no_reply', async ({
    page,
    tmpPath
  }) => {
    const path = `${tmpPath}/restart.ipynb`;
    await writeNotebook(page, path, ['import time\ntime.sleep(600)', 'z = 2']);
    await openNotebook(page, path);
    await kernelIdle(page);

    await page.menu.clickMenuItem('Run>Run All Cells');
    // The first cell is running, the second waits behind it.
    await expect(
      page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt')
    ).toHaveText(['[*]:', '[*]:']);
    await page.evaluate(() => {
      void window.jupyterapp.commands.execute('notebook:restart-kernel');
    });
    await page.locator('.jp-Dialog .jp-mod-accept').click();

    await expect
      .poll(async () =>
        outcomes(await storedEvents(page, path, ['cell.execute']))
      )
      .toEqual(['cell-0:no_reply', 'cell-1:no_reply']);
    const runs = await storedEvents(page, path, ['cell.execute']);
    runs.forEach(run =>
      expect(run.data).toMatchObject({
        success: false,
        error: null,
        execution_count: null
      })
    );
    expect(await storedEvents(page, path, ['kernel.restart'])).toHaveLength(1);
  });
});
