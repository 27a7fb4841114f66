/**
 * How a cell execution ended, as `cell.execute` events record it:
 *
 * - `ok`: the kernel replied status ok.
 * - `error`: the cell's code raised; the only outcome that is a failure.
 * - `interrupted`: the student interrupted the kernel (`KeyboardInterrupt`).
 * - `aborted`: the kernel skipped the cell because an earlier cell failed
 *   (Jupyter's `stop_on_error`); not a run.
 * - `no_reply`: no reply came (the kernel died, was restarted or shut down,
 *   or the connection was lost while the cell was queued or running).
 */
export type ExecutionOutcome =
  'ok' | 'error' | 'interrupted' | 'aborted' | 'no_reply';

/**
 * Every outcome, in the order of the schema.
 */
export const EXECUTION_OUTCOMES: readonly ExecutionOutcome[] = [
  'ok',
  'error',
  'interrupted',
  'aborted',
  'no_reply'
];

/**
 * The outcome of a `cell.execute` event's data: its `outcome` field, or for
 * events recorded before that field existed, derived from the rest: success
 * means ok, a `KeyboardInterrupt` means interrupted, no error at all means
 * the kernel aborted the cell, any other error is an error.
 */
export function executionOutcome(
  data: Readonly<Record<string, unknown>>
): ExecutionOutcome {
  const recorded = data.outcome;
  if (EXECUTION_OUTCOMES.includes(recorded as ExecutionOutcome)) {
    return recorded as ExecutionOutcome;
  }
  if (data.success === true) {
    return 'ok';
  }
  const error = data.error as { name?: unknown } | null | undefined;
  if (!error || typeof error !== 'object') {
    return 'aborted';
  }
  return error.name === 'KeyboardInterrupt' ? 'interrupted' : 'error';
}

/**
 * Whether an execution counts as a run of the cell: anything but aborted.
 */
export function isRun(outcome: ExecutionOutcome): boolean {
  return outcome !== 'aborted';
}

/**
 * Whether an execution counts as a failure: only a real error raised by the code.
 */
export function isFailure(outcome: ExecutionOutcome): boolean {
  return outcome === 'error';
}
