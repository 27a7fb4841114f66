import { ServerConnection } from '@jupyterlab/services';
import { requestAPI } from '../api';
import type { ITutorInstructions } from '../context';

/**
 * Reads what the page may know of a notebook's instructions from
 * `GET /jelai/tutor/instructions`: the course's settings, whether hidden
 * instructions apply, and the `TUTOR.md` beside the notebook.
 */
export function fetchInstructions(
  notebook: string,
  settings?: ServerConnection.ISettings
): Promise<ITutorInstructions> {
  const params = new URLSearchParams({ notebook });
  return requestAPI<ITutorInstructions>(
    `tutor/instructions?${params.toString()}`,
    { method: 'GET' },
    settings
  );
}
