import { IEvent } from '../../tokens';
import { MAX_RENAMES, queryAcrossRenames, RENAME_EVENT } from '../renames';
import { storedEvent, storeQuery } from './fakes';

const at = (minute: number) =>
  `2025-01-01T10:${String(minute).padStart(2, '0')}:00.000Z`;

const said = (notebook: string, minute: number, text: string) =>
  storedEvent('chat.exchange', { text }, { notebook, time: at(minute) });

const renamed = (from: string, to: string, minute: number) =>
  storedEvent(RENAME_EVENT, { from }, { notebook: to, time: at(minute) });

const texts = (events: IEvent[]) => events.map(event => event.data.text);

describe('queryAcrossRenames', () => {
  it('follows a notebook back through its renames, each path up to its rename', async () => {
    const query = storeQuery([
      said('draft.ipynb', 1, 'first'),
      renamed('draft.ipynb', 'lab1.ipynb', 2),
      said('draft.ipynb', 3, 'a new notebook that took the old name'),
      said('lab1.ipynb', 4, 'second'),
      renamed('lab1.ipynb', 'week1/lab1.ipynb', 5),
      said('week1/lab1.ipynb', 6, 'third')
    ]);
    const events = await queryAcrossRenames(query, {
      notebook: 'week1/lab1.ipynb',
      types: ['chat.exchange']
    });
    expect(texts(events)).toEqual(['first', 'second', 'third']);
    expect(query).toHaveBeenCalledTimes(3);
    expect(query.mock.calls[0][0].types).toEqual([
      'chat.exchange',
      RENAME_EVENT
    ]);
  });

  it('keeps the rename events when they are asked for, and the limit', async () => {
    const query = storeQuery([
      said('a.ipynb', 1, 'one'),
      said('a.ipynb', 2, 'two'),
      renamed('a.ipynb', 'b.ipynb', 3),
      said('b.ipynb', 4, 'three')
    ]);
    const all = await queryAcrossRenames(query, { notebook: 'b.ipynb' });
    expect(all.map(event => event.type)).toEqual([
      'chat.exchange',
      'chat.exchange',
      RENAME_EVENT,
      'chat.exchange'
    ]);
    const recent = await queryAcrossRenames(query, {
      notebook: 'b.ipynb',
      types: ['chat.exchange'],
      limit: 2
    });
    expect(texts(recent)).toEqual(['two', 'three']);
  });

  it('stops at a path it has already read, and after MAX_RENAMES', async () => {
    const circle = storeQuery([
      said('a.ipynb', 1, 'in a'),
      renamed('b.ipynb', 'a.ipynb', 2),
      renamed('a.ipynb', 'b.ipynb', 3),
      said('b.ipynb', 4, 'in b')
    ]);
    const events = await queryAcrossRenames(circle, {
      notebook: 'b.ipynb',
      types: ['chat.exchange']
    });
    expect(texts(events)).toEqual(['in a', 'in b']);
    expect(circle).toHaveBeenCalledTimes(2);

    const chain = Array.from({ length: MAX_RENAMES + 5 }, (_, i) =>
      renamed(`n${i}.ipynb`, `n${i + 1}.ipynb`, i + 1)
    );
    const long = storeQuery(chain);
    await queryAcrossRenames(long, { notebook: `n${MAX_RENAMES + 5}.ipynb` });
    expect(long).toHaveBeenCalledTimes(MAX_RENAMES + 1);
  });
});
