import { NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { Signal } from '@lumino/signaling';

import { IEvent, ITelemetry } from '../../tokens';
import { NotebookTelemetry } from '../producers';
import { Telemetry } from '../service';
import { FakePanel, recordingTelemetry } from './fake-panel';
import { MemoryStorage, serverConfig } from './helpers';

describe('NotebookTelemetry', () => {
  let events: IEvent[];
  let telemetry: ITelemetry;
  let panel: FakePanel;

  beforeEach(() => {
    jest.useFakeTimers();
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    ({ telemetry, events } = recordingTelemetry());
    panel = new FakePanel();
  });

  afterEach(() => {
    if (!panel.isDisposed) {
      panel.dispose();
    }
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  const types = () => events.map(e => e.type);

  it('follows notebooks already open and routes runs and interrupts to them', async () => {
    const executed = NotebookActions.executed as Signal<unknown, unknown>;
    const commandExecuted = new Signal<unknown, unknown>({});
    const tracker = {
      forEach: (fn: (p: NotebookPanel) => void) => fn(panel.panel),
      widgetAdded: new Signal<unknown, NotebookPanel>({}),
      currentWidget: panel.panel,
      find: (fn: (p: NotebookPanel) => boolean) =>
        fn(panel.panel) ? panel.panel : undefined
    };
    const recorder = new NotebookTelemetry({
      telemetry,
      tracker: tracker as never,
      commands: { commandExecuted } as never
    });
    expect(events).toEqual([]);
    panel.ready.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(types()).toEqual(['notebook.open', 'notebook.visible']);

    executed.emit({
      notebook: panel.content,
      cell: panel.cell(0),
      success: true,
      error: null
    });
    executed.emit({
      notebook: {},
      cell: panel.cell(0),
      success: true,
      error: null
    });
    commandExecuted.emit({
      id: 'notebook:interrupt-kernel',
      args: { widgetId: 'panel-1' },
      result: Promise.resolve()
    });
    commandExecuted.emit({ id: 'notebook:run-cell', args: {} });
    expect(types().slice(2)).toEqual(['cell.execute', 'kernel.interrupt']);

    recorder.dispose();
    executed.emit({
      notebook: panel.content,
      cell: panel.cell(0),
      success: true,
      error: null
    });
    expect(events).toHaveLength(4);
  });
  it('queues notebook.hidden before the hidden page sends its queue', async () => {
    const bodies: string[] = [];
    const service = new Telemetry({
      config: Promise.resolve(serverConfig()),
      sink: {
        post: () => new Promise(() => undefined),
        keepalive: async body => {
          bodies.push(body);
          return { ok: true, status: 200 };
        },
        storage: new MemoryStorage(),
        window
      }
    });
    await service.config;
    const recorder = new NotebookTelemetry({
      telemetry: service,
      tracker: {
        forEach: (fn: (p: NotebookPanel) => void) => fn(panel.panel),
        widgetAdded: new Signal<unknown, NotebookPanel>({})
      } as never
    });
    panel.ready.resolve();
    await jest.advanceTimersByTimeAsync(0);

    Object.defineProperty(document, 'visibilityState', {
      value: 'hidden',
      configurable: true
    });
    try {
      document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
    } finally {
      Object.defineProperty(document, 'visibilityState', {
        value: 'visible',
        configurable: true
      });
    }
    const sent = bodies.flatMap(b => JSON.parse(b).events as IEvent[]);
    expect(sent.map(e => e.type)).toEqual([
      'notebook.open',
      'notebook.visible',
      'notebook.hidden'
    ]);
    recorder.dispose();
    service.dispose();
  });
});
