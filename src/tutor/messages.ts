import { IMessageContent, IUser } from '@jupyter/chat';
import { TranslationBundle } from '@jupyterlab/translation';
import { UUID } from '@lumino/coreutils';
import { showGuardNotes } from './guard-notes';
import type { IChatTurn } from '../context';

declare module '@jupyter/chat' {
  interface IMessageMetadata {
    /** What the tutor knows about one of its chat messages. */
    jelai?: ITutorMessageInfo;
  }
}

/**
 * Where a tutor reply stands; the last three match the server's record.
 */
export type ReplyStatus = 'streaming' | 'finished' | 'stopped' | 'failed';

/**
 * How a finished reply ended when that is worth telling the student:
 * `length` cut by the length limit, `load` / `unload` the model server only
 * loaded or unloaded the model, `unexplained` it gave no reason (Ollama
 * sends an empty `done_reason` when generation broke off), `empty` no answer.
 */
export type ReplyEnding =
  'length' | 'load' | 'unload' | 'unexplained' | 'empty';

/**
 * What a finished reply's Ollama `done_reason` means for the student; null
 * for a normal end. A missing reason (null: model servers before Ollama
 * added the field) counts as a normal end.
 */
export function replyEnding(
  doneReason: string | null | undefined,
  answer: string
): ReplyEnding | null {
  switch (doneReason) {
    case 'length':
    case 'load':
    case 'unload':
      return doneReason;
    case 'stop':
    case null:
    case undefined:
      return answer.trim() ? null : 'empty';
    default:
      return 'unexplained';
  }
}

/**
 * The tutor's view of a chat message, kept in its metadata.
 */
export interface ITutorMessageInfo {
  /** `notice` messages are the tutor's own remarks, never sent to the model. */
  role: 'user' | 'assistant' | 'notice';
  /** The text as typed, or the answer streamed (without reasoning or status mark). */
  text: string;
  status?: ReplyStatus;
  /** While streaming: the model is reasoning and has not answered yet. */
  thinking?: boolean;
  /** While streaming: the question's place in line for the model server (1: next). */
  queue?: number | null;
  /** How a finished reply ended, when not normally (see `ReplyEnding`). */
  ending?: ReplyEnding | null;
  /** Why the reply failed, in words for the student. */
  error?: string | null;
  model?: string | null;
}

/**
 * The user the tutor's messages come from (a bot, so the stop button works).
 */
export function tutorUser(trans: TranslationBundle): IUser {
  return {
    username: 'jelai-tutor',
    display_name: trans.__('Tutor'),
    initials: 'T',
    color: 'var(--jp-brand-color1)',
    bot: true
  };
}

/**
 * The current time in seconds, the unit of chat message times.
 */
export function nowInSeconds(): number {
  return Date.now() / 1000;
}

/**
 * A question the student asked.
 */
export function questionMessage(
  text: string,
  sender: IUser,
  time = nowInSeconds(),
  id: string = UUID.uuid4()
): IMessageContent {
  return {
    type: 'msg',
    id,
    time,
    sender,
    body: text,
    metadata: { jelai: { role: 'user', text } }
  };
}

/**
 * A tutor reply, its body marked when it was stopped or failed.
 */
export function replyMessage(
  info: Omit<ITutorMessageInfo, 'role'>,
  sender: IUser,
  trans: TranslationBundle,
  time = nowInSeconds(),
  id: string = UUID.uuid4()
): IMessageContent {
  return {
    type: 'msg',
    id,
    time,
    sender,
    body: replyBody(info, trans),
    metadata: { jelai: { ...info, role: 'assistant' } }
  };
}

/**
 * A remark of the tutor itself (no notebook open, history not loaded...).
 */
export function noticeMessage(
  text: string,
  sender: IUser,
  time = nowInSeconds()
): IMessageContent {
  return {
    type: 'msg',
    id: UUID.uuid4(),
    time,
    sender,
    body: Private.mark('notice', text),
    metadata: { jelai: { role: 'notice', text } }
  };
}

/**
 * The Markdown shown for a reply: the text, then a mark saying it is still
 * thinking, was stopped, failed (with the reason) or ended otherwise than
 * normally (cut by the length limit...).
 */
export function replyBody(
  info: Omit<ITutorMessageInfo, 'role'>,
  trans: TranslationBundle
): string {
  const parts = info.text
    ? [showGuardNotes(Private.closeFence(info.text), trans)]
    : [];
  if (info.status === 'streaming' && info.queue && !info.text) {
    parts.push(Private.mark('queued', Private.place(info.queue, trans)));
  } else if (info.status === 'streaming' && info.thinking) {
    parts.push(Private.mark('thinking', trans.__('Thinking…')));
  } else if (info.status === 'finished' && info.ending) {
    parts.push(
      Private.mark(
        info.ending === 'length' ? 'cut' : 'ending',
        Private.ending(info.ending, trans)
      )
    );
  } else if (info.status === 'stopped') {
    parts.push(Private.mark('stopped', trans.__('Stopped.')));
  } else if (info.status === 'failed') {
    parts.push(
      Private.mark('failed', info.error ?? trans.__('The reply failed.'))
    );
  }
  return parts.join('\n\n');
}

/**
 * The conversation as turns for the prompt: questions and non-empty replies,
 * without the tutor's notices.
 */
export function turnsOf(messages: IMessageContent[]): IChatTurn[] {
  const turns: IChatTurn[] = [];
  for (const message of messages) {
    const info = message.metadata?.jelai;
    if (!info || info.role === 'notice' || !info.text.trim()) {
      continue;
    }
    turns.push({ role: info.role, content: info.text });
  }
  return turns;
}

namespace Private {
  /** The sentence telling the student where their question waits. */
  export function place(position: number, trans: TranslationBundle): string {
    return position === 1
      ? trans.__(
          'Many students are asking the tutor right now: your question is next in line.'
        )
      : trans.__(
          'Many students are asking the tutor right now: your question is number %1 in line.',
          position
        );
  }

  /** The sentence telling the student how a reply ended. */
  export function ending(
    ending: ReplyEnding,
    trans: TranslationBundle
  ): string {
    switch (ending) {
      case 'length':
        return trans.__(
          'The reply was cut: the model reached its length limit. Ask it to go on, or ask a narrower question.'
        );
      case 'load':
        return trans.__(
          'The model server only loaded the model and gave no reply. Ask again.'
        );
      case 'unload':
        return trans.__(
          'The model server unloaded the model instead of replying. Ask again.'
        );
      case 'unexplained':
        return trans.__(
          'The reply ended without the model server saying why; it may be incomplete.'
        );
      case 'empty':
        return trans.__('The model gave no answer. Ask again.');
    }
  }

  /**
   * A status line as raw HTML (classes survive the Markdown sanitizer), so
   * it can be styled and found by UI tests.
   */
  export function mark(kind: string, text: string): string {
    const escaped = text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/\s*\n\s*/g, ' ');
    return `<div class="jp-jelai-Tutor-mark jp-mod-${kind}">${escaped}</div>`;
  }

  /**
   * Closes a code fence left open by a reply cut short, so the mark after it
   * is not shown as code.
   */
  export function closeFence(text: string): string {
    const fences = text.match(/^[ \t]*(```|~~~)/gm) ?? [];
    const open = fences.length % 2 === 1 ? fences[fences.length - 1] : null;
    return open ? `${text}\n${open.trim()}` : text;
  }
}
