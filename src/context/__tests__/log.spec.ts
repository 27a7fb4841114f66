import type { IEvent } from '../../tokens';
import { activeTime, parseTime, prepareEvents } from '../log';

function event(
  id: string,
  time: string,
  type = 'cell.edit',
  notebook = 'a.ipynb'
): IEvent {
  return {
    schema_version: 1,
    id,
    time,
    session: 's',
    notebook,
    kernel: null,
    type,
    cell: null,
    data: {}
  };
}

const NOW = new Date('2024-03-01T12:00:00.000Z');

describe('reading the event log', () => {
  it('reads event times like Date.parse does', () => {
    for (const time of [
      '2024-03-01T10:00:00.000Z',
      '1999-12-31T23:59:59.999Z',
      '2024-03-01T10:00:00Z',
      '2024-03-01T11:00:00.000+01:00',
      '2024-13-01T10:00:00.000Z',
      '2024-03-01T24:00:00.000Z',
      '2024-03-0aT10:00:00.000Z',
      'yesterday'
    ]) {
      expect([time, parseTime(time)]).toEqual([time, Date.parse(time)]);
    }
  });

  it('orders stored and live events by time and keeps each id once', () => {
    const stored = ['10:00', '10:01', '10:02', '10:03'].map(m =>
      event(`s${m}`, `2024-03-01T${m}:00.000Z`)
    );
    const live = [
      stored[2],
      stored[3],
      event('live', '2024-03-01T10:04:00.000Z')
    ];
    const ids = (events: IEvent[]) =>
      prepareEvents(events, 'a.ipynb', NOW).map(e => e.event.id);
    expect(ids([...stored, ...live])).toEqual([
      's10:00',
      's10:01',
      's10:02',
      's10:03',
      'live'
    ]);
    // Shuffled beyond one overlap, with a time in another offset.
    const shuffled = [
      live[2],
      stored[1],
      stored[0],
      { ...stored[3], time: '2024-03-01T11:03:00.000+01:00' }
    ];
    expect(ids([...shuffled, stored[3]])).toEqual([
      's10:00',
      's10:01',
      's10:03',
      'live'
    ]);
  });

  it('keeps two events of the same millisecond when their ids differ', () => {
    const a = event('a', '2024-03-01T10:00:00.000Z');
    const b = event('b', '2024-03-01T10:00:00.000Z');
    expect(
      prepareEvents([a, b, a, b], 'a.ipynb', NOW).map(e => e.event.id)
    ).toEqual(['a', 'b']);
  });

  it('leaves out other notebooks, times after now and unreadable times', () => {
    const events = [
      event('other', '2024-03-01T10:00:00.000Z', 'cell.edit', 'b.ipynb'),
      event('later', '2024-03-01T12:00:00.001Z'),
      event('bad', 'soon'),
      event('now', '2024-03-01T12:00:00.000Z')
    ];
    expect(prepareEvents(events, 'a.ipynb', NOW).map(e => e.event.id)).toEqual([
      'now'
    ]);
  });

  it('counts active time without idle pauses or time away', () => {
    const events = prepareEvents(
      [
        event('1', '2024-03-01T11:00:00.000Z'),
        event('2', '2024-03-01T11:04:00.000Z'), // 4 min: counted
        event('3', '2024-03-01T11:20:00.000Z'), // 16 min idle: not counted
        event('4', '2024-03-01T11:21:00.000Z', 'notebook.hidden'), // 1 min: counted
        event('5', '2024-03-01T11:24:00.000Z', 'notebook.visible'), // away: not counted
        event('6', '2024-03-01T11:58:00.000Z') // 34 min idle: not counted
      ],
      'a.ipynb',
      NOW
    );
    expect(activeTime(events, NOW)).toBe((4 + 1 + 2) * 60000); // and 2 min up to now
  });
});
