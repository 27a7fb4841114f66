import { IMessageContent } from '@jupyter/chat';
import { TranslationBundle } from '@jupyterlab/translation';
import { checkReply, IReplyCheck, IReplyCheckOptions } from '../context';
import { replyBody } from './messages';

/**
 * The rules a finished reply is checked against: the mode and snippet limit in effect.
 */
export type ReplyRules = Pick<IReplyCheckOptions, 'mode' | 'maxCodeLines'>;

/**
 * Where the chat model finds the rules for a notebook; null leaves replies as they are.
 */
export type ReplyRulesSource = (
  notebook: string
) => ReplyRules | null | Promise<ReplyRules | null>;

/**
 * Checks a reply against the rules (see `checkReply`), the note after a cut
 * code block in the student's language.
 */
export function reviewReply(
  text: string,
  rules: ReplyRules,
  trans: TranslationBundle
): IReplyCheck {
  return checkReply(text, {
    ...rules,
    note: removed =>
      `*${trans._n(
        '(%1 more line of code left out: the tutor shows short snippets, so you can write the rest yourself.)',
        '(%1 more lines of code left out: the tutor shows short snippets, so you can write the rest yourself.)',
        removed
      )}*`
  });
}

/**
 * Replies read back from the history, checked again: the server keeps each
 * reply as the model wrote it, the student sees it as it was shown.
 */
export function reviewHistory(
  messages: IMessageContent[],
  rules: ReplyRules,
  trans: TranslationBundle
): IMessageContent[] {
  return messages.map(message => {
    const info = message.metadata?.jelai;
    if (info?.role !== 'assistant' || !info.text) {
      return message;
    }
    const check = reviewReply(info.text, rules, trans);
    if (!check.trimmed) {
      return message;
    }
    const reviewed = { ...info, text: check.text };
    return {
      ...message,
      body: replyBody(reviewed, trans),
      metadata: { ...message.metadata, jelai: reviewed }
    };
  });
}
