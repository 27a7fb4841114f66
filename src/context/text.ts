/**
 * Longest line kept in the prompt; longer lines are cut and marked.
 */
export const MAX_LINE_CHARS = 300;

/**
 * Text as lines: trailing blank lines and spaces removed, long lines cut.
 */
export function splitLines(text: string): string[] {
  const trimmed = text.replace(/\s+$/, '');
  if (!trimmed) {
    return [];
  }
  return trimmed.split('\n').map(line => {
    const clean = line.trimEnd();
    return clean.length > MAX_LINE_CHARS
      ? `${clean.slice(0, MAX_LINE_CHARS)} ...`
      : clean;
  });
}

/**
 * Lines cut to `maxLines`, keeping the head and the tail and saying how many were left out.
 */
export function clipLines(
  lines: readonly string[],
  maxLines: number,
  headShare = 0.4
): string[] {
  if (lines.length <= maxLines) {
    return lines.slice();
  }
  if (maxLines <= 1) {
    return lines.slice(-1);
  }
  // One line goes to the marker; the tail usually holds what matters.
  const keep = maxLines - 1;
  const head = Math.floor(keep * headShare);
  const tail = keep - head;
  return [
    ...lines.slice(0, head),
    `... (${lines.length - head - tail} lines left out) ...`,
    ...lines.slice(lines.length - tail)
  ];
}

/**
 * Text cut to `maxChars` characters, keeping the head and the tail.
 */
export function clipChars(text: string, maxChars: number): string {
  if (text.length <= maxChars) {
    return text;
  }
  const head = Math.ceil(maxChars / 2);
  const tail = maxChars - head;
  return `${text.slice(0, head)}\n... (cut for length) ...\n${text.slice(text.length - tail)}`;
}

/**
 * Lines in a Markdown code fence longer than any backtick run inside them.
 */
export function fence(lines: readonly string[]): string {
  let longest = 2;
  for (const line of lines) {
    for (const run of line.match(/`+/g) ?? []) {
      longest = Math.max(longest, run.length);
    }
  }
  const bar = '`'.repeat(longest + 1);
  return [bar, ...lines, bar].join('\n');
}

/**
 * A duration in plain words: `under a minute`, `4 minutes`, `1 h 5 min`.
 */
export function formatDuration(ms: number): string {
  if (ms < 60000) {
    return 'under a minute';
  }
  const minutes = Math.round(ms / 60000);
  if (minutes < 60) {
    return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  }
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

/**
 * ` twice`, ` 3 times`, or nothing for once.
 */
export function times(count: number): string {
  return count === 2 ? ' twice' : count > 2 ? ` ${count} times` : '';
}

/**
 * An English ordinal: `2nd`, `3rd`, `11th`.
 */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffixes: Record<number, string> = { 1: 'st', 2: 'nd', 3: 'rd' };
  return `${n}${teen ? 'th' : (suffixes[n % 10] ?? 'th')}`;
}
