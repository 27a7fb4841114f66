/*
 * Drives Chromium through JupyterLab for bench/browser.py. Each round opens
 * the same prepared notebook on every server at once (one browser context
 * each), then takes turns between them chunk by chunk, so that a load spike
 * from elsewhere on the machine falls on both alike: type a chunk of the
 * text into the first cell, then, after all the text, run a chunk of the
 * next cells one Shift+Enter at a time and wait for the chunk's last
 * execution count. Only the chunks are timed; after each one a pause longer
 * than telemetry's edit delay lets deferred work happen inside that page's
 * own round rather than in the other page's next chunk.
 *
 * Prints one JSON line: per server and round, the milliseconds of each phase
 * (wall clock, and the renderer's main-thread busy time from CDP
 * `Performance.getMetrics`), the page's busy time over the whole round
 * (telemetry's deferred work included), and how many event batches it
 * posted (telemetry on must post, off must not). After two rounds no new
 * round starts once `budgetMs` has passed.
 *
 *   node bench/browser_bench.js '<json: servers, rounds, budgetMs, text,
 *     typeChunk, cells, runChunk, chromium>'
 *
 * Uses the `playwright` package installed for the UI tests (ui-tests/).
 */
'use strict';

const path = require('path');
const { chromium } = require(
  path.join(__dirname, '..', 'ui-tests', 'node_modules', 'playwright')
);

const LOAD_TIMEOUT = 120000;
const PHASE_TIMEOUT = 180000;
const PAUSE_MS = 1600; // longer than telemetry's 1.5 s edit delay

/** One server's notebook, open in its own browser context. */
async function open(browser, server, notebook) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 }
  });
  const page = await context.newPage();
  const tab = { server, context, page, posts: 0 };
  page.on('request', request => {
    if (
      request.method() === 'POST' &&
      request.url().includes('/jelai/events')
    ) {
      tab.posts += 1;
    }
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  tab.busy = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find(m => m.name === 'TaskDuration').value * 1000;
  };
  await page.goto(
    `${server.url}/lab/tree/${notebook}?token=${server.token}&reset`,
    { timeout: LOAD_TIMEOUT }
  );
  await cell(page, 0).locator('.cm-content').waitFor({ timeout: LOAD_TIMEOUT });
  await page
    .locator('#jp-main-statusbar >> text=Idle')
    .waitFor({ timeout: LOAD_TIMEOUT });
  return tab;
}

function cell(page, index) {
  return page.locator('.jp-Notebook .jp-Cell').nth(index);
}

/** Times `work` on one tab: wall clock and main-thread busy, in ms. */
async function timed(tab, work) {
  const busyBefore = await tab.busy();
  const began = Date.now();
  await work();
  const wall = Date.now() - began;
  return { wall, busy: (await tab.busy()) - busyBefore };
}

function nextFrame(page) {
  return page.evaluate(
    () => new Promise(resolve => requestAnimationFrame(() => resolve()))
  );
}

async function typeChunk(tab, text) {
  // The click puts the cursor somewhere in the cell: where is of no matter.
  await cell(tab.page, 0).locator('.cm-content').click();
  return timed(tab, async () => {
    await tab.page.keyboard.type(text);
    await nextFrame(tab.page);
  });
}

async function runChunk(tab, first, count) {
  await cell(tab.page, first).locator('.jp-InputPrompt').click();
  const last = first + count - 1;
  return timed(tab, async () => {
    for (let i = 0; i < count; i++) {
      await tab.page.keyboard.press('Shift+Enter');
    }
    await tab.page.waitForFunction(
      index => {
        const node = document.querySelectorAll('.jp-Notebook .jp-Cell')[index];
        const marker = node?.querySelector('.jp-InputPrompt')?.textContent;
        return /\[\d+\]/.test(marker ?? '');
      },
      last,
      { timeout: PHASE_TIMEOUT, polling: 'raf' }
    );
  });
}

/** Runs `step` on every tab in turn, the order flipping with `turn`. */
async function inTurn(tabs, turn, totals, key, step) {
  const order = turn % 2 ? [...tabs].reverse() : tabs;
  for (const tab of order) {
    const got = await step(tab);
    totals.get(tab)[key] += got.wall;
    totals.get(tab)[`${key}Busy`] += got.busy;
    await tab.page.waitForTimeout(PAUSE_MS);
  }
}

async function round(browser, options, index) {
  const notebook = `bench-${index}.ipynb`;
  const servers = index % 2 ? [...options.servers].reverse() : options.servers;
  const tabs = [];
  for (const server of servers) {
    tabs.push(await open(browser, server, notebook));
  }
  const totals = new Map(
    tabs.map(tab => [
      tab,
      { typing: 0, typingBusy: 0, running: 0, runningBusy: 0 }
    ])
  );
  try {
    const started = new Map();
    for (const tab of tabs) {
      started.set(tab, await tab.busy());
    }
    const { text, typeChunk: size } = options;
    for (let at = 0, turn = index; at < text.length; at += size, turn++) {
      const chunk = text.slice(at, at + size);
      await inTurn(tabs, turn, totals, 'typing', tab => typeChunk(tab, chunk));
    }
    for (const tab of tabs) {
      await tab.page.keyboard.press('Escape');
    }
    const { cells, runChunk: step } = options;
    for (let first = 1, turn = index; first <= cells; first += step, turn++) {
      const count = Math.min(step, cells - first + 1);
      await inTurn(tabs, turn, totals, 'running', tab =>
        runChunk(tab, first, count)
      );
    }
    await tabs[0].page.waitForTimeout(2500); // the last batches go out
    const results = {};
    for (const tab of tabs) {
      results[tab.server.label] = {
        ...totals.get(tab),
        roundBusy: (await tab.busy()) - started.get(tab),
        posts: tab.posts
      };
    }
    return results;
  } finally {
    for (const tab of tabs) {
      await tab.context.close();
    }
  }
}

async function main() {
  const options = JSON.parse(process.argv[2]);
  const browser = await chromium.launch({
    executablePath: options.chromium,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run'
    ]
  });
  const results = {};
  const started = Date.now();
  try {
    for (let index = 0; index < options.rounds; index++) {
      // A loaded machine gets fewer rounds, never fewer than two.
      if (index >= 2 && Date.now() - started > options.budgetMs) {
        break;
      }
      const got = await round(browser, options, index);
      for (const [label, figures] of Object.entries(got)) {
        (results[label] ??= []).push(figures);
      }
      process.stderr.write(`round ${index + 1}: ${JSON.stringify(got)}\n`);
    }
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify({ benchmark: 'browser', results }));
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
