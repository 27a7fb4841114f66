import type { IEvent } from '../../tokens';
import { buildContext } from '../build';
import { cellNumbers, makeClock, prepareEvents } from '../log';
import { executionOutcome } from '../outcome';
import { tutorSettings } from '../settings';
import { buildTimeline, formatTimeline } from '../timeline';
import type { INotebookSnapshot } from '../types';

const PATH = 'lab/run-all.ipynb';
const NOW = new Date('2024-05-02T10:10:00.000Z');

/** The notebook of the Run All story: the second cell raises, the rest depend on the first. */
function notebook(): INotebookSnapshot {
  const cell = (id: string, source: string) => ({
    id,
    type: 'code' as const,
    source,
    executionCount: null,
    outputs: ''
  });
  return {
    path: PATH,
    kernelName: 'python3',
    cells: [
      cell('c1', 'x = 1'),
      cell('c2', '1/0'),
      cell('c3', 'print(x)'),
      cell('c4', 'y = x + 1')
    ]
  };
}

let seq = 0;

/** A `cell.execute` event on cell `index` (0-based) at `time` (HH:MM:SS, UTC). */
function execute(
  time: string,
  index: number,
  data: Record<string, unknown>
): IEvent {
  return {
    schema_version: 1,
    id: `e${++seq}`,
    time: `2024-05-02T${time}.000Z`,
    session: 'page-1',
    notebook: PATH,
    kernel: { id: 'k-1', name: 'python3' },
    type: 'cell.execute',
    cell: { id: `c${index + 1}`, index, type: 'code' },
    data: { source: notebook().cells[index].source, ...data }
  };
}

const zeroDivision = {
  name: 'ZeroDivisionError',
  value: 'division by zero',
  traceback: ['ZeroDivisionError: division by zero']
};

/** What the kernel replies to cell `index` in a Run All, with the `outcome` field or without. */
function runAllData(
  index: number,
  withOutcome: boolean
): Record<string, unknown> {
  const data =
    index === 0
      ? { success: true, error: null, outcome: 'ok' }
      : index === 1
        ? { success: false, error: zeroDivision, outcome: 'error' }
        : { success: false, error: null, outcome: 'aborted' };
  if (!withOutcome) {
    delete (data as { outcome?: string }).outcome;
  }
  return data;
}

/** Run All three times, a minute apart. */
function runAllThreeTimes(withOutcome = true): IEvent[] {
  const events: IEvent[] = [];
  for (const minute of ['00', '01', '02']) {
    for (let index = 0; index < 4; index++) {
      events.push(
        execute(`10:${minute}:0${index}`, index, runAllData(index, withOutcome))
      );
    }
  }
  return events;
}

/** The timeline lines of some events, in UTC. */
function timeline(events: IEvent[]): string[] {
  const prepared = prepareEvents(events, PATH, NOW);
  return formatTimeline(
    buildTimeline(prepared, { numbers: cellNumbers(notebook().cells) }),
    makeClock(NOW, 'UTC')
  );
}

