import { IEvent, IEventQuery, SCHEMA_VERSION } from '../../tokens';
import { ITutorClient } from '../client';
import type { IQuestion, ITutorChatRequest } from '../request';
import { IGatewayChunk } from '../queue-line';
import { TutorChatModel } from '../model';

/** What a reply stream yields: Ollama's chunks, or a line of the gateway. */
type Chunk = ITutorClient.IChunk | IGatewayChunk;

/**
 * A streamed reply driven by the test, shaped like Ollama's
 * AbortableAsyncIterator: abort() makes the loop throw an AbortError.
 */
export class FakeStream implements ITutorClient.IReplyStream {
  aborted = false;

  push(content: string): void {
    this._put({
      chunk: { message: { role: 'assistant', content }, done: false }
    });
  }

  /** A chunk of a thinking model's reasoning, in Ollama's `message.thinking`. */
  pushThinking(thinking: string): void {
    this._put({
      chunk: {
        message: { role: 'assistant', content: '', thinking },
        done: false
      }
    });
  }

  /** The course's gateway telling the question's place in line. */
  pushPlace(position: number): void {
    this._put({ chunk: { jelai: { queue: { position } } } });
  }

  /** The last line; `doneReason` undefined leaves the field out. */
  finish(doneReason?: string): void {
    const reason = doneReason === undefined ? {} : { done_reason: doneReason };
    this._put({
      chunk: {
        message: { role: 'assistant', content: '' },
        done: true,
        ...reason
      }
    });
  }

  fail(error: Error): void {
    this._put({ error });
  }

  abort(): void {
    this.aborted = true;
    const error = new Error('The user aborted a request.');
    error.name = 'AbortError';
    this._put({ error });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Chunk> {
    for (;;) {
      while (!this._queue.length) {
        await new Promise<void>(resolve => (this._wake = resolve));
      }
      const item = this._queue.shift()!;
      if (item.error) {
        throw item.error;
      }
      yield item.chunk!;
      if ('done' in item.chunk! && item.chunk.done) {
        return;
      }
    }
  }

  private _put(item: { chunk?: Chunk; error?: Error }): void {
    this._queue.push(item);
    this._wake?.();
    this._wake = null;
  }

  private _queue: { chunk?: Chunk; error?: Error }[] = [];
  private _wake: (() => void) | null = null;
}

/**
 * A tutor client whose replies are FakeStreams (or a failure) the test drives.
 */
export class FakeClient implements ITutorClient {
  calls: { request: ITutorChatRequest; notebook: string }[] = [];
  streams: FakeStream[] = [];
  failNext: Error | null = null;

  async chat(
    request: ITutorChatRequest,
    context: ITutorClient.IContext
  ): Promise<ITutorClient.IReplyStream> {
    this.calls.push({ request, ...context });
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = null;
      throw error;
    }
    const stream = new FakeStream();
    this.streams.push(stream);
    return stream;
  }

  async listModels(): Promise<string[]> {
    return ['tiny:1b', 'llama3.1:8b'];
  }

  /** The stream of the latest call, once the model has asked for it. */
  async nextStream(): Promise<FakeStream> {
    const count = this.streams.length;
    for (let i = 0; i < 50 && this.streams.length === count; i++) {
      await tick();
    }
    return this.streams[this.streams.length - 1];
  }
}

/**
 * The telemetry slice the model uses, recording what it was asked.
 */
export function fakeTelemetry(events: IEvent[] = []) {
  return {
    session: 'page-now',
    publish: jest.fn(() => null),
    flush: jest.fn(async () => undefined),
    query: jest.fn(async () => events)
  } satisfies TutorChatModel.ITelemetryLike;
}

/**
 * A query over stored events as the server answers it: one notebook's
 * events of the asked types, the most recent `limit`, oldest first.
 */
export function storeQuery(events: IEvent[]) {
  return jest.fn(async (request: IEventQuery) => {
    const found = events.filter(
      event =>
        event.notebook === request.notebook &&
        (!request.types || request.types.includes(event.type))
    );
    return request.limit === undefined ? found : found.slice(-request.limit);
  });
}

/**
 * A stored event as the server returns it.
 */
export function storedEvent(
  type: string,
  data: Record<string, unknown>,
  overrides: Partial<IEvent> = {}
): IEvent {
  return {
    schema_version: SCHEMA_VERSION,
    id: `ev-${Math.random().toString(16).slice(2)}`,
    time: '2025-01-01T10:00:00.000Z',
    session: 'page-before',
    notebook: 'lab/week1.ipynb',
    kernel: null,
    type,
    cell: null,
    data,
    ...overrides
  };
}

/**
 * Lets pending promises and stream steps run.
 */
export function tick(): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, 0));
}

/**
 * A request with no context built around it: the conversation's non-empty
 * turns, the question last, and the hint for the gateway.
 */
export function plainRequest(
  question: IQuestion
): Omit<ITutorChatRequest, 'model'> {
  return {
    messages: question.turns
      .filter(turn => turn.content.trim() !== '')
      .map(turn => ({ role: turn.role, content: turn.content })),
    jelai: question.hint ? { hint: question.hint.level } : {}
  };
}
