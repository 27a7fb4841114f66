import type * as nbformat from '@jupyterlab/nbformat';

import {
  applyPolicy,
  checkEnvelope,
  countLines,
  createEvent,
  errorFromOutputs,
  summariseOutputs,
  keepEnds,
  truncate
} from '../events';
import { openPolicy } from './helpers';
import { schemaErrors } from './schema';

const OPEN = openPolicy();

const CELL = { id: 'c1', index: 0, type: 'code' as const };
const CONTEXT = {
  notebook: 'lab/week1.ipynb',
  kernel: { id: 'k1', name: 'python3' },
  cell: CELL
};

const OUTPUTS: nbformat.IOutput[] = [
  { output_type: 'stream', name: 'stdout', text: ['a\n', 'b\n'] },
  {
    output_type: 'execute_result',
    execution_count: 3,
    data: { 'text/plain': '42', 'text/html': '<b>42</b>' },
    metadata: {}
  },
  { output_type: 'display_data', data: { 'image/png': 'AAAA' }, metadata: {} },
  {
    output_type: 'error',
    ename: 'KeyError',
    evalue: "'x'",
    traceback: ['\u001b[31mKeyError\u001b[0m', "KeyError: 'x'"]
  }
];

/** One event of each type, shaped as the producers make them. */
const SAMPLES: [string, Record<string, unknown>][] = [
  ['notebook.open', { cells: 3 }],
  ['notebook.close', {}],
  ['notebook.save', { cells: 3 }],
  ['notebook.visible', {}],
  ['notebook.hidden', {}],
  ['notebook.scroll', { first_visible: 0, last_visible: 4 }],
  ['cell.activate', { previous: null }],
  ['cell.add', {}],
  ['cell.remove', { source: 'x = 1' }],
  ['cell.move', { from_index: 2, to_index: 0 }],
  ['cell.edit', { source: 'x = 12', length: 6, delta: -1 }],
  [
    'cell.execute',
    {
      source: "d['x']",
      success: false,
      execution_count: 3,
      duration_ms: 12,
      error: errorFromOutputs(OUTPUTS),
      outputs: summariseOutputs(OUTPUTS)
    }
  ],
  ['clipboard.copy', { text: 'a\nb', length: 3, lines: 2 }],
  ['clipboard.cut', { text: 'a', length: 1, lines: 1 }],
  ['clipboard.paste', { text: '', length: 0, lines: 0 }],
  ['kernel.restart', {}],
  ['kernel.interrupt', {}]
];

describe('createEvent', () => {
  it.each(SAMPLES)('builds a %s event the server accepts', (type, data) => {
    const event = createEvent(type, data, 'session-1', CONTEXT);
    expect(schemaErrors(event)).toEqual([]);
    expect(event).not.toHaveProperty('user');
  });

  it('gives every event its own id and a UTC time with milliseconds', () => {
    const time = new Date(Date.UTC(2024, 0, 31, 12, 0, 0, 7));
    const a = createEvent('cell.add', {}, 's', {}, time);
    const b = createEvent('cell.add', {}, 's', {}, time);
    expect(a.id).not.toEqual(b.id);
    expect(a.time).toBe('2024-01-31T12:00:00.007Z');
    expect(a).toMatchObject({ notebook: null, kernel: null, cell: null });
  });

  it('gives later events ids that sort later, so the store appends them', () => {
    const start = Date.UTC(2024, 0, 31, 12, 0, 0);
    const ids = [0, 1, 2, 1000, 60_000].map(
      offset =>
        createEvent('cell.add', {}, 's', {}, new Date(start + offset)).id
    );
    expect([...ids].sort()).toEqual(ids);
    // A UUID of version 7: its first 48 bits are the event's time in ms.
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab]/);
    expect(parseInt(ids[0].replace('-', '').slice(0, 12), 16)).toBe(start);
  });

  it('still validates after the policy cut and filtered it', () => {
    const long = 'é'.repeat(5000);
    for (const [type, data] of SAMPLES) {
      const policy = { ...OPEN, max_text_length: 3, max_outputs: 1 };
      const cut = applyPolicy(type, { ...data, source: long }, policy);
      const event = createEvent(type, cut ?? {}, 's', CONTEXT);
      expect(schemaErrors(event)).toEqual([]);
    }
  });
});

