import { IMessageContent, IUser } from '@jupyter/chat';
import { TranslationBundle } from '@jupyterlab/translation';
import { IEvent, ITelemetry } from '../tokens';
import { queryAcrossRenames } from './renames';
import {
  noticeMessage,
  questionMessage,
  replyEnding,
  replyMessage,
  ReplyStatus
} from './messages';
import { splitReasoning } from './reasoning';

/**
 * The event types read back to show a conversation again after a reload.
 */
export const HISTORY_EVENT_TYPES = ['chat.exchange', 'chat.clear'];

/**
 * How many recent events are read back per notebook.
 */
export const HISTORY_LIMIT = 500;

/**
 * One exchange recorded by the server proxy, to show again.
 */
export interface IRecordedExchange {
  id: string;
  /** When it was recorded, in seconds. */
  time: number;
  session: string;
  question: string;
  /** The answer, without the model's reasoning. */
  reply: string;
  status: Exclude<ReplyStatus, 'streaming'>;
  error: string | null;
  model: string | null;
  /** Ollama's `done_reason`, when the record has one. */
  doneReason: string | null;
}

/**
 * The exchanges recorded after the last `chat.clear`, in the order the
 * server returned them (oldest first); research data stays on the server,
 * clearing only hides what came before.
 */
export function exchangesSinceClear(events: IEvent[]): IRecordedExchange[] {
  let start = 0;
  events.forEach((event, index) => {
    if (event.type === 'chat.clear') {
      start = index + 1;
    }
  });
  const exchanges: IRecordedExchange[] = [];
  for (const event of events.slice(start)) {
    if (event.type !== 'chat.exchange') {
      continue;
    }
    const exchange = Private.toExchange(event);
    if (exchange) {
      exchanges.push(exchange);
    }
  }
  return exchanges;
}

/**
 * The chat messages showing recorded exchanges again: each question, then
 * its reply marked as it ended.
 */
export function exchangeMessages(
  exchanges: IRecordedExchange[],
  options: { user: IUser; tutor: IUser; trans: TranslationBundle }
): IMessageContent[] {
  const { user, tutor, trans } = options;
  return exchanges.flatMap(exchange => [
    questionMessage(exchange.question, user, exchange.time),
    replyMessage(
      {
        text: exchange.reply,
        status: exchange.status,
        error: exchange.error
          ? trans.__('The reply failed: %1', exchange.error)
          : null,
        model: exchange.model,
        ending:
          exchange.status === 'finished'
            ? replyEnding(exchange.doneReason, exchange.reply)
            : null
      },
      tutor,
      trans,
      exchange.time
    )
  ]);
}

/**
 * Reads a notebook's conversation back from the server as chat messages,
 * under the paths it had before a rename too, leaving out this page's own
 * exchanges (already shown); when it cannot, a notice says why.
 */
export async function readHistory(
  telemetry: Pick<ITelemetry, 'query' | 'session'>,
  notebook: string,
  options: { user: IUser; tutor: IUser; trans: TranslationBundle }
): Promise<IMessageContent[]> {
  try {
    const events = await queryAcrossRenames(query => telemetry.query(query), {
      notebook,
      types: HISTORY_EVENT_TYPES,
      limit: HISTORY_LIMIT
    });
    const exchanges = exchangesSinceClear(events).filter(
      exchange => exchange.session !== telemetry.session
    );
    return exchangeMessages(exchanges, options);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const text = options.trans.__(
      'The earlier conversation could not be loaded: %1',
      reason
    );
    return [noticeMessage(text, options.tutor, 0)];
  }
}

namespace Private {
  const STATUSES = ['finished', 'stopped', 'failed'];

  export function toExchange(event: IEvent): IRecordedExchange | null {
    const data = event.data;
    const question = lastUserMessage(data.messages);
    if (question === null) {
      return null;
    }
    const status = STATUSES.includes(data.status as string)
      ? (data.status as IRecordedExchange['status'])
      : 'finished';
    const time = Date.parse(event.time);
    return {
      id: event.id,
      time: Number.isNaN(time) ? 0 : time / 1000,
      session: event.session,
      question,
      // Records made before reasoning was kept apart may carry it inline.
      reply:
        typeof data.reply === 'string' ? splitReasoning(data.reply).answer : '',
      status,
      error: typeof data.error === 'string' && data.error ? data.error : null,
      model: typeof data.model === 'string' ? data.model : null,
      doneReason: typeof data.done_reason === 'string' ? data.done_reason : null
    };
  }

  /**
   * The student's question is the last `user` message sent to the model.
   */
  export function lastUserMessage(messages: unknown): string | null {
    if (!Array.isArray(messages)) {
      return null;
    }
    for (let i = messages.length - 1; i >= 0; i--) {
      const message = messages[i] as { role?: unknown; content?: unknown };
      if (message?.role === 'user' && typeof message.content === 'string') {
        return message.content;
      }
    }
    return null;
  }
}
