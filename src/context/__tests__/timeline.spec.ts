import type { IEvent } from '../../tokens';
import { cellNumbers, makeClock, prepareEvents } from '../log';
import { buildTimeline, formatTimeline } from '../timeline';
import { basketEvents, basketNotebook, NOW } from './fixtures';

const PATH = 'demo/exercise-1-basket.ipynb';

/** The timeline lines of some events on the basket notebook, in UTC. */
function timeline(events: IEvent[], now = NOW, timeZone = 'UTC'): string[] {
  const prepared = prepareEvents(events, PATH, now);
  const numbers = cellNumbers(basketNotebook().cells);
  return formatTimeline(
    buildTimeline(prepared, { numbers }),
    makeClock(now, timeZone)
  );
}

let seq = 0;

/** An event on the basket notebook at a time of 2024-03-01 (UTC). */
function event(
  time: string,
  type: string,
  cell: { id: string; index: number } | null,
  data: Record<string, unknown> = {}
): IEvent {
  return {
    schema_version: 1,
    id: `t${++seq}`,
    time: `2024-03-01T${time}.000Z`,
    session: 'page-1',
    notebook: PATH,
    kernel: { id: 'k-1', name: 'python3' },
    type,
    cell: cell ? { ...cell, type: 'code' } : null,
    data
  };
}

const ok = { success: true };
const keyError = {
  success: false,
  error: { name: 'KeyError', value: "'price'" }
};
const cells = basketNotebook().cells.map((c, index) => ({ id: c.id, index }));

describe('the timeline of recent actions', () => {
  it('tells the basket story in plain words, oldest first', () => {
    expect(timeline(basketEvents())).toEqual([
      '13:50 opened the notebook',
      '13:50 ran cell 2',
      '13:51 edited cell 4 (+65 chars)',
      "13:52 ran cell 4: KeyError: 'price'",
      '13:54 pasted 12 lines into cell 6',
      '13:55 edited cell 4 (-3 chars)',
      "13:55 ran cell 4: KeyError: 'price', the 2nd failure in 3 minutes",
      '13:56 restarted the kernel',
      '13:56 ran cell 2',
      "13:56 ran cell 4: KeyError: 'price', the 3rd failure in 4 minutes",
      '13:57 left the notebook for 8 minutes',
      '14:05 added a cell at position 7',
      '14:05 deleted cell 7',
      '14:06 asked for a hint on cell 4 (level 1)'
    ]);
  });

  it('collapses a "run all" into one line with cell ranges', () => {
    const run = [0, 1, 2, 3, 5].map((i, n) =>
      event(`14:00:0${n}`, 'cell.execute', cells[i], ok)
    );
    expect(timeline(run)).toEqual(['14:00 ran cells 1-4, 6']);
  });

  it('collapses re-runs, repeated failures and edits of one cell', () => {
    const lines = timeline([
      event('14:00:00', 'cell.execute', cells[1], ok),
      event('14:00:20', 'cell.execute', cells[1], ok),
      event('14:00:40', 'cell.execute', cells[1], ok),
      event('14:01:00', 'cell.edit', cells[3], { delta: 10 }),
      event('14:02:30', 'cell.edit', cells[3], { delta: -4 }),
      event('14:03:00', 'cell.execute', cells[3], keyError),
      event('14:03:30', 'cell.execute', cells[3], keyError)
    ]);
    expect(lines).toEqual([
      '14:00 ran cell 2 3 times',
      '14:01-14:02 edited cell 4 (+6 chars)',
      "14:03 ran cell 4 twice: KeyError: 'price', the 2nd failure in under a minute"
    ]);
  });

  it('keeps edits apart when the student paused between them', () => {
    const lines = timeline([
      event('14:00:00', 'cell.edit', cells[3], { delta: 10 }),
      event('14:04:00', 'cell.edit', cells[3], { delta: 5 })
    ]);
    expect(lines).toEqual([
      '14:00 edited cell 4 (+10 chars)',
      '14:04 edited cell 4 (+5 chars)'
    ]);
  });

  it('starts counting failures again after the cell ran without error', () => {
    const lines = timeline([
      event('14:00:00', 'cell.execute', cells[3], keyError),
      event('14:01:00', 'cell.edit', cells[3], { delta: 1 }),
      event('14:02:00', 'cell.execute', cells[3], ok),
      event('14:03:00', 'cell.edit', cells[3], { delta: 1 }),
      event('14:04:00', 'cell.execute', cells[3], keyError)
    ]);
    expect(lines[4]).toBe("14:04 ran cell 4: KeyError: 'price'");
  });

  it('numbers cells as the student sees them now, 1-based', () => {
    // The event says index 0, but that cell is the 4th cell of the notebook now.
    const moved = event(
      '14:00:00',
      'cell.execute',
      { id: cells[3].id, index: 0 },
      ok
    );
    const gone = event(
      '14:00:30',
      'cell.execute',
      { id: 'deleted-cell', index: 8 },
      ok
    );
    const move = event('14:05:00', 'cell.move', cells[3], {
      from_index: 0,
      to_index: 3
    });
    expect(timeline([moved, gone, move])).toEqual([
      '14:00 ran cells 4, 9',
      '14:05 moved a cell from position 1 to 4'
    ]);
  });

  it('describes short pastes by characters and kernel actions', () => {
    const lines = timeline([
      event('14:00:00', 'clipboard.paste', cells[1], { length: 40, lines: 1 }),
      event('14:01:00', 'kernel.interrupt', null),
      event('14:01:10', 'kernel.restart', null),
      event('14:01:20', 'kernel.restart', null)
    ]);
    expect(lines).toEqual([
      '14:00 pasted 40 characters into cell 2',
      '14:01 interrupted the kernel',
      '14:01 restarted the kernel twice'
    ]);
  });

  it('writes local times, with the date for days before today', () => {
    const now = new Date('2024-03-02T09:00:00.000Z');
    const lines = timeline(
      [
        event('13:02:00', 'cell.execute', cells[1], ok),
        {
          ...event('00:00:00', 'notebook.open', null),
          time: '2024-03-02T08:30:00.000Z'
        }
      ],
      now,
      'Europe/Berlin'
    );
    expect(lines).toEqual([
      '2024-03-01 14:02 ran cell 2',
      '09:30 opened the notebook'
    ]);
  });

  it('falls back to the local time zone when given one it does not know', () => {
    const clock = makeClock(NOW, 'Mars/Olympus_Mons');
    expect(clock(NOW.getTime())).toMatch(/^\d\d:\d\d$/);
  });

  it('keeps only the newest entries', () => {
    const many = Array.from({ length: 60 }, (_, i) =>
      event(
        `1${Math.floor(i / 60) + 3}:${String(i % 60).padStart(2, '0')}:00`,
        'clipboard.paste',
        cells[1],
        {
          length: 5,
          lines: 1
        }
      )
    );
    const lines = timeline(many, new Date('2024-03-01T14:00:00.000Z'));
    expect(lines).toHaveLength(40);
    expect(lines[39]).toBe('13:59 pasted 5 characters into cell 2');
  });
});