describe('checkEnvelope', () => {
  it('refuses what the server would refuse', () => {
    const bad = createEvent('Cell-Execute', {}, 's');
    expect(checkEnvelope(bad)).toContain('dotted lowercase');
    expect(checkEnvelope(createEvent('chat.exchange', {}, 's'))).toBeNull();
    const longCell = createEvent('cell.add', {}, 's', {
      cell: { id: 'x'.repeat(200), index: 0, type: 'code' }
    });
    expect(checkEnvelope(longCell)).toContain('cell id');
  });
});

describe('keepEnds', () => {
  it('cuts as the server does (tests/test_events.py holds the same case)', () => {
    expect(keepEnds('x'.repeat(100), 60)).toBe(
      'x'.repeat(13) + '\n[... 74 characters omitted ...]\n' + 'x'.repeat(13)
    );
  });

  it('keeps only the beginning when the limit leaves no room for both ends', () => {
    expect(keepEnds('abcdefghij'.repeat(5), 30)).toBe('abcdefghij'.repeat(3));
  });

  it('never splits a character made of two UTF-16 units', () => {
    const text = '😀'.repeat(100);
    const kept = keepEnds(text, 80);
    expect(kept.length).toBeLessThanOrEqual(80);
    expect(kept).toMatch(
      /^(😀)+\n\[\.\.\. \d+ characters omitted \.\.\.\]\n(😀)+$/
    );
  });
});

describe('truncate', () => {
  it('keeps short text and cuts long text to the limit', () => {
    expect(truncate('abc', 5)).toBe('abc');
    expect(truncate('abcdef', 3)).toBe('abc');
    expect(truncate('abc', 0)).toBe('');
  });

  it('never splits a character made of two UTF-16 units', () => {
    expect(truncate('a😀b', 2)).toBe('a');
    expect(truncate('a😀b', 3)).toBe('a😀');
  });
});

