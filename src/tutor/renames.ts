import { IEvent, IEventQuery } from '../tokens';

/**
 * The event telemetry records under a notebook's new path when it is
 * renamed or moved; `data.from` is the path it had before.
 */
export const RENAME_EVENT = 'notebook.rename';

/**
 * How many renames back a notebook's events are followed.
 */
export const MAX_RENAMES = 10;

/**
 * A notebook's events under its path and the paths it had before, oldest
 * first: each `notebook.rename` leads to the events of the previous path up
 * to the moment of the rename (later ones belong to whatever took that path
 * since). Without rename events (telemetry off, or the type not recorded)
 * only the current path is read.
 */
export async function queryAcrossRenames(
  query: (request: IEventQuery) => Promise<IEvent[]>,
  request: IEventQuery
): Promise<IEvent[]> {
  const wanted = request.types ?? null;
  const types = wanted ? [...new Set([...wanted, RENAME_EVENT])] : undefined;
  const found: IEvent[] = [];
  const visited = new Set<string>();
  let path = request.notebook;
  let before: string | null = null;
  for (let hop = 0; hop <= MAX_RENAMES && !visited.has(path); hop++) {
    visited.add(path);
    const events = (await query({ ...request, notebook: path, types })).filter(
      event => before === null || event.time < before
    );
    found.push(
      ...events.filter(event => !wanted || wanted.includes(event.type))
    );
    const rename = Private.lastRename(events);
    if (rename === null) {
      break;
    }
    path = rename.from;
    before = rename.time;
  }
  // Paths were read newest first; a stable sort keeps each one's order.
  found.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return request.limit === undefined ? found : found.slice(-request.limit);
}

namespace Private {
  export function lastRename(
    events: IEvent[]
  ): { from: string; time: string } | null {
    for (let i = events.length - 1; i >= 0; i--) {
      const { type, data, time } = events[i];
      if (type === RENAME_EVENT && typeof data.from === 'string' && data.from) {
        return { from: data.from, time };
      }
    }
    return null;
  }
}
