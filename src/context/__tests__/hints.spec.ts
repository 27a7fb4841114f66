import type { IEvent } from '../../tokens';
import {
  hintEventData,
  HINT_LEVELS,
  nextHintLevel,
  TUTOR_HINT_EVENT
} from '../hints';
import { executeEvent, TOTAL_CELL } from './fixtures';

const NOW = new Date('2024-03-01T14:30:00.000Z');
let seq = 0;

function hint(time: string, cellId = TOTAL_CELL, id = `h${++seq}`): IEvent {
  return {
    schema_version: 1,
    id,
    time: `2024-03-01T${time}.000Z`,
    session: 'page-1',
    notebook: 'demo/exercise-1-basket.ipynb',
    kernel: null,
    type: TUTOR_HINT_EVENT,
    cell: { id: cellId, index: 3, type: 'code' },
    data: {}
  };
}

describe('hint escalation', () => {
  it('goes from a nudge to the concept to a concrete pointer, then stays there', () => {
    expect(HINT_LEVELS.map(l => l.name)).toEqual([
      'nudge',
      'concept',
      'pointer'
    ]);
    const given: IEvent[] = [];
    const levels = [];
    for (const time of ['14:20:00', '14:22:00', '14:25:00', '14:28:00']) {
      levels.push(nextHintLevel(given, TOTAL_CELL, NOW));
      given.push(hint(time));
    }
    levels.push(nextHintLevel(given, TOTAL_CELL, NOW));
    expect(levels).toEqual([1, 2, 3, 3, 3]);
  });

  it('counts hints per cell', () => {
    const events = [hint('14:20:00'), hint('14:21:00')];
    expect(nextHintLevel(events, TOTAL_CELL, NOW)).toBe(3);
    expect(nextHintLevel(events, '668c49d1', NOW)).toBe(1);
  });

  it('starts again once the cell runs without error', () => {
    const events = [
      hint('14:20:00'),
      hint('14:21:00'),
      executeEvent(
        'ok-1',
        '2024-03-01T14:22:00.000Z',
        { id: TOTAL_CELL, index: 3 },
        null
      )
    ];
    expect(nextHintLevel(events, TOTAL_CELL, NOW)).toBe(1);
    expect(nextHintLevel([...events, hint('14:25:00')], TOTAL_CELL, NOW)).toBe(
      2
    );
  });

  it('starts again after a long pause, and still climbs when a run fails', () => {
    expect(
      nextHintLevel([hint('13:00:00'), hint('13:01:00')], TOTAL_CELL, NOW)
    ).toBe(1);
    const failed = executeEvent(
      'ko-1',
      '2024-03-01T14:22:00.000Z',
      { id: TOTAL_CELL, index: 3 },
      {
        name: 'KeyError',
        value: "'price'"
      }
    );
    expect(nextHintLevel([hint('14:20:00'), failed], TOTAL_CELL, NOW)).toBe(2);
  });

  it('counts a hint once when stored and live events repeat it, and ignores later ones', () => {
    const once = hint('14:20:00', TOTAL_CELL, 'same');
    expect(nextHintLevel([once, { ...once }], TOTAL_CELL, NOW)).toBe(2);
    expect(nextHintLevel([hint('14:40:00')], TOTAL_CELL, NOW)).toBe(1);
  });

  it('records the level by number and name', () => {
    expect(hintEventData(2)).toEqual({ level: 2, name: 'concept' });
  });
});
