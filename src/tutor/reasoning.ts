/**
 * A reply split into what the student sees (the answer) and the model's
 * reasoning, which is kept for staff but never shown as the answer.
 */
export interface IReplyParts {
  answer: string;
  reasoning: string;
  /** True while the model is still reasoning (an unclosed block, streaming). */
  thinking: boolean;
}

/**
 * Splits a reply's content, as streamed so far, into answer and reasoning.
 *
 * Several open models (DeepSeek-R1, Qwen3, QwQ...) write their reasoning
 * inline, in a `<think>...</think>` (or `<thinking>`) block before the
 * answer; some chat templates open the block themselves, so the content
 * starts with the reasoning and only the closing tag shows. The blocks at
 * the start of the reply are reasoning; a block still open is reasoning so
 * far. While `streaming`, a tag cut between two chunks (`<thi`) is held
 * back rather than shown. Ollama's separate `message.thinking` field is
 * added by the caller (see `ReplyAccumulator`).
 */
export function splitReasoning(
  content: string,
  streaming = false
): IReplyParts {
  const reasoning: string[] = [];
  let rest = content;
  // A template-opened block: only a closing tag, nothing opened before it.
  const close = Private.CLOSE.exec(rest);
  if (close && !Private.OPEN.test(rest.slice(0, close.index))) {
    reasoning.push(rest.slice(0, close.index));
    rest = rest.slice(close.index + close[0].length);
  }
  for (;;) {
    const open = Private.LEADING_OPEN.exec(rest);
    if (!open) {
      break;
    }
    const body = rest.slice(open[0].length);
    const end = new RegExp(`</${open[1]}\\s*>`, 'i').exec(body);
    if (!end) {
      // Still reasoning: nothing of it is the answer.
      reasoning.push(streaming ? Private.holdBack(body) : body);
      return Private.parts(reasoning, '', true);
    }
    reasoning.push(body.slice(0, end.index));
    rest = body.slice(end.index + end[0].length);
  }
  const answer = reasoning.length ? rest.replace(/^\s+/, '') : rest;
  if (streaming && Private.isTagStart(answer.trim())) {
    // `<thi` may become `<think>`: show nothing of it yet.
    return Private.parts(reasoning, '', false);
  }
  return Private.parts(reasoning, answer, false);
}

/**
 * Gathers a streamed reply chunk by chunk: the content, and Ollama's
 * `message.thinking` of thinking models, into answer and reasoning.
 */
export class ReplyAccumulator {
  /** Adds one chunk's message. */
  add(message: { content?: unknown; thinking?: unknown } | undefined): void {
    if (typeof message?.content === 'string') {
      this._content += message.content;
    }
    if (typeof message?.thinking === 'string') {
      this._thinking += message.thinking;
    }
  }

  /** The raw content as streamed, reasoning included. */
  get content(): string {
    return this._content;
  }

  /** The reply so far; `streaming` holds back a tag cut between chunks. */
  parts(streaming: boolean): IReplyParts {
    const inline = splitReasoning(this._content, streaming);
    const reasoning = [this._thinking.trim(), inline.reasoning]
      .filter(Boolean)
      .join('\n\n');
    const thinking =
      inline.thinking || (!inline.answer && this._thinking.length > 0);
    return { answer: inline.answer, reasoning, thinking };
  }

  private _content = '';
  private _thinking = '';
}

namespace Private {
  /** The tag names models use for inline reasoning. */
  const TAGS = 'think|thinking';

  export const OPEN = new RegExp(`<(?:${TAGS})\\s*>`, 'i');
  export const CLOSE = new RegExp(`</(?:${TAGS})\\s*>`, 'i');
  export const LEADING_OPEN = new RegExp(`^\\s*<(${TAGS})\\s*>`, 'i');

  /** The reasoning blocks joined, trimmed. */
  export function parts(
    reasoning: string[],
    answer: string,
    thinking: boolean
  ): IReplyParts {
    return {
      answer,
      reasoning: reasoning
        .map(r => r.trim())
        .filter(Boolean)
        .join('\n\n'),
      thinking
    };
  }

  /** Whether `text` is the start of an opening reasoning tag (`<`, `<th`, `<thinking`). */
  export function isTagStart(text: string): boolean {
    if (!text.startsWith('<')) {
      return false;
    }
    const lower = text.toLowerCase();
    return ['<think>', '<thinking>'].some(tag => tag.startsWith(lower));
  }

  /** Reasoning without a closing tag cut between chunks (`</thi`). */
  export function holdBack(text: string): string {
    const at = text.lastIndexOf('<');
    if (at === -1) {
      return text;
    }
    const tail = text.slice(at).toLowerCase();
    const partial = ['</think>', '</thinking>'].some(tag =>
      tag.startsWith(tail)
    );
    return partial ? text.slice(0, at) : text;
  }
}
