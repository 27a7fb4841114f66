import type { TutorMode } from './types';

/**
 * Event type recorded when a tutor-mode reply was trimmed.
 */
export const TUTOR_REPLY_TRIMMED_EVENT = 'tutor.reply_trimmed';

/**
 * Options of `checkReply`.
 */
export interface IReplyCheckOptions {
  mode: TutorMode;
  /** Most non-blank lines a code block keeps in tutor mode. */
  maxCodeLines: number;
  /** The note put after a trimmed block; English by default. */
  note?: (removedLines: number) => string;
}

/**
 * The outcome of `checkReply`.
 */
export interface IReplyCheck {
  /** The reply to show: unchanged, or with long code blocks cut. */
  text: string;
  /** True when a code block was cut; record a `tutor.reply_trimmed` event. */
  trimmed: boolean;
  blocksTrimmed: number;
  linesRemoved: number;
  /** Non-blank lines of the longest code block, before trimming. */
  longestBlock: number;
}

/**
 * Checks a finished reply: in tutor mode, fenced code blocks longer than
 * `maxCodeLines` non-blank lines keep their first lines and get a note;
 * in assistant mode the reply is returned unchanged.
 */
export function checkReply(
  reply: string,
  options: IReplyCheckOptions
): IReplyCheck {
  const note = options.note ?? Private.note;
  const limit = Math.max(0, options.maxCodeLines);
  const lines = reply.split('\n');
  const out: string[] = [];
  const result: IReplyCheck = {
    text: reply,
    trimmed: false,
    blocksTrimmed: 0,
    linesRemoved: 0,
    longestBlock: 0
  };
  let i = 0;
  while (i < lines.length) {
    const open = Private.FENCE.exec(lines[i]);
    if (!open) {
      out.push(lines[i++]);
      continue;
    }
    const fence = open[2];
    let end = i + 1;
    while (end < lines.length && !Private.closes(lines[end], fence)) {
      end++;
    }
    const body = lines.slice(i + 1, end);
    const code = body.filter(line => line.trim()).length;
    result.longestBlock = Math.max(result.longestBlock, code);
    if (options.mode === 'assistant' || code <= limit) {
      out.push(...lines.slice(i, Math.min(end + 1, lines.length)));
    } else {
      const kept: string[] = [];
      let count = 0;
      for (const line of body) {
        if (line.trim() && ++count > limit) {
          break;
        }
        kept.push(line);
      }
      while (kept.length && !kept[kept.length - 1].trim()) {
        kept.pop();
      }
      if (kept.length) {
        out.push(lines[i], ...kept, `${open[1]}${fence}`);
      }
      out.push(note(code - limit));
      result.blocksTrimmed += 1;
      result.linesRemoved += code - limit;
    }
    i = end + 1;
  }
  if (result.blocksTrimmed) {
    result.trimmed = true;
    result.text = out.join('\n');
  }
  return result;
}

/**
 * The `data` of the `tutor.reply_trimmed` event for a trimmed reply.
 */
export function replyTrimmedEventData(
  check: IReplyCheck,
  maxCodeLines: number
): Record<string, number> {
  return {
    max_code_lines: maxCodeLines,
    blocks_trimmed: check.blocksTrimmed,
    lines_removed: check.linesRemoved,
    longest_block: check.longestBlock
  };
}

namespace Private {
  /** An opening fence: up to 3 spaces, then 3 or more backticks or tildes. */
  export const FENCE = /^( {0,3})(`{3,}|~{3,})/;

  /** Whether a line closes a block opened with `fence`. */
  export function closes(line: string, fence: string): boolean {
    const trimmed = line.trim();
    return (
      trimmed.length >= fence.length &&
      trimmed[0] === fence[0] &&
      /^(`+|~+)$/.test(trimmed)
    );
  }

  /** The default note after a trimmed block. */
  export function note(removed: number): string {
    const lines = removed === 1 ? '1 more line' : `${removed} more lines`;
    return `*(${lines} of code left out: the tutor shows short snippets, so you can write the rest yourself.)*`;
  }
}
