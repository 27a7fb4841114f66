import { ServerConnection } from '@jupyterlab/services';
import { requestAPI } from '../api';
import type { ITutorInstructions } from '../context';

/**
 * Reads the course and assignment layers of a notebook's pedagogy from
 * `GET /jelai/tutor/instructions` (the notebook layer is in its metadata).
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
