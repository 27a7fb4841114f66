import { expect, galata, test } from '@jupyterlab/galata';

import {
  ACKNOWLEDGED_SETTINGS,
  collectErrors,
  countByType,
  editor,
  kernelIdle,
  openNotebook,
  storedEvents,
  writeNotebook
} from './helpers';

test.describe('opening and closing notebooks', () => {
  test.use({
    mockSettings: {
      ...ACKNOWLEDGED_SETTINGS,
      // Twenty kernels would outlive their tabs otherwise.
      '@jupyterlab/notebook-extension:tracker': {
        ...galata.DEFAULT_SETTINGS['@jupyterlab/notebook-extension:tracker'],
        kernelShutdown: true
      }
    }
  });

  test('twenty notebooks opened, typed in, scrolled and closed leave no error and nothing running', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(600 * 1000);
    const errors = collectErrors(page);
    const paths: string[] = [];
    for (let i = 0; i < 20; i++) {
      const path = `${tmpPath}/cycle${i}.ipynb`;
      paths.push(path);
      await writeNotebook(page, path, ['a = 1', 'b = 2']);
      await openNotebook(page, path);
      await kernelIdle(page);
      // The tab closes while typing and a scroll are still to be reported.
      await editor(page, 1).click();
      await page.keyboard.type(` + ${i}`);
      await page.mouse.wheel(0, 120);
      expect(await page.notebook.close(false)).toBe(true); // saves, closes
      await expect(page.activity.getTabLocator(`cycle${i}.ipynb`)).toHaveCount(
        0
      );
    }

    // One more notebook, whose typing is reported only after the pause that
    // any timer left by the closed ones would also have waited for.
    const last = `${tmpPath}/last.ipynb`;
    await writeNotebook(page, last, ['c = 3']);
    await openNotebook(page, last);
    await editor(page, 0).click();
    await page.keyboard.type(' + 1');
    await expect
      .poll(async () => (await storedEvents(page, last, ['cell.edit'])).length)
      .toBe(1);

    for (const [i, path] of paths.entries()) {
      const events = await storedEvents(page, path);
      const types = events.map(e => e.type);
      expect(countByType(events)).toMatchObject({
        'notebook.open': 1,
        'cell.edit': 1,
        'notebook.save': 1,
        'notebook.close': 1
      });
      // Nothing of a closed notebook comes after its close.
      expect(types[types.length - 1]).toBe('notebook.close');
      const edit = events.find(e => e.type === 'cell.edit')!;
      expect(edit.data.source).toBe(`b = 2 + ${i}`);
    }
    expect(errors).toEqual([]);
  });
});

test.describe('scrolling', () => {
  test.use({ mockSettings: ACKNOWLEDGED_SETTINGS });

  test('a scroll that pauses past the last cell is recorded', async ({
    page,
    tmpPath
  }) => {
    const path = `${tmpPath}/long.ipynb`;
    const sources = Array.from({ length: 12 }, (_, i) =>
      Array.from({ length: 8 }, (_, j) => `x${i}_${j} = ${j}`).join('\n')
    );
    await writeNotebook(page, path, sources);
    await openNotebook(page, path);
    const scroller = page.locator(
      '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer'
    );

    const lastScroll = async () => {
      const scrolls = await storedEvents(page, path, ['notebook.scroll']);
      return scrolls[scrolls.length - 1]?.data;
    };

    // Down until only the bottom of the last cell shows (cells out of view
    // are laid out as they come, so the place is found again until it holds).
    await expect
      .poll(() =>
        scroller.evaluate(node => {
          const view = node.getBoundingClientRect();
          const cells = node.querySelectorAll('.jp-Cell');
          const last = cells[cells.length - 1].getBoundingClientRect();
          const before = cells[cells.length - 2].getBoundingClientRect();
          const onlyItsBottom =
            last.top < view.top &&
            last.bottom > view.top &&
            last.bottom - view.top <= 40 &&
            before.bottom <= view.top;
          if (!onlyItsBottom) {
            node.scrollTop += last.bottom - view.top - 20;
          }
          return onlyItsBottom;
        })
      )
      .toBe(true);
    await expect
      .poll(lastScroll)
      .toEqual({ first_visible: 11, last_visible: 11 });

    // On with the wheel, past the last cell, as far as the notebook goes:
    // the space below it, no cell in view.
    await scroller.hover();
    await expect
      .poll(async () => {
        await page.mouse.wheel(0, 2000);
        return scroller.evaluate(
          node => node.scrollTop + node.clientHeight >= node.scrollHeight - 1
        );
      })
      .toBe(true);
    await expect
      .poll(lastScroll)
      .toEqual({ first_visible: null, last_visible: null });
  });
});
