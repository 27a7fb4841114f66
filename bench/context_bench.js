/*
 * Benchmark of the tutor's context builder (src/context): a 300-cell notebook
 * with 20,000 events, the stored log and the last 500 events again as the
 * live stream. Prints the median and p95 time of one `buildContext` beside a
 * baseline measured in the same run, `JSON.stringify` of the same events
 * (about what serialising or re-reading the whole log once costs, as the
 * seed's log processor did after every execution), and their ratio.
 *
 *   node bench/context_bench.js [runs]
 *
 * The TypeScript sources are compiled in memory with the project's
 * `typescript`, so no build step is needed. Target: under 10 ms per build.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { performance } = require('perf_hooks');
const ts = require('typescript');

// Compile `.ts` files on require, to CommonJS.
require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022
    },
    fileName: filename
  });
  module._compile(outputText, filename);
};

const SRC = path.join(__dirname, '..', 'src', 'context');
const { buildContext } = require(path.join(SRC, 'build.ts'));

const CELLS = 300;
const EVENTS = 20000;
const LIVE = 500;
const RUNS = Number(process.argv[2]) || 200;
const NOTEBOOK = 'course/week3/exercise-7.ipynb';

/** A small deterministic random generator, so every run builds the same data. */
function random(seed) {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
}

function makeNotebook(rand) {
  const cells = [];
  for (let i = 0; i < CELLS; i++) {
    const code = i % 3 !== 0;
    const lines = 3 + Math.floor(rand() * 12);
    const source = Array.from({ length: lines }, (_, l) =>
      code
        ? `value_${i}_${l} = compute(data[${l}], factor=${i})`
        : `Step ${i}, note ${l}.`
    ).join('\n');
    cells.push({
      id: `cell-${i}`,
      type: code ? 'code' : 'markdown',
      source,
      executionCount: code ? i : null,
      outputs: code ? `result ${i}\n`.repeat(1 + (i % 5)) : ''
    });
  }
  return { path: NOTEBOOK, kernelName: 'python3', cells };
}

function traceback(i) {
  return [
    '\u001b[0;31m' + '-'.repeat(75) + '\u001b[0m',
    '\u001b[0;31mKeyError\u001b[0m    Traceback (most recent call last)',
    `Cell \u001b[0;32mIn[${i}], line 3\u001b[0m\n----> 3 total += item["price"]`,
    "\u001b[0;31mKeyError\u001b[0m: 'price'"
  ];
}

function makeEvents(rand, start) {
  const events = [];
  let t = start;
  for (let i = 0; i < EVENTS; i++) {
    // Mostly seconds apart, sometimes a pause or a break.
    const r = rand();
    t += r < 0.97 ? 1000 + rand() * 20000 : 10 * 60000 * rand();
    const index = Math.floor(rand() * CELLS);
    const kind = rand();
    let type = 'cell.edit';
    let data = {
      source: 'x = 1',
      length: 40,
      delta: Math.floor(rand() * 20) - 5
    };
    if (kind < 0.3) {
      const failed = rand() < 0.15;
      type = 'cell.execute';
      data = {
        source: `value = compute(data, factor=${index})`,
        success: !failed,
        execution_count: i,
        duration_ms: 12,
        error: failed
          ? { name: 'KeyError', value: "'price'", traceback: traceback(i) }
          : null,
        outputs: failed ? [] : [{ output_type: 'stream', text: `result ${i}` }]
      };
    } else if (kind < 0.35) {
      type = 'clipboard.paste';
      data = { length: 120, lines: 4 };
    } else if (kind < 0.55) {
      type = 'notebook.scroll';
      data = { first_visible: index, last_visible: index + 8 };
    } else if (kind < 0.65) {
      type = 'cell.activate';
      data = { previous: null };
    } else if (kind < 0.67) {
      type = rand() < 0.5 ? 'notebook.hidden' : 'notebook.visible';
      data = {};
    } else if (kind < 0.68) {
      type = 'kernel.restart';
      data = {};
    }
    events.push({
      schema_version: 1,
      id: `ev-${i}`,
      time: new Date(t).toISOString(),
      session: 'page-1',
      notebook: NOTEBOOK,
      kernel: { id: 'k-1', name: 'python3' },
      type,
      cell: { id: `cell-${index}`, index, type: 'code' },
      data
    });
  }
  return { events, end: t };
}

function time(runs, fn) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const begin = performance.now();
    fn();
    samples.push(performance.now() - begin);
  }
  samples.sort((a, b) => a - b);
  const at = q =>
    samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { median: at(0.5), p95: at(0.95) };
}

function main() {
  const rand = random(7);
  const notebook = makeNotebook(rand);
  const { events: stored, end } = makeEvents(
    rand,
    Date.parse('2024-03-01T08:00:00Z')
  );
  // The stored log and the live stream overlap: the builder must dedupe.
  const events = stored.concat(stored.slice(-LIVE));
  const conversation = Array.from({ length: 10 }, (_, i) => ({
    role: i % 2 ? 'assistant' : 'user',
    content: `Turn ${i}: why does cell 150 raise a KeyError when the key is there?`
  }));
  const input = {
    notebook,
    activeCellId: 'cell-150',
    events,
    conversation,
    question: 'Why does this fail?',
    now: new Date(end + 1000),
    // What the server's /jelai/config gives the page: the gateway completes
    // the prompt, so the page only fits its own messages to the budget.
    settings: {
      showContext: true,
      budgetTokens: 6000,
      instructionsTokens: 1536,
      contextWindow: 8192,
      contextNotes: [],
      hiddenAssignment: null
    }
  };

  // Warm up the JIT for both.
  for (let i = 0; i < 20; i++) {
    buildContext(input);
    JSON.stringify(events);
  }
  const build = time(RUNS, () => buildContext(input));
  const baseline = time(RUNS, () => JSON.stringify(events));
  const result = buildContext(input);

  const ms = x => `${x.toFixed(2)} ms`;
  const rows = [
    ['', 'median', 'p95'],
    ['buildContext', ms(build.median), ms(build.p95)],
    ['baseline: JSON.stringify(events)', ms(baseline.median), ms(baseline.p95)],
    [
      'ratio build / baseline',
      `${(build.median / baseline.median).toFixed(2)}x`,
      `${(build.p95 / baseline.p95).toFixed(2)}x`
    ]
  ];
  const width = [34, 12, 12];
  console.log(
    `context builder: ${CELLS} cells, ${events.length} events (${LIVE} repeated as live), ${RUNS} runs`
  );
  for (const row of rows) {
    console.log(row.map((cell, i) => cell.padEnd(width[i])).join(''));
  }
  console.log(
    `prompt: ${result.estimatedTokens} estimated tokens of ${result.budgetTokens}; ` +
      `trimmed: ${result.trimSteps.join(', ') || 'nothing'}`
  );
  const verdict = build.median < 10 ? 'met' : 'NOT met';
  console.log(`target under 10 ms per build (median): ${verdict}`);
  // The same figures as one JSON line, for bench/run.py.
  console.log(
    JSON.stringify({
      benchmark: 'context',
      cells: CELLS,
      events: events.length,
      runs: RUNS,
      build_ms: build,
      baseline_ms: baseline,
      estimated_tokens: result.estimatedTokens
    })
  );
}

main();
