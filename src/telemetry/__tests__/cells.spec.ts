import { NotebookModel } from '@jupyterlab/notebook';

import { ICellRef } from '../../tokens';
import { CellWatcher, diffCells } from '../cells';

interface IRecorded {
  type: string;
  data: Record<string, unknown>;
  cell: ICellRef;
}

describe('diffCells', () => {
  it('reports one move for a cell dragged elsewhere', () => {
    expect(diffCells(['a', 'b', 'c', 'd'], ['a', 'c', 'd', 'b'])).toEqual({
      removed: [],
      added: [],
      moved: [{ id: 'b', from: 1, to: 3 }]
    });
    expect(diffCells(['a', 'b', 'c', 'd'], ['d', 'a', 'b', 'c'])).toEqual({
      removed: [],
      added: [],
      moved: [{ id: 'd', from: 3, to: 0 }]
    });
  });

  it('names the cell that was taken out and put back, when that is known', () => {
    // [a, b, c] -> [a, c, b]: b moved down, or c moved up; only JupyterLab's
    // re-insertion tells which.
    expect(diffCells(['a', 'b', 'c'], ['a', 'c', 'b'], new Set(['b']))).toEqual(
      { removed: [], added: [], moved: [{ id: 'b', from: 1, to: 2 }] }
    );
    expect(diffCells(['a', 'b', 'c'], ['a', 'c', 'b'], new Set(['c']))).toEqual(
      { removed: [], added: [], moved: [{ id: 'c', from: 2, to: 1 }] }
    );
    // Put back where it was: no move.
    expect(diffCells(['a', 'b'], ['a', 'b'], new Set(['b'])).moved).toEqual([]);
  });

  it('does not take cells shifted by an insertion or deletion for moves', () => {
    expect(diffCells(['a', 'b', 'c'], ['a', 'x', 'b', 'c'])).toEqual({
      removed: [],
      added: [{ id: 'x', index: 1 }],
      moved: []
    });
    expect(diffCells(['a', 'b', 'c'], ['a', 'c'])).toEqual({
      removed: [{ id: 'b', index: 1 }],
      added: [],
      moved: []
    });
  });
});

describe('CellWatcher', () => {
  let model: NotebookModel;
  let events: IRecorded[];
  let watcher: CellWatcher;

  beforeEach(() => {
    jest.useFakeTimers();
    // The shared model touches its Yjs types before they join the document;
    // Yjs warns about it, which is not what these tests are about.
    const warn = console.warn;
    jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      const text = String(args[0]);
      if (!text.startsWith('Invalid access') && !text.includes('[yjs#509]')) {
        warn(...args);
      }
    });
    model = new NotebookModel();
    model.sharedModel.insertCells(0, [
      { cell_type: 'code', source: 'a = 1', id: 'a' },
      { cell_type: 'markdown', source: '# Title', id: 'b' },
      { cell_type: 'code', source: 'print(a)', id: 'c' }
    ]);
    events = [];
    watcher = new CellWatcher({
      model,
      emit: (type, data, cell) => events.push({ type, data, cell })
    });
  });

  afterEach(() => {
    watcher.dispose();
    model.dispose();
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('reports nothing for the cells already there', async () => {
    await jest.advanceTimersByTimeAsync(5000);
    expect(events).toEqual([]);
  });

  it('reports an added cell with its place and type', async () => {
    model.sharedModel.insertCell(1, { cell_type: 'raw', id: 'n' });
    await jest.advanceTimersByTimeAsync(0);
    expect(events).toEqual([
      { type: 'cell.add', data: {}, cell: { id: 'n', index: 1, type: 'raw' } }
    ]);
  });

  it('reports a deleted cell with the source it had', async () => {
    const cell = model.cells.get(2);
    cell.sharedModel.setSource('print(a + 1)');
    model.sharedModel.deleteCell(2);
    await jest.advanceTimersByTimeAsync(5000);
    expect(events).toEqual([
      {
        type: 'cell.remove',
        data: { source: 'print(a + 1)' },
        cell: { id: 'c', index: 2, type: 'code' }
      }
    ]);
  });

  it('reports a move as one move, not a deletion and an addition', async () => {
    model.sharedModel.moveCell(0, 2);
    await jest.advanceTimersByTimeAsync(0);
    expect(events).toEqual([
      {
        type: 'cell.move',
        data: { from_index: 0, to_index: 2 },
        cell: { id: 'a', index: 2, type: 'code' }
      }
    ]);
  });

  it('reports typing once it pauses, with the new source and the change in length', async () => {
    const cell = model.cells.get(0);
    for (const [i, ch] of ['2', '3'].entries()) {
      cell.sharedModel.updateSource(5 + i, 5 + i, ch);
      await jest.advanceTimersByTimeAsync(500);
    }
    expect(events).toEqual([]);
    await jest.advanceTimersByTimeAsync(1500);
    expect(events).toEqual([
      {
        type: 'cell.edit',
        data: { source: 'a = 123', length: 7, delta: 2 },
        cell: { id: 'a', index: 0, type: 'code' }
      }
    ]);

    cell.sharedModel.updateSource(4, 7, '9');
    await jest.advanceTimersByTimeAsync(1500);
    expect(events[1].data).toEqual({ source: 'a = 9', length: 5, delta: -2 });
  });

  it('says nothing when typing ends where it began', async () => {
    const cell = model.cells.get(0);
    cell.sharedModel.updateSource(5, 5, 'x');
    cell.sharedModel.updateSource(5, 6, '');
    await jest.advanceTimersByTimeAsync(2000);
    expect(events).toEqual([]);
  });

  it('follows the edits of a cell after it moved', async () => {
    model.sharedModel.moveCell(2, 0);
    await jest.advanceTimersByTimeAsync(0);
    model.cells.get(0).sharedModel.setSource('print(b)');
    watcher.flushEdits('c');
    expect(events.map(e => e.type)).toEqual(['cell.move', 'cell.edit']);
    expect(events[1].cell).toEqual({ id: 'c', index: 0, type: 'code' });
  });

  it('reports pending typing at once when asked (before a run)', () => {
    model.cells.get(2).sharedModel.setSource('print(a * 2)');
    watcher.flushEdits('c');
    expect(events.map(e => e.type)).toEqual(['cell.edit']);
  });
});
