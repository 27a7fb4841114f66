import { checkReply, replyTrimmedEventData } from '../reply';

const tutor = { mode: 'tutor' as const, maxCodeLines: 3 };

function block(lines: number, fence = '```'): string {
  const body = Array.from({ length: lines }, (_, i) => `x${i} = ${i}`).join(
    '\n'
  );
  return `${fence}python\n${body}\n${fence}`;
}

describe('the reply check', () => {
  it('leaves short snippets alone', () => {
    const reply = `Try this on a small dict:\n${block(3)}\nWhat do you see?`;
    expect(checkReply(reply, tutor)).toEqual({
      text: reply,
      trimmed: false,
      blocksTrimmed: 0,
      linesRemoved: 0,
      longestBlock: 3
    });
  });

  it('cuts a long code block in tutor mode and says so', () => {
    const reply = `Here is the idea:\n${block(8)}\nWhat do you see?`;
    const check = checkReply(reply, tutor);
    expect(check.trimmed).toBe(true);
    expect(check.text).toBe(
      [
        'Here is the idea:',
        '```python',
        'x0 = 0',
        'x1 = 1',
        'x2 = 2',
        '```',
        '*(5 more lines of code left out: the tutor shows short snippets, so you can write the rest yourself.)*',
        'What do you see?'
      ].join('\n')
    );
    expect(replyTrimmedEventData(check, 3)).toEqual({
      max_code_lines: 3,
      blocks_trimmed: 1,
      lines_removed: 5,
      longest_block: 8
    });
  });

  it('does not count blank lines as code', () => {
    const reply = '```\na = 1\n\n\nb = 2\n\nc = 3\n```';
    expect(checkReply(reply, tutor).trimmed).toBe(false);
  });

  it('leaves everything to the assistant mode', () => {
    const reply = block(40);
    const check = checkReply(reply, { mode: 'assistant', maxCodeLines: 3 });
    expect(check).toMatchObject({
      text: reply,
      trimmed: false,
      longestBlock: 40
    });
  });

  it('closes a block the model left open, and handles tildes and long fences', () => {
    const open = checkReply(`Look:\n${block(6).slice(0, -4)}`, tutor);
    expect(open.text.split('\n').slice(0, 6)).toEqual([
      'Look:',
      '```python',
      'x0 = 0',
      'x1 = 1',
      'x2 = 2',
      '```'
    ]);
    const tilde = checkReply(block(5, '~~~'), tutor);
    expect(
      tilde.text.startsWith('~~~python\nx0 = 0\nx1 = 1\nx2 = 2\n~~~\n')
    ).toBe(true);
    const nested = '````md\n```\na\nb\nc\nd\n```\n````\nafter';
    const check = checkReply(nested, tutor);
    expect(check.linesRemoved).toBe(3);
    expect(check.text.endsWith('after')).toBe(true);
  });

  it("counts every long block and uses the caller's note", () => {
    const reply = `${block(5)}\nand\n${block(7)}`;
    const check = checkReply(reply, {
      ...tutor,
      note: n => `[${n} lignes retirées]`
    });
    expect(check).toMatchObject({
      blocksTrimmed: 2,
      linesRemoved: 6,
      longestBlock: 7
    });
    expect(check.text).toContain('[2 lignes retirées]\nand');
    expect(check.text.endsWith('[4 lignes retirées]')).toBe(true);
  });

  it('removes code entirely when the limit is 0', () => {
    const check = checkReply(`Think first.\n${block(2)}`, {
      mode: 'tutor',
      maxCodeLines: 0
    });
    expect(check.text).not.toContain('```');
    expect(check.text.startsWith('Think first.\n*(2 more lines')).toBe(true);
  });
});
