import { Signal } from '@lumino/signaling';
import {
  basketEvents,
  basketNotebook,
  NOW,
  TOTAL_CELL
} from '../../context/__tests__/fixtures';
import type { ITutorInstructions } from '../../context';
import { createEvent } from '../../telemetry/events';
import type {
  IEvent,
  IEventContext,
  IEventQuery,
  ITelemetry
} from '../../tokens';
import { TutorContextProvider } from '../context-provider';

/** The basket notebook's path. */
export const PATH = 'demo/exercise-1-basket.ipynb';

/**
 * The telemetry slice the provider and the cell actions use: a store the
 * test fills, and `publish` announcing each event at once, like the service.
 */
export class FakeTelemetry {
  readonly session = 'page-now';
  readonly eventPublished = new Signal<ITelemetry, IEvent>(
    this as unknown as ITelemetry
  );
  stored: IEvent[] = [];
  /** Whether `publish` records (false: the instructor turned the type off). */
  records = true;
  published: IEvent[] = [];
  query = jest.fn(async (query: IEventQuery) =>
    this.stored
      .filter(event => event.notebook === query.notebook)
      .slice(-(query.limit ?? Infinity))
  );

  publish(
    type: string,
    data: Record<string, unknown> = {},
    context: IEventContext = {}
  ): IEvent | null {
    if (!this.records) {
      return null;
    }
    const event = createEvent(type, data, this.session, context, this.clock());
    this.published.push(event);
    this.eventPublished.emit(event);
    return event;
  }

  clock: () => Date = () => new Date();
}

/** A provider over the basket notebook, its fixture log as the stored events. */
export function basketProvider(
  options: Partial<TutorContextProvider.IOptions> = {}
) {
  const telemetry = new FakeTelemetry();
  telemetry.stored = basketEvents();
  let now = NOW;
  telemetry.clock = () => now;
  const instructions = jest.fn(async (): Promise<ITutorInstructions> => ({
    course: { instructions_tokens: 400 },
    assignment: { path: 'demo/TUTOR.md', text: 'Exercise 1: a basket.' },
    hidden_instructions: true,
    hidden_assignment: 'exercise-1'
  }));
  const state = {
    notebook: basketNotebook(),
    activeCellId: TOTAL_CELL as string | null,
    metadata: { instructions: 'Guide the student towards .get().' } as unknown
  };
  const provider = new TutorContextProvider({
    telemetry,
    notebooks: path => (path === PATH ? state : null),
    instructions,
    now: () => now,
    timeZone: 'UTC',
    ...options
  });
  const setNow = (date: Date) => (now = date);
  return { telemetry, provider, instructions, state, setNow };
}
