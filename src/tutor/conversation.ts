import { IMessageContent } from '@jupyter/chat';
import { UUID } from '@lumino/coreutils';
import { ITutorClient, toTutorError, TutorError } from './client';
import { ReplyStatus } from './messages';
import { BuildMessages, ITutorRequest, ITutorTurn } from './prompt';

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
  text: string;
  status: Exclude<ReplyStatus, 'streaming'>;
  error: TutorError | null;
}

/**
 * Builds the prompt, streams the reply and reports the text so far after
 * each chunk; a stopped reply keeps what arrived, a failed one says why.
 */
export async function streamReply(options: {
  client: ITutorClient;
  buildMessages: BuildMessages;
  notebook: string;
  model: string;
  turns: ITutorTurn[];
  request?: ITutorRequest;
  handle: ReplyHandle;
  onText: (text: string) => void;
}): Promise<IReplyOutcome> {
  const { client, notebook, model, handle } = options;
  let text = '';
  let error: TutorError | null = null;
  try {
    const messages = await options.buildMessages({
      ...options.request,
      notebook,
      turns: options.turns
    });
    if (!handle.stopped) {
      const stream = await client.chat({ model, messages }, { notebook });
      handle.attach(stream);
      for await (const chunk of stream) {
        if (handle.stopped) {
          break;
        }
        const piece = chunk.message?.content ?? '';
        if (piece) {
          text += piece;
          options.onText(text);
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
  return { text, status, error };
}
