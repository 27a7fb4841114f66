import { buildContext } from '../build';
import { errorSummary, stripAnsi, tracebackLines } from '../errors';
import { clipLines } from '../text';
import {
  basketEvents,
  basketInput,
  executeEvent,
  TOTAL_CELL
} from './fixtures';

const traceback = basketEvents()[4].data.error as { traceback: string[] };

describe('error extraction', () => {
  it('strips colours and other ANSI codes from tracebacks', () => {
    const lines = tracebackLines({
      name: 'KeyError',
      value: "'price'",
      ...traceback
    });
    expect(lines.join('\n')).not.toMatch(/\u001b/);
    expect(lines[0]).toBe('-'.repeat(75));
    expect(lines).toContain(
      '----> 3     total += item["price"] * item["quantity"]'
    );
    expect(lines[lines.length - 1]).toBe("KeyError: 'price'");
  });

  it('strips terminal links and cursor codes too', () => {
    const text =
      '\u001b]8;;file:///home/student/x.py\u0007x.py\u001b]8;;\u0007 line \u001b[2K\u001b[1G3';
    expect(stripAnsi(text)).toBe('x.py line 3');
  });

  it('adds the error line when the traceback is missing', () => {
    expect(
      tracebackLines({ name: 'NameError', value: "name 'totl' is not defined" })
    ).toEqual(["NameError: name 'totl' is not defined"]);
    expect(errorSummary({ name: 'KeyboardInterrupt', value: '' })).toBe(
      'KeyboardInterrupt'
    );
  });

  it('keeps the head and the tail of long output', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`);
    const clipped = clipLines(lines, 11);
    expect(clipped).toEqual([
      'line 1',
      'line 2',
      'line 3',
      'line 4',
      '... (90 lines left out) ...',
      'line 95',
      'line 96',
      'line 97',
      'line 98',
      'line 99',
      'line 100'
    ]);
  });

  it('sends the start and the end of a very long traceback', () => {
    const frames = Array.from(
      { length: 300 },
      (_, i) =>
        `\u001b[0;32mCell In[7], line 2, in f(n)\u001b[0m\n----> 2 return f(n - ${i})`
    );
    const deep = executeEvent(
      'deep-1',
      '2024-03-01T14:06:00.000Z',
      { id: TOTAL_CELL, index: 3 },
      {
        name: 'RecursionError',
        value: 'maximum recursion depth exceeded',
        traceback: [
          'RecursionError   Traceback (most recent call last)',
          ...frames,
          'RecursionError: maximum recursion depth exceeded'
        ]
      }
    );
    const result = buildContext(
      basketInput({ events: [...basketEvents(), deep] })
    );
    const user = result.messages[result.messages.length - 1].content;
    const section = user.slice(
      user.indexOf('## Last error'),
      user.indexOf('## Recent actions')
    );
    expect(section).toContain(
      'RecursionError   Traceback (most recent call last)'
    );
    expect(section).toMatch(/\.\.\. \(\d+ lines left out\) \.\.\./);
    expect(section).toContain(
      '----> 2 return f(n - 299)\nRecursionError: maximum recursion depth exceeded'
    );
    expect(section.split('\n').length).toBeLessThan(70);
  });
});
