import * as fs from 'fs';
import * as path from 'path';
import { buildContext } from '../build';
import type { IContextResult } from '../types';
import {
  basketEvents,
  basketInput,
  executeEvent,
  NOW,
  TOTAL_CELL
} from './fixtures';

const GOLDEN = path.join(__dirname, 'fixtures', 'basket-why.expected.txt');

function userMessage(result: IContextResult): string {
  return result.messages[result.messages.length - 1].content;
}

describe('buildContext', () => {
  it('sends what the student sees, in the golden layout', () => {
    const result = buildContext(basketInput());
    const user = userMessage(result);
    if (process.env.UPDATE_GOLDEN) {
      fs.writeFileSync(GOLDEN, user);
    }
    expect(user).toBe(fs.readFileSync(GOLDEN, 'utf8'));
    expect(result.trimSteps).toEqual([]);
    expect(result.overBudget).toBe(false);
  });

  it('sends the conversation first and the question last, no system prompt', () => {
    const input = basketInput();
    const result = buildContext(input);
    expect(result.messages.map(m => m.role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
      'user'
    ]);
    expect(result.messages[0].content).toBe(input.conversation[0].content);
    expect(result.sections.map(s => s.name)).not.toContain('system');
    expect(userMessage(result).endsWith('[End of context]\n\nwhy?')).toBe(true);
  });

  it('can send the question apart, exactly as asked, after the context', () => {
    const together = buildContext(basketInput());
    const apart = buildContext(basketInput({ questionApart: true }));
    expect(apart.messages.map(m => m.role)).toEqual([
      ...together.messages.map(m => m.role),
      'user'
    ]);
    expect(apart.messages[apart.messages.length - 1].content).toBe('why?');
    const context = apart.messages[apart.messages.length - 2].content;
    expect(context.endsWith('[End of context]')).toBe(true);
    expect(userMessage(together)).toBe(`${context}\n\nwhy?`);
    expect(apart.estimatedTokens).toBeGreaterThan(together.estimatedTokens);
  });

  it('never cuts a question sent apart, even over budget', () => {
    const question = `why does this fail?\n${'x = 1\n'.repeat(3000)}the end`;
    const result = buildContext(
      basketInput({ question, budgetTokens: 1500, questionApart: true })
    );
    expect(result.messages[result.messages.length - 1].content).toBe(question);
    expect(result.trimSteps).not.toContain('question:clip');
    expect(result.overBudget).toBe(true);
  });

  it('shows the error, the cell and what the student did just before', () => {
    const user = userMessage(buildContext(basketInput()));
    expect(user).toContain('## Active cell: cell 4 (code, ran as [2])');
    expect(user).toContain('    total += item["price"] * item["quantity"]');
    expect(user).toContain("Its last run raised KeyError: 'price'");
    expect(user).toContain('## Last error: cell 4 at 13:56');
    expect(user).toContain(
      '----> 3     total += item["price"] * item["quantity"]'
    );
    expect(user).toContain(
      "- 13:56 ran cell 4: KeyError: 'price', the 3rd failure in 4 minutes"
    );
    expect(user).toContain(
      '**Task 1.** Compute the total price of the basket.'
    );
    expect(user).not.toContain('\u001b');
  });

  it('includes an execution that finished just before the question', () => {
    const live = executeEvent(
      'live-1',
      new Date(NOW.getTime() - 150).toISOString(),
      { id: TOTAL_CELL, index: 3 },
      {
        name: 'TypeError',
        value: "unsupported operand type(s) for +=: 'int' and 'str'"
      }
    );
    const user = userMessage(
      buildContext(basketInput({ events: [...basketEvents(), live] }))
    );
    expect(user).toContain('## Last error: cell 4 at 14:06');
    expect(user).toContain(
      "TypeError: unsupported operand type(s) for +=: 'int' and 'str'"
    );
    expect(user).toContain(
      "- 14:06 ran cell 4: TypeError: unsupported operand type(s) for +=: 'int' and 'str'"
    );
  });

  it('leaves out events after the question and events of other notebooks', () => {
    const later = executeEvent(
      'later-1',
      new Date(NOW.getTime() + 1000).toISOString(),
      { id: TOTAL_CELL, index: 3 },
      { name: 'ZeroDivisionError', value: 'division by zero' }
    );
    const user = userMessage(
      buildContext(basketInput({ events: [...basketEvents(), later] }))
    );
    expect(user).not.toContain('ZeroDivisionError');
    // The fixture has a successful run of cell 1 in other.ipynb.
    expect(user).not.toContain('ran cell 1');
  });

  it('gives the same context when stored and live events repeat each other', () => {
    const once = buildContext(basketInput());
    const twice = buildContext(
      basketInput({ events: [...basketEvents(), ...basketEvents()] })
    );
    expect(twice.messages).toEqual(once.messages);
  });

  it('says when the failing cell later ran without error', () => {
    const fixed = executeEvent(
      'fixed-1',
      '2024-03-01T14:06:10.000Z',
      { id: TOTAL_CELL, index: 3 },
      null
    );
    const user = userMessage(
      buildContext(basketInput({ events: [...basketEvents(), fixed] }))
    );
    expect(user).toContain('The cell ran without error afterwards, at 14:06.');
  });

  it('shows the source that raised the error when another cell is active', () => {
    const user = userMessage(
      buildContext(basketInput({ activeCellId: '668c49d1' }))
    );
    expect(user).toContain('## Active cell: cell 6 (code)');
    expect(user).toContain('It has not been run.');
    expect(user).toContain('Source that raised it:');
    expect(user).toContain('### Cell 5 (markdown)');
  });

  it('works without an active cell and without events', () => {
    const user = userMessage(
      buildContext(basketInput({ activeCellId: null, events: [] }))
    );
    expect(user).not.toContain('## Active cell');
    expect(user).not.toContain('## Recent actions');
    expect(user).not.toContain('time on this notebook');
    // The notebook itself still shows the error of cell 4.
    expect(user).toContain('## Last error: cell 4\n');
  });

  it('writes times in the given time zone and counts active time only', () => {
    const user = userMessage(
      buildContext(basketInput({ timeZone: 'Europe/Berlin' }))
    );
    expect(user).toContain(
      'Local time: 15:06; time on this notebook: 8 minutes (pauses over 5 minutes not counted)'
    );
    expect(user).toContain('- 14:50 opened the notebook');
  });
});
