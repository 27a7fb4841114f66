import {
  DEFAULT_BUDGET_TOKENS,
  estimateMessages,
  estimateTokens,
  TRIM_STEPS
} from '../budget';
import { buildContext } from '../build';
import type { IContextInput, IContextResult, SectionName } from '../types';
import { basketInput } from './fixtures';

function status(result: IContextResult, name: SectionName): string {
  return result.sections.find(s => s.name === name)!.status;
}

function user(result: IContextResult): string {
  return result.messages[result.messages.length - 1].content;
}

/** A question built at every budget from its full size down to 50 tokens. */
function shrinking(
  input: IContextInput = basketInput()
): { budget: number; result: IContextResult }[] {
  const full = buildContext(input).estimatedTokens;
  const out = [];
  for (let budget = full; budget >= 50; budget -= 10) {
    out.push({
      budget,
      result: buildContext({ ...input, budgetTokens: budget })
    });
  }
  return out;
}

/** The steps that trimmed something anywhere along `shrinking`, in first-use order. */
function stepsSeen(input?: IContextInput): string[] {
  const seen: string[] = [];
  for (const { result } of shrinking(input)) {
    for (const step of result.trimSteps) {
      if (!seen.includes(step)) {
        seen.push(step);
      }
    }
  }
  return seen;
}

/** The basket question on a long cell with long output and a long traceback. */
function bigCellInput(): IContextInput {
  const input = basketInput();
  const cell = input.notebook.cells[3];
  cell.source = Array.from(
    { length: 40 },
    (_, i) => `step_${i} = basket[${i % 3}]["price"]`
  ).join('\n');
  cell.outputs = Array.from(
    { length: 25 },
    (_, i) => `checking item ${i}`
  ).join('\n');
  cell.error = {
    name: 'KeyError',
    value: "'price'",
    traceback: [
      ...Array.from({ length: 30 }, (_, i) => `  frame ${i}`),
      "KeyError: 'price'"
    ]
  };
  return { ...input, events: [] };
}

describe('the token budget', () => {
  it('estimates tokens pessimistically, with room for the chat template', () => {
    expect(estimateTokens('x'.repeat(300))).toBe(100);
    expect(estimateMessages([{ content: 'abc' }, { content: '' }])).toBe(
      1 + 4 + 4
    );
  });

  it('fits a normal question in the default budget without trimming', () => {
    const result = buildContext(basketInput({ budgetTokens: undefined }));
    expect(result.budgetTokens).toBe(DEFAULT_BUDGET_TOKENS);
    expect(result.trimSteps).toEqual([]);
    expect(result.sections.every(s => s.status === 'included')).toBe(true);
    expect(result.estimatedTokens).toBe(estimateMessages(result.messages));
  });

  it('takes the budget from the instructor when the caller gives none', () => {
    const input = basketInput();
    const result = buildContext({
      ...input,
      settings: { ...input.settings, budgetTokens: 700 }
    });
    expect(result.budgetTokens).toBe(700);
    expect(result.estimatedTokens).toBeLessThanOrEqual(700);
  });

  it('stays within every budget it can meet, and says when it cannot', () => {
    for (const { budget, result } of shrinking()) {
      expect(result.estimatedTokens).toBe(estimateMessages(result.messages));
      expect(result.overBudget).toBe(result.estimatedTokens > budget);
      if (result.overBudget) {
        expect(result.trimSteps[result.trimSteps.length - 1]).toBe(
          'error:none'
        );
      }
    }
  });

  it('trims in the documented order as the budget shrinks', () => {
    let furthest = -1;
    for (const { result } of shrinking()) {
      const indexes = result.trimSteps.map(step => TRIM_STEPS.indexOf(step));
      expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
      const last = indexes.length ? indexes[indexes.length - 1] : -1;
      expect(last).toBeGreaterThanOrEqual(furthest);
      furthest = last;
    }
    expect(furthest).toBeGreaterThanOrEqual(TRIM_STEPS.indexOf('error:none'));
  });

  it('drops the cells around first, then old actions and old turns, then shortens the error', () => {
    // The basket traceback has 9 lines and the cell 4 lines: shortening them changes
    // nothing, so those steps are skipped.
    expect(stepsSeen()).toEqual([
      'neighbours',
      'timeline:10',
      'conversation:2',
      'timeline:3',
      'conversation:0',
      'error:line',
      'timeline:0',
      'error:none'
    ]);
  });

  it('shortens a long cell, its output and its traceback in the documented order', () => {
    // No events: no timeline; every other step finds something to cut.
    const expected = TRIM_STEPS.filter(
      s => !s.startsWith('timeline') && s !== 'question:clip'
    );
    expect(stepsSeen(bigCellInput())).toEqual(expected);
  });

  it('keeps the error line and the question when little room is left', () => {
    const tight = shrinking().find(
      ({ result }) => status(result, 'timeline') === 'dropped'
    )!;
    const text = user(tight.result);
    expect(status(tight.result, 'neighbours')).toBe('dropped');
    expect(status(tight.result, 'conversation')).toBe('dropped');
    expect(text).toContain("KeyError: 'price'");
    expect(text).toContain('total += item["price"] * item["quantity"]');
    expect(text.endsWith('why?')).toBe(true);
  });

  it('never trims the notebook line', () => {
    for (const { result } of shrinking()) {
      expect(user(result)).toContain(
        'Notebook: demo/exercise-1-basket.ipynb (kernel python3, 6 cells)'
      );
    }
  });

  it('cuts a pasted wall of text in the question only as a last resort', () => {
    const question = `why does this fail?\n${'x = 1\n'.repeat(3000)}the end`;
    const result = buildContext(basketInput({ question, budgetTokens: 1500 }));
    expect(result.trimSteps[result.trimSteps.length - 1]).toBe('question:clip');
    expect(user(result)).toContain('why does this fail?');
    expect(user(result)).toContain('the end');
    expect(user(result)).toContain('... (cut for length) ...');
    expect(result.estimatedTokens).toBeLessThanOrEqual(1500);
  });
});
