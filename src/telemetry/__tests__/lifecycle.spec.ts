/**
 * Closing notebooks: JupyterLab disposes a view's content, the document's
 * model and cells and the kernel session in its own order; whatever it is,
 * closing records `notebook.close` with what was pending, throws nothing and
 * leaves no listener or timer behind.
 */
import { NotebookActions } from '@jupyterlab/notebook';
import { Signal } from '@lumino/signaling';

import { IEvent, ITelemetry } from '../../tokens';
import { NotebookTelemetry } from '../producers';
import { FakeDocument, FakePanel, FakeTracker } from './fake-panel';
import { recordingTelemetry } from './fake-panel';

describe('closing notebooks', () => {
  let events: IEvent[];
  let telemetry: ITelemetry;
  let tracker: FakeTracker;
  let recorder: NotebookTelemetry;
  let errors: unknown[];

  beforeEach(() => {
    jest.useFakeTimers();
    errors = [];
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    jest
      .spyOn(console, 'error')
      .mockImplementation((...args) => errors.push(args));
    ({ telemetry, events } = recordingTelemetry());
    tracker = new FakeTracker();
    recorder = new NotebookTelemetry({
      telemetry,
      tracker: tracker as never,
      scrollDelay: 500,
      editDelay: 1500
    });
  });

  afterEach(() => {
    recorder.dispose();
    tracker.panels.forEach(p => p.dispose());
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  const of = (notebook: string) =>
    events.filter(e => e.notebook === notebook).map(e => e.type);

  /** Opens a notebook at `path`, with typing and a scroll still pending. */
  async function openBusy(id: string, path: string): Promise<FakePanel> {
    const doc = new FakeDocument();
    doc.context.path = path;
    const panel = new FakePanel(id, doc);
    tracker.add(panel);
    panel.ready.resolve();
    await jest.advanceTimersByTimeAsync(0);
    panel.model.cells.get(0).sharedModel.setSource(`a = ${id}`);
    panel.content.node.dispatchEvent(new Event('scroll'));
    await jest.advanceTimersByTimeAsync(100);
    return panel;
  }

  it('records the close of a notebook whose model JupyterLab disposed first, with the typing before it', async () => {
    const panel = await openBusy('p1', 'lab.ipynb');
    expect(() => panel.dispose()).not.toThrow();
    expect(panel.doc.isDisposed).toBe(true);
    expect(of('lab.ipynb')).toEqual([
      'notebook.open',
      'notebook.visible',
      'cell.edit',
      'notebook.close'
    ]);
    expect(events[events.length - 1].kernel).toEqual({
      id: 'k-1',
      name: 'python3'
    });
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(10000);
    expect(of('lab.ipynb')).toHaveLength(4);
    expect(errors).toEqual([]);
  });

  it('leaves nothing of twenty closed notebooks listening or waiting', async () => {
    for (let i = 0; i < 20; i++) {
      const panel = await openBusy(`p${i}`, `n${i}.ipynb`);
      panel.dispose();
      expect(jest.getTimerCount()).toBe(0);
    }
    // Whatever JupyterLab still says about those notebooks is not heard.
    for (const panel of tracker.panels) {
      const executed = NotebookActions.executed as Signal<unknown, unknown>;
      executed.emit({ notebook: panel.content, cell: {}, success: true });
      panel.context.saveState.emit('completed');
      panel.sessionContext.statusChanged.emit('restarting');
      panel.content.node.dispatchEvent(new Event('scroll'));
      panel.content.node.dispatchEvent(new Event('copy'));
    }
    await jest.advanceTimersByTimeAsync(10000);
    for (let i = 0; i < 20; i++) {
      expect(of(`n${i}.ipynb`)).toEqual([
        'notebook.open',
        'notebook.visible',
        'cell.edit',
        'notebook.close'
      ]);
    }
    expect(jest.getTimerCount()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('records nothing of a notebook closed before it finished loading', async () => {
    const panel = new FakePanel('p1');
    tracker.add(panel);
    panel.dispose();
    panel.ready.resolve();
    await jest.advanceTimersByTimeAsync(5000);
    expect(events).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('stops cleanly when recording stops while notebooks are open', async () => {
    const panel = await openBusy('p1', 'lab.ipynb');
    expect(() => recorder.dispose()).not.toThrow();
    const count = events.length;
    panel.model.cells.get(1).sharedModel.setSource('more');
    panel.dispose();
    await jest.advanceTimersByTimeAsync(5000);
    expect(events).toHaveLength(count);
    expect(errors).toEqual([]);
  });
});
