import type { Cell, ICodeCellModel } from '@jupyterlab/cells';
import { IDisposable } from '@lumino/disposable';

import { errorFromOutputs, IErrorSummary, summariseOutputs } from './events';
import { ExecutionOutcome, executionOutcome } from './outcome';

/**
 * Follows each request to run a code cell of one notebook from the moment
 * it is sent to its outcome, and reports one `cell.execute` per request.
 *
 * JupyterLab's `executed` signal covers replies (ok, error, aborted) and
 * requests that failed to be sent; when the kernel dies, restarts or is shut
 * down under a queued or running cell, JupyterLab cancels the request and
 * says nothing. Such a request is seen through the output area's kernel
 * future, whose `done` promise is rejected when it is cancelled, and
 * reported as `no_reply`.
 */
export class ExecutionWatcher implements IDisposable {
  /** Starts with no request pending. */
  constructor(options: ExecutionWatcher.IOptions) {
    this._emit = options.emit;
  }

  /** Whether the watcher is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Notes a cell sent to the kernel: its source and when. */
  scheduled(cell: Cell): void {
    if (this._isDisposed) {
      return;
    }
    const id = cell.model.id;
    const current = Private.futureOf(cell);
    const previous = this._runs.get(id);
    if (previous !== undefined && !previous.bound) {
      // JupyterLab set the earlier request's future after telling us of it.
      this._bind(previous, current);
    }
    const run: Private.IRun = {
      id,
      cell,
      source: cell.model.sharedModel.getSource(),
      started: Date.now(),
      before: current,
      bound: false,
      settled: false
    };
    this._runs.set(id, run);
    // The request's future is made right after this signal, in the same task.
    void Promise.resolve().then(() => {
      if (!run.bound && this._runs.get(id) === run) {
        this._bind(run, Private.futureOf(cell));
      }
    });
  }

  /** Reports the outcome JupyterLab gives for a cell. */
  executed(cell: Cell, success: boolean, error?: unknown): void {
    if (this._isDisposed) {
      return;
    }
    const id = cell.model.id;
    const run = this._runs.get(id) ?? {
      id,
      cell,
      source: cell.model.sharedModel.getSource(),
      started: null,
      before: null,
      bound: true,
      settled: false
    };
    this._finish(run, executionOutcome(success, error), error);
  }

  /** Reports every request still waiting as `no_reply` (the notebook closes). */
  abandon(): void {
    Array.from(this._runs.values()).forEach(run =>
      this._finish(run, 'no_reply')
    );
  }

  /** Stops following; nothing more is reported. */
  dispose(): void {
    this._isDisposed = true;
    this._runs.clear();
  }

  private _bind(run: Private.IRun, future: Private.IFuture | null): void {
    run.bound = true;
    if (future === null || future === run.before) {
      return; // nothing was sent (empty cell, no kernel): `executed` tells
    }
    future.done.then(
      () => undefined,
      () => {
        if (!this._isDisposed) {
          this._finish(run, 'no_reply');
        }
      }
    );
  }

  private _finish(
    run: Private.IRun,
    outcome: ExecutionOutcome,
    error?: unknown
  ): void {
    if (run.settled) {
      return;
    }
    run.settled = true;
    if (this._runs.get(run.id) === run) {
      this._runs.delete(run.id);
    }
    const model = run.cell.model as ICodeCellModel;
    // A deleted cell's model is gone; what it showed is no longer known.
    const outputs = model.isDisposed ? [] : model.outputs.toJSON();
    let failure: IErrorSummary | null = null;
    if (outcome === 'error' || outcome === 'interrupted') {
      failure = Private.errorSummary(error) ?? errorFromOutputs(outputs);
    }
    this._emit(
      {
        source: run.source,
        success: outcome === 'ok',
        outcome,
        execution_count: model.isDisposed
          ? null
          : (model.executionCount ?? null),
        duration_ms:
          run.started === null ? null : Math.max(0, Date.now() - run.started),
        error: failure,
        outputs: summariseOutputs(outputs)
      },
      run.id
    );
  }

  private _emit: ExecutionWatcher.Emit;
  private _runs = new Map<string, Private.IRun>();
  private _isDisposed = false;
}

/**
 * The options of `ExecutionWatcher`.
 */
export namespace ExecutionWatcher {
  /** Receives the `data` of each `cell.execute` and the id of its cell. */
  export type Emit = (data: Record<string, unknown>, cellId: string) => void;

  /** Where to report. */
  export interface IOptions {
    /** Called once per request, with its outcome. */
    emit: Emit;
  }
}

namespace Private {
  /** What the watcher uses of a kernel request. */
  export interface IFuture {
    readonly done: Promise<unknown>;
  }

  /** One request to run a cell. */
  export interface IRun {
    id: string;
    cell: Cell;
    /** The source sent: typing while it runs is not what ran. */
    source: string;
    /** When it was sent (ms since the epoch), null if not seen. */
    started: number | null;
    /** The cell's future before this request, to tell the new one. */
    before: IFuture | null;
    /** Whether the request's future is known (or known to be none). */
    bound: boolean;
    settled: boolean;
  }

  /** The kernel future of a code cell's output area, if any. */
  export function futureOf(cell: Cell): IFuture | null {
    const area = (cell as { outputArea?: { future?: IFuture | null } })
      .outputArea;
    return area?.future ?? null;
  }

  /** The error a kernel's reply carries (`KernelError`), if any. */
  export function errorSummary(error: unknown): IErrorSummary | null {
    const reply = error as {
      errorName?: unknown;
      errorValue?: unknown;
      traceback?: unknown;
    } | null;
    if (!reply || !reply.errorName) {
      return null;
    }
    return {
      name: String(reply.errorName),
      value: String(reply.errorValue ?? ''),
      traceback: Array.isArray(reply.traceback)
        ? reply.traceback.map(String)
        : []
    };
  }
}
