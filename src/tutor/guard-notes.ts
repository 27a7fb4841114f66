import { TranslationBundle } from '@jupyterlab/translation';

/**
 * The server's note after a code block it cut (see
 * `jelai/gateway/fences.py`), on a line of its own.
 */
const TRIMMED =
  /^\*\((\d+) more lines? of code left out: the tutor shows short snippets, so you can write the rest yourself\.\)\*$/gm;

/**
 * The server's note in place of a reply it stopped for giving the
 * solution away (see `jelai/gateway/guardrails.py`).
 */
const WITHHELD =
  /^\*\(The tutor stopped this reply: its code came too close to the assignment's solution\. Try the next step yourself, and ask for a hint if you are stuck\.\)\*$/gm;

/**
 * A reply's Markdown with the notes of the server's guardrails shown as
 * marks in the student's language; the text sent back to the model keeps
 * them as the server wrote them.
 */
export function showGuardNotes(text: string, trans: TranslationBundle): string {
  return text
    .replace(TRIMMED, (_, count: string) =>
      Private.mark(
        'trimmed',
        trans._n(
          '%1 more line of code left out: the tutor shows short snippets, so you can write the rest yourself.',
          '%1 more lines of code left out: the tutor shows short snippets, so you can write the rest yourself.',
          Number(count)
        )
      )
    )
    .replace(WITHHELD, () =>
      Private.mark(
        'withheld',
        trans.__(
          "The tutor stopped this reply: its code came too close to the assignment's solution. Try the next step yourself, and ask for a hint if you are stuck."
        )
      )
    );
}

namespace Private {
  /**
   * A note as raw HTML on its own (the blank line after it ends the HTML
   * block, so the Markdown that follows is rendered).
   */
  export function mark(kind: string, text: string): string {
    const escaped = text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;');
    return `<div class="jp-jelai-Tutor-mark jp-mod-${kind}">${escaped}</div>\n`;
  }
}
