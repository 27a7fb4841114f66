/**
 * Default token budget of the messages sent to the model: with Ollama's
 * `num_ctx` of 8192 it leaves about 2,000 tokens for the reply.
 */
export const DEFAULT_BUDGET_TOKENS = 6000;

/**
 * Tokens a chat template adds around each message (role markers).
 */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/**
 * A deliberately pessimistic token estimate that holds for every script,
 * summing a weight per character:
 *
 * - English letters and spaces: 1/3 (common tokenizers
 *   average about 4 characters per token on English prose);
 * - digits and line breaks 1/2, other ASCII symbols 3/4: code is dense in
 *   brackets, quotes and operators, often one token each;
 * - accented Latin letters 1/2; Greek, Cyrillic, Hebrew, Arabic... 2/3;
 * - every other character of the Basic Multilingual Plane (Chinese,
 *   Japanese, Korean, Indic and South-East Asian scripts, typographic
 *   punctuation) 1: tokenizers with few merges for them (Llama 2, Mistral)
 *   fall back to one token or more per character;
 * - characters outside it (emoji, rare ideographs) 2.
 *
 * So a 15,000-character question in Chinese is counted as 15,000 tokens,
 * not the 5,000 that one token per 3 characters would say.
 */
export function estimateTokens(text: string): number {
  return weightToTokens(textWeight(text));
}

/**
 * The token weight of a text in twelfths of a token (see `estimateTokens`),
 * an exact integer: the weight of joined texts is the sum of theirs, so
 * parts can be counted once each.
 */
export function textWeight(text: string): number {
  let total = 0;
  for (let i = 0; i < text.length; i++) {
    total += Private.weight(text.charCodeAt(i));
  }
  return total;
}

/**
 * Tokens of a weight in twelfths, rounded up.
 */
export function weightToTokens(weight: number): number {
  return Math.ceil(weight / 12);
}

/**
 * Estimated tokens of a list of chat messages, template overhead included.
 */
export function estimateMessages(
  messages: readonly { content: string }[]
): number {
  let total = 0;
  for (const message of messages) {
    total += estimateTokens(message.content) + MESSAGE_OVERHEAD_TOKENS;
  }
  return total;
}

/**
 * One step of trimming; see `TRIM_STEPS` for what each does.
 */
export type TrimStep =
  | 'neighbours'
  | 'timeline:10'
  | 'conversation:2'
  | 'error:short'
  | 'active-output:short'
  | 'timeline:3'
  | 'active-source:short'
  | 'conversation:0'
  | 'error:line'
  | 'timeline:0'
  | 'active-output:none'
  | 'active-source:min'
  | 'error:none'
  | 'question:clip';

/**
 * The fixed order in which a prompt over budget is trimmed; each step runs
 * until the prompt fits or the step has nothing left to do:
 *
 *  1. `neighbours`: drop the cells around the active one, farthest first
 *     (below before above at the same distance).
 *  2. `timeline:10`: drop the oldest recent actions until 10 remain.
 *  3. `conversation:2`: drop the oldest turns until the last exchange remains.
 *  4. `error:short`: cut the last error's traceback to its head and tail (12 lines).
 *  5. `active-output:short`: cut the active cell's output to 10 lines.
 *  6. `timeline:3`: drop the oldest actions until 3 remain.
 *  7. `active-source:short`: cut the active cell's source to 30 lines (head and tail).
 *  8. `conversation:0`: drop the rest of the conversation.
 *  9. `error:line`: keep only the error's one line (`KeyError: 'price'`).
 * 10. `timeline:0`: drop the remaining actions.
 * 11. `active-output:none`: drop the active cell's output.
 * 12. `active-source:min`: cut the active cell's source to 8 lines.
 * 13. `error:none`: drop the last error.
 * 14. `question:clip`: cut the question in the middle (only a pasted wall of text gets here).
 *
 * Never trimmed: the notebook line (name, kernel, time). The budget is what
 * the gateway's instructions leave (see `tutorSettings`). If the prompt is
 * still over budget, the result says `overBudget` and the tutor does not
 * send it (the model server would cut its start, the instructions first):
 * the student is told the question is too long.
 */
export const TRIM_STEPS: readonly TrimStep[] = [
  'neighbours',
  'timeline:10',
  'conversation:2',
  'error:short',
  'active-output:short',
  'timeline:3',
  'active-source:short',
  'conversation:0',
  'error:line',
  'timeline:0',
  'active-output:none',
  'active-source:min',
  'error:none',
  'question:clip'
];

/**
 * A prompt that can be trimmed one notch at a time.
 */
export interface ITrimmable {
  /** Estimated tokens of the prompt as it stands. */
  tokens(): number;
  /** Trims one notch for the step; false when the step has nothing left to trim. */
  trim(step: TrimStep): boolean;
}

/**
 * Trims `prompt` in the order of `TRIM_STEPS` until it fits `budget`;
 * returns the steps that trimmed something, in order.
 */
export function fitToBudget(prompt: ITrimmable, budget: number): TrimStep[] {
  const applied: TrimStep[] = [];
  for (const step of TRIM_STEPS) {
    let used = false;
    while (prompt.tokens() > budget && prompt.trim(step)) {
      used = true;
    }
    if (used) {
      applied.push(step);
    }
    if (prompt.tokens() <= budget) {
      break;
    }
  }
  return applied;
}

namespace Private {
  /** The token weight of one UTF-16 code unit in twelfths (see `estimateTokens`). */
  export function weight(code: number): number {
    if (code < 0x80) {
      if (
        (code >= 97 && code <= 122) ||
        (code >= 65 && code <= 90) ||
        code === 32
      ) {
        return 4; // 1/3
      }
      if ((code >= 48 && code <= 57) || code === 10 || code === 9) {
        return 6; // 1/2
      }
      return code < 32 ? 12 : 9; // 1, 3/4
    }
    if (code < 0x370) {
      return 6; // 1/2
    }
    if (code < 0x800) {
      return 8; // 2/3
    }
    if (code >= 0xd800 && code <= 0xdbff) {
      return 24; // 2: a high surrogate, one character outside the BMP
    }
    if (code >= 0xdc00 && code <= 0xdfff) {
      return 0; // its low surrogate, counted with it
    }
    return 12; // 1
  }
}
