import { IMessageContent } from '@jupyter/chat';
import { UUID } from '@lumino/coreutils';
import { ITutorClient, toTutorError, TutorError } from './client';
import { ReplyStatus } from './messages';
import { readGatewayLine } from './queue-line';
import { ReplyAccumulator } from './reasoning';
import type { IChatTurn } from '../context';
import { BuildRequest, IAskOptions } from './request';

/**
 * A reply being streamed, which `stop()` aborts.
 */
export class ReplyHandle {
  /** The id of the chat message the reply streams into. */
  readonly id: string = UUID.uuid4();

  /** Whether the student stopped it. */
  get stopped(): boolean {
    return this._stopped;
  }

  /** Aborts the stream, now or as soon as it starts. */
  stop(): void {
    if (!this._stopped) {
      this._stopped = true;
      this._abort?.();
    }
  }

  /** Ties the handle to the stream it can abort. */
  attach(stream: ITutorClient.IReplyStream): void {
    this._abort = () => stream.abort();
    if (this._stopped) {
      stream.abort();
    }
  }

  private _stopped = false;
  private _abort: (() => void) | null = null;
}

/**
 * One notebook's conversation with the tutor, kept in memory while another
 * notebook's is shown.
 */
export class Conversation {
  /** `notebook` changes when the notebook is renamed. */
  constructor(public notebook: string | null) {}

  /** The messages, oldest first. */
  messages: IMessageContent[] = [];
  /** The reply being streamed, if any. */
  reply: ReplyHandle | null = null;
  /** The history read back from the server, once asked for. */
  restored: Promise<void> | null = null;
  /** Bumped on clear, so a late history read does not bring messages back. */
  generation = 0;

  /** Replaces part of a message; false when it is gone (cleared meanwhile). */
  patch(id: string, patch: Partial<IMessageContent>): boolean {
    const index = this.messages.findIndex(message => message.id === id);
    if (index === -1) {
      return false;
    }
    this.messages[index] = { ...this.messages[index], ...patch };
    return true;
  }

  /** Stops the reply being streamed. */
  stop(): void {
    this.reply?.stop();
  }

  /** Stops the reply and forgets every message. */
  clear(): void {
    this.stop();
    this.generation++;
    this.messages = [];
  }
}

/**
 * How a streamed reply ended.
 */
export interface IReplyOutcome {
  /** The answer the student sees, without the model's reasoning. */
  text: string;
  /** The model's reasoning (inline blocks and Ollama's `thinking`); never shown as the answer. */
  reasoning: string;
  status: Exclude<ReplyStatus, 'streaming'>;
  error: TutorError | null;
  /**
   * Ollama's `done_reason` from the last line (`stop`, `length`, `load`,
   * `unload`, or empty when the model server gave none); null when no last
   * line came or it had no such field.
   */
  doneReason: string | null;
}

/**
 * Builds the prompt, streams the reply and reports the answer so far after
 * each chunk (reasoning left out; `thinking` while only reasoning came), and
 * the question's place in line while it waits for the model server; a
 * stopped reply keeps what arrived, a failed one says why.
 */
export async function streamReply(options: {
  client: ITutorClient;
  buildRequest: BuildRequest;
  notebook: string;
  model: string;
  turns: IChatTurn[];
  options?: IAskOptions;
  handle: ReplyHandle;
  onText: (text: string, thinking: boolean) => void;
  onQueue?: (position: number) => void;
}): Promise<IReplyOutcome> {
  const { client, notebook, model, handle } = options;
  const reply = new ReplyAccumulator();
  let shown = { text: '', thinking: false };
  let doneReason: string | null = null;
  let error: TutorError | null = null;
  try {
    const request = await options.buildRequest({
      ...options.options,
      notebook,
      turns: options.turns
    });
    if (!handle.stopped) {
      const stream = await client.chat({ ...request, model }, { notebook });
      handle.attach(stream);
      for await (const chunk of stream) {
        if (handle.stopped) {
          break;
        }
        const line = readGatewayLine(chunk);
        if (line) {
          if (line.position !== null) {
            options.onQueue?.(line.position);
          }
          continue;
        }
        if (!('message' in chunk)) {
          continue;
        }
        reply.add(chunk.message);
        const parts = reply.parts(true);
        if (parts.answer !== shown.text || parts.thinking !== shown.thinking) {
          shown = { text: parts.answer, thinking: parts.thinking };
          options.onText(shown.text, shown.thinking);
        }
        if (chunk.done) {
          doneReason =
            typeof chunk.done_reason === 'string' ? chunk.done_reason : null;
        }
      }
    }
  } catch (caught) {
    // Aborting makes the stream throw; that is a stop, not a failure.
    if (!handle.stopped) {
      error = toTutorError(caught);
    }
  }
  const status = handle.stopped ? 'stopped' : error ? 'failed' : 'finished';
  const { answer, reasoning } = reply.parts(false);
  return { text: answer, reasoning, status, error, doneReason };
}