describe('applyPolicy', () => {
  it('drops every event when recording is off', () => {
    expect(applyPolicy('cell.add', {}, { ...OPEN, enabled: false })).toBeNull();
  });

  it('records only the configured types', () => {
    const policy = { ...OPEN, event_types: ['cell.execute'] };
    expect(applyPolicy('cell.edit', { source: 'x' }, policy)).toBeNull();
    expect(applyPolicy('cell.execute', { success: true }, policy)).toEqual({
      success: true
    });
  });

  it('leaves out the cell source when source logging is off', () => {
    const policy = { ...OPEN, log_source: false };
    const data = applyPolicy('cell.edit', { source: 'x', length: 1 }, policy);
    expect(data).toEqual({ length: 1 });
    // Other plugins' own fields named `source` are theirs to keep.
    expect(applyPolicy('chat.exchange', { source: 'tutor' }, policy)).toEqual({
      source: 'tutor'
    });
  });

  it('leaves out outputs but keeps the error when output logging is off', () => {
    const policy = { ...OPEN, log_outputs: false };
    const data = applyPolicy(
      'cell.execute',
      {
        success: false,
        error: errorFromOutputs(OUTPUTS),
        outputs: summariseOutputs(OUTPUTS)
      },
      policy
    );
    expect(data).not.toHaveProperty('outputs');
    expect(data?.error).toMatchObject({ name: 'KeyError', value: "'x'" });
  });

  it('keeps the clipboard size but not its text when clipboard logging is off', () => {
    const policy = { ...OPEN, log_clipboard: false };
    const data = { text: 'secret', length: 6, lines: 1 };
    expect(applyPolicy('clipboard.paste', data, policy)).toEqual({
      length: 6,
      lines: 1
    });
  });

  it('cuts long texts and names each cut field', () => {
    const policy = { ...OPEN, max_text_length: 6, max_outputs: 2 };
    const data = applyPolicy(
      'cell.execute',
      {
        source: 'print(1)',
        success: true,
        error: null,
        outputs: [
          { output_type: 'stream', text: 'long output' },
          { output_type: 'stream', text: 'ok' },
          { output_type: 'stream', text: 'third' }
        ]
      },
      policy
    );
    expect(data).toEqual({
      source: 'print(',
      success: true,
      error: null,
      outputs: [
        { output_type: 'stream', text: 'long o' },
        { output_type: 'omitted', omitted: 1 },
        { output_type: 'stream', text: 'third' }
      ],
      truncated: ['outputs', 'source', 'outputs[0].text']
    });
  });

  it('keeps the first and the last outputs of a long run and says how many were left out', () => {
    // A loop printing 50 lines, each line its own output.
    const outputs = Array.from({ length: 50 }, (_, i) => ({
      output_type: 'stream',
      text: `line ${i + 1}\n`
    }));
    const data = applyPolicy(
      'cell.execute',
      { success: true, outputs },
      { ...OPEN, max_outputs: 5 }
    );
    expect(data?.outputs).toEqual([
      outputs[0],
      outputs[1],
      { output_type: 'omitted', omitted: 45 },
      outputs[47],
      outputs[48],
      outputs[49]
    ]);
    expect(data?.truncated).toEqual(['outputs']);
    // The server applies the policy again: kept outputs are not cut twice.
    expect(
      applyPolicy('cell.execute', data!, { ...OPEN, max_outputs: 5 })
    ).toEqual(data);
    expect(schemaErrors(createEvent('cell.execute', data!, 's'))).toEqual([]);
  });

  it('keeps the beginning and the end of a long output', () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `step ${i + 1}`);
    const text = lines.join('\n') + '\nDone: 3000 steps\n';
    const data = applyPolicy(
      'cell.execute',
      { success: true, outputs: [{ output_type: 'stream', text }] },
      { ...OPEN, max_text_length: 200 }
    );
    const kept = (data?.outputs as { text: string }[])[0].text;
    expect(kept.length).toBeLessThanOrEqual(200);
    expect(kept.startsWith('step 1\nstep 2\n')).toBe(true);
    expect(kept.endsWith('step 3000\nDone: 3000 steps\n')).toBe(true);
    const omitted = Number(/\[\.\.\. (\d+) characters omitted/.exec(kept)![1]);
    expect(
      kept.length - `\n[... ${omitted} characters omitted ...]\n`.length
    ).toBe(text.length - omitted);
    expect(data?.truncated).toEqual(['outputs[0].text']);
    expect(
      applyPolicy('cell.execute', data!, { ...OPEN, max_text_length: 200 })
    ).toEqual(data);
  });

  it('does not change the data it was given', () => {
    const data = { source: 'abcdef' };
    applyPolicy('cell.edit', data, { ...OPEN, max_text_length: 2 });
    expect(data).toEqual({ source: 'abcdef' });
  });
});

describe('outputs', () => {
  it('keeps the text of streams, results and errors, not images', () => {
    expect(summariseOutputs(OUTPUTS)).toEqual([
      { output_type: 'stream', text: 'a\nb\n' },
      { output_type: 'execute_result', text: '42' },
      { output_type: 'display_data' },
      { output_type: 'error', text: "KeyError: 'x'" }
    ]);
  });

  it('finds the error of a failed cell', () => {
    expect(errorFromOutputs(OUTPUTS)).toEqual({
      name: 'KeyError',
      value: "'x'",
      traceback: ['\u001b[31mKeyError\u001b[0m', "KeyError: 'x'"]
    });
    expect(errorFromOutputs(OUTPUTS.slice(0, 2))).toBeNull();
  });

  it('counts lines', () => {
    expect(countLines('')).toBe(0);
    expect(countLines('a')).toBe(1);
    expect(countLines('a\nb\n')).toBe(3);
  });
});
