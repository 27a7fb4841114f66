import type { IEvent } from '../../tokens';
import { tutorSettings } from '../settings';
import type { IChatTurn, IContextInput, INotebookSnapshot } from '../types';
import conversation from './fixtures/basket-conversation.json';
import events from './fixtures/basket-events.json';
import notebook from './fixtures/basket-notebook.json';

/** When the student asks, in the basket fixture (UTC). */
export const NOW = new Date('2024-03-01T14:06:20.000Z');

/** Id of cell 4 of the basket notebook, the one that raises KeyError. */
export const TOTAL_CELL = '3b852f08';

/** The basket fixture's events, a fresh copy. */
export function basketEvents(): IEvent[] {
  return JSON.parse(JSON.stringify(events)) as IEvent[];
}

/** The basket fixture's notebook, a fresh copy. */
export function basketNotebook(): INotebookSnapshot {
  return JSON.parse(JSON.stringify(notebook)) as INotebookSnapshot;
}

/** The question "why?" on cell 4 of the basket notebook, with its log and chat. */
export function basketInput(
  overrides: Partial<IContextInput> = {}
): IContextInput {
  return {
    notebook: basketNotebook(),
    activeCellId: TOTAL_CELL,
    events: basketEvents(),
    conversation: conversation as IChatTurn[],
    question: 'why?',
    now: NOW,
    settings: tutorSettings({}),
    timeZone: 'UTC',
    ...overrides
  };
}

/** An execute event on a cell of the basket notebook. */
export function executeEvent(
  id: string,
  time: string,
  cell: { id: string; index: number },
  error: { name: string; value: string; traceback?: string[] } | null
): IEvent {
  return {
    schema_version: 1,
    id,
    time,
    session: 'page-1',
    notebook: 'demo/exercise-1-basket.ipynb',
    kernel: { id: 'k-1', name: 'python3' },
    type: 'cell.execute',
    cell: { ...cell, type: 'code' },
    data: { success: !error, error, source: 'total = 0', execution_count: 9 }
  };
}
