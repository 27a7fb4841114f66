/**
 * What became of one request to run a cell, as `cell.execute` records it.
 *
 * - `ok`: the kernel replied with status ok.
 * - `error`: the kernel replied with status error: the cell's code raised.
 * - `interrupted`: the kernel replied with status error and the exception
 *   `KeyboardInterrupt`: the student interrupted the kernel.
 * - `aborted`: the kernel replied with status aborted: the cell never ran
 *   because an earlier cell failed (Jupyter's `stop_on_error`).
 * - `no_reply`: no reply came: the kernel died, was restarted or shut down,
 *   or the connection was lost while the cell was queued or running.
 *
 * Source: the `execute_reply` statuses of the Jupyter messaging protocol,
 * https://jupyter-client.readthedocs.io/en/stable/messaging.html#execution-results
 */
export type ExecutionOutcome =
  'ok' | 'error' | 'interrupted' | 'aborted' | 'no_reply';

/**
 * The outcome of a run from what JupyterLab's `NotebookActions.executed`
 * reports.
 *
 * JupyterLab turns a reply that is not ok into a `KernelError` carrying the
 * reply's `ename` (undefined for an aborted reply, which has none); any other
 * error means the request failed before a reply came.
 */
export function executionOutcome(
  success: boolean,
  error?: unknown
): ExecutionOutcome {
  if (success) {
    return 'ok';
  }
  if (!Private.isKernelReply(error)) {
    return 'no_reply';
  }
  if (!error.errorName) {
    return 'aborted';
  }
  return error.errorName === 'KeyboardInterrupt' ? 'interrupted' : 'error';
}

namespace Private {
  /** Whether an error stands for a kernel's reply (a `KernelError`). */
  export function isKernelReply(
    error: unknown
  ): error is { errorName?: string } {
    return error instanceof Error && 'errorName' in error;
  }
}