describe('execution outcomes in the tutor context', () => {
  it.each([
    ['with the outcome recorded', true],
    ['derived for events recorded without it', false]
  ])(
    'tells Run All three times as 3 failures of cell 2, and cells 3-4 not run (%s)',
    (_, withOutcome) => {
      const lines = timeline(runAllThreeTimes(withOutcome));
      expect(lines).toEqual([
        '10:00 ran cell 1',
        '10:00 ran cell 2: ZeroDivisionError: division by zero',
        '10:00 cells 3-4 not run: the kernel skipped them because an earlier cell failed',
        '10:01 ran cell 1',
        '10:01 ran cell 2: ZeroDivisionError: division by zero, the 2nd failure in 1 minute',
        '10:01 cells 3-4 not run: the kernel skipped them because an earlier cell failed',
        '10:02 ran cell 1',
        '10:02 ran cell 2: ZeroDivisionError: division by zero, the 3rd failure in 2 minutes',
        '10:02 cells 3-4 not run: the kernel skipped them because an earlier cell failed'
      ]);
      const text = lines.join('\n');
      expect(text).not.toMatch(/4th failure/);
      expect(text).not.toMatch(/ran cell [34]/);
    }
  );

  it('never calls a skipped cell the last error, nor the cell that raised it resolved', () => {
    const result = buildContext({
      notebook: notebook(),
      activeCellId: 'c3',
      events: runAllThreeTimes(),
      conversation: [],
      question: 'why does print(x) not print?',
      now: NOW,
      settings: tutorSettings({}),
      timeZone: 'UTC'
    });
    const context = result.messages[result.messages.length - 1].content;
    expect(context).toContain('## Last error: cell 2 at 10:02');
    expect(context).toContain('ZeroDivisionError: division by zero');
    expect(context).not.toContain('ran without error afterwards');
  });

  it('tells an interrupted cell as interrupted, not as a failure', () => {
    const interrupt = {
      success: false,
      outcome: 'interrupted',
      error: { name: 'KeyboardInterrupt', value: '' }
    };
    const lines = timeline([
      execute('10:00:00', 1, runAllData(1, true)),
      execute('10:03:00', 1, interrupt),
      execute('10:04:00', 1, runAllData(1, true))
    ]);
    expect(lines).toEqual([
      '10:00 ran cell 2: ZeroDivisionError: division by zero',
      '10:03 ran cell 2: the student interrupted it (KeyboardInterrupt)',
      '10:04 ran cell 2: ZeroDivisionError: division by zero, the 2nd failure in 4 minutes'
    ]);
  });

  it('derives interrupted from a KeyboardInterrupt recorded without outcome', () => {
    const lines = timeline([
      execute('10:03:00', 0, {
        success: false,
        error: { name: 'KeyboardInterrupt', value: '' }
      })
    ]);
    expect(lines).toEqual([
      '10:03 ran cell 1: the student interrupted it (KeyboardInterrupt)'
    ]);
  });

  it('tells no reply as the kernel stopping, not as an error', () => {
    const lines = timeline([
      execute('10:05:00', 0, {
        success: false,
        error: null,
        outcome: 'no_reply'
      }),
      execute('10:05:01', 1, {
        success: false,
        error: null,
        outcome: 'no_reply'
      })
    ]);
    expect(lines).toEqual([
      '10:05 cells 1-2 got no reply: the kernel stopped (died, restarted or disconnected) before they finished'
    ]);
    expect(lines.join('\n')).not.toMatch(/error|failure/);
  });

  it('does not take an interrupt as the last error', () => {
    const result = buildContext({
      notebook: notebook(),
      activeCellId: 'c1',
      events: [
        execute('10:00:00', 1, runAllData(1, true)),
        execute('10:03:00', 0, {
          success: false,
          outcome: 'interrupted',
          error: { name: 'KeyboardInterrupt', value: '' }
        })
      ],
      conversation: [],
      question: 'what now?',
      now: NOW,
      settings: tutorSettings({}),
      timeZone: 'UTC'
    });
    const context = result.messages[result.messages.length - 1].content;
    expect(context).toContain('## Last error: cell 2 at 10:00');
  });

  it.each([
    [{ success: true }, 'ok'],
    [{ success: false, error: { name: 'KeyError', value: "'a'" } }, 'error'],
    [{ success: false, error: { name: 'KeyboardInterrupt' } }, 'interrupted'],
    [{ success: false, error: null }, 'aborted'],
    [{ success: false }, 'aborted'],
    [{ success: false, error: null, outcome: 'no_reply' }, 'no_reply'],
    [{ success: false, error: null, outcome: 'bogus' }, 'aborted']
  ])('reads the outcome of %j as %s', (data, expected) => {
    expect(executionOutcome(data)).toBe(expected);
  });
});
