import type { IPedagogy } from '../context';

/**
 * The rules the server holds a notebook's replies to: the mode and the
 * snippet limit in effect after the assignment and notebook layers.
 */
export type ReplyRules = Pick<IPedagogy, 'mode' | 'maxCodeLines'>;

/**
 * Where the chat model finds the rules for a notebook; null leaves the course's.
 */
export type ReplyRulesSource = (
  notebook: string
) => ReplyRules | null | Promise<ReplyRules | null>;

/**
 * The request header telling the server proxy the rules a `TUTOR.md` or the
 * notebook's metadata set; the server applies the course's rules and lets
 * this header only tighten them.
 */
export const REPLY_RULES_HEADER = 'X-Jelai-Reply-Rules';

/**
 * The value of `X-Jelai-Reply-Rules` for the rules.
 */
export function replyRulesHeader(rules: ReplyRules): string {
  return JSON.stringify({
    mode: rules.mode,
    max_code_lines: rules.maxCodeLines
  });
}
