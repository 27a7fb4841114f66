/**
 * Every run is recorded as what it was: ok, error, interrupted, aborted (an
 * earlier cell failed, so it never ran) or no_reply (the kernel died or was
 * restarted under it, and JupyterLab says nothing at all).
 */
import type { ICodeCellModel } from '@jupyterlab/cells';
import { KernelError, NotebookActions } from '@jupyterlab/notebook';
import { Signal } from '@lumino/signaling';

import { IEvent, ITelemetry } from '../../tokens';
import { NotebookTelemetry } from '../producers';
import {
  FakeFuture,
  FakePanel,
  FakeTracker,
  IFakeCell,
  recordingTelemetry
} from './fake-panel';
import { schemaErrors } from './schema';

const scheduled = NotebookActions.executionScheduled as Signal<
  unknown,
  unknown
>;
const executed = NotebookActions.executed as Signal<unknown, unknown>;

/** The reply of a cell whose code raised `ename`. */
function raised(ename: string, evalue: string): KernelError {
  return new KernelError({
    status: 'error',
    ename,
    evalue,
    traceback: [`${ename}: ${evalue}`],
    execution_count: 2
  });
}

describe('execution outcomes', () => {
  let events: IEvent[];
  let telemetry: ITelemetry;
  let tracker: FakeTracker;
  let recorder: NotebookTelemetry;
  let panel: FakePanel;

  beforeEach(async () => {
    jest.useFakeTimers();
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    ({ telemetry, events } = recordingTelemetry());
    panel = new FakePanel();
    panel.model.sharedModel.insertCell(2, {
      cell_type: 'code',
      source: 'print(a)',
      id: 'p'
    });
    tracker = new FakeTracker([panel]);
    recorder = new NotebookTelemetry({ telemetry, tracker: tracker as never });
    panel.ready.resolve();
    await jest.advanceTimersByTimeAsync(0);
    events.length = 0;
  });

  afterEach(() => {
    recorder.dispose();
    panel.dispose();
    events.forEach(event => expect(schemaErrors(event)).toEqual([]));
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  const runs = () => events.filter(e => e.type === 'cell.execute');

  /** Sends a cell to the kernel as JupyterLab does; returns its request. */
  function schedule(index: number): FakeFuture {
    const cell = panel.cell(index);
    scheduled.emit({ notebook: panel.content, cell });
    const future = new FakeFuture();
    (cell as unknown as IFakeCell).outputArea.future = future;
    return future;
  }

  /** The kernel's reply, as JupyterLab reports it. */
  function finish(
    index: number,
    future: FakeFuture,
    success: boolean,
    error: Error | null = null
  ): void {
    future.reply();
    executed.emit({
      notebook: panel.content,
      cell: panel.cell(index),
      success,
      error
    });
  }

  it('records a run that worked as ok', async () => {
    finish(0, schedule(0), true);
    await jest.advanceTimersByTimeAsync(0);
    expect(runs()).toMatchObject([
      { cell: { id: 'a' }, data: { outcome: 'ok', success: true, error: null } }
    ]);
  });

  it('records a cell whose code raised as an error, with the error', async () => {
    const future = schedule(1);
    (panel.model.cells.get(1) as ICodeCellModel).outputs.add({
      output_type: 'error',
      ename: 'KeyError',
      evalue: "'x'",
      traceback: []
    });
    finish(1, future, false, raised('KeyError', "'x'"));
    await jest.advanceTimersByTimeAsync(0);
    expect(runs()).toMatchObject([
      {
        data: {
          outcome: 'error',
          success: false,
          error: { name: 'KeyError', value: "'x'" }
        }
      }
    ]);
  });

  it('records a run the student interrupted as interrupted', async () => {
    finish(0, schedule(0), false, raised('KeyboardInterrupt', ''));
    await jest.advanceTimersByTimeAsync(0);
    expect(runs()[0].data).toMatchObject({
      outcome: 'interrupted',
      success: false,
      error: { name: 'KeyboardInterrupt' }
    });
  });

  it('records a cell the kernel skipped after an earlier error as aborted', async () => {
    const future = schedule(2);
    finish(
      2,
      future,
      false,
      new KernelError({ status: 'aborted', execution_count: null })
    );
    await jest.advanceTimersByTimeAsync(0);
    expect(runs()[0].data).toMatchObject({
      outcome: 'aborted',
      success: false,
      error: null
    });
  });

  it('records cells the kernel never answered when it restarts under them', async () => {
    const running = schedule(0);
    const queued = schedule(1);
    await jest.advanceTimersByTimeAsync(700);
    // A restart: the status changes, JupyterLab cancels both requests and
    // emits no `executed` for either.
    panel.sessionContext.statusChanged.emit('restarting');
    running.cancel();
    queued.cancel();
    await jest.advanceTimersByTimeAsync(0);
    expect(events.map(e => e.type)).toEqual([
      'kernel.restart',
      'cell.execute',
      'cell.execute'
    ]);
    expect(runs()).toMatchObject([
      {
        cell: { id: 'a' },
        data: {
          outcome: 'no_reply',
          success: false,
          error: null,
          duration_ms: 700
        }
      },
      { cell: { id: 'b' }, data: { outcome: 'no_reply' } }
    ]);
  });

  it('records a request that failed before any reply as no_reply', async () => {
    const future = schedule(0);
    future.reply(); // nothing to wait for any more
    executed.emit({
      notebook: panel.content,
      cell: panel.cell(0),
      success: false,
      error: new Error('Kernel is dead')
    });
    await jest.advanceTimersByTimeAsync(0);
    expect(runs()[0].data).toMatchObject({ outcome: 'no_reply', error: null });
  });

  it('records the source that was sent, not what was typed while it ran', async () => {
    const future = schedule(0);
    panel.model.cells.get(0).sharedModel.setSource('a = 100');
    finish(0, future, true);
    await jest.advanceTimersByTimeAsync(0);
    expect(runs()[0].data.source).toBe('a = 1');
  });

  it('records each cell once when a queued run is cancelled and run again', async () => {
    const first = schedule(0);
    const second = schedule(0);
    // The output area gives up the first request when it takes the second.
    first.cancel();
    await jest.advanceTimersByTimeAsync(0);
    finish(0, second, true);
    await jest.advanceTimersByTimeAsync(0);
    expect(runs().map(e => e.data.outcome)).toEqual(['no_reply', 'ok']);
  });

  it('records a queued cell as no_reply before the notebook closes', async () => {
    const future = schedule(1);
    panel.dispose();
    future.cancel();
    await jest.advanceTimersByTimeAsync(0);
    expect(events.map(e => e.type)).toEqual(['cell.execute', 'notebook.close']);
    expect(events[0].data).toMatchObject({ outcome: 'no_reply' });
  });

  it('counts Run All three times over x = 1, 1/0, print(x): 3 ok, 3 errors, 3 aborted', async () => {
    for (let round = 0; round < 3; round++) {
      const futures = [0, 1, 2].map(index => schedule(index));
      finish(0, futures[0], true);
      finish(1, futures[1], false, raised('ZeroDivisionError', 'division'));
      finish(
        2,
        futures[2],
        false,
        new KernelError({ status: 'aborted', execution_count: null })
      );
    }
    await jest.advanceTimersByTimeAsync(0);
    const outcomes = runs().map(e => `${e.cell!.id}:${e.data.outcome}`);
    expect(outcomes).toEqual([
      'a:ok',
      'b:error',
      'p:aborted',
      'a:ok',
      'b:error',
      'p:aborted',
      'a:ok',
      'b:error',
      'p:aborted'
    ]);
    expect(runs().filter(e => e.data.success)).toHaveLength(3);
  });
});
