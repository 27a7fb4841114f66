import { DEFAULT_BUDGET_TOKENS, estimateTokens } from '../budget';
import { STUDENT_LAYERS_OVERHEAD_TOKENS, tutorSettings } from '../settings';

describe("the tutor's settings for a notebook", () => {
  it('shows the context and uses the default budget by default', () => {
    expect(tutorSettings({})).toEqual({
      showContext: true,
      budgetTokens: DEFAULT_BUDGET_TOKENS,
      instructionsTokens: 0,
      contextWindow: null,
      contextNotes: [],
      hiddenAssignment: null
    });
  });

  it("leaves the page the budget the gateway's instructions do not take", () => {
    const settings = tutorSettings({
      course: { context_budget_tokens: 6000, instructions_tokens: 450 }
    });
    expect(settings.budgetTokens).toBe(5550);
    expect(settings.instructionsTokens).toBe(450);
  });

  it("counts the student's own layers, which the gateway adds too", () => {
    const tutorMd = '# Week 1\nLoops only.';
    const instructions = 'Use a while loop.';
    const settings = tutorSettings(
      {
        course: { context_budget_tokens: 6000, instructions_tokens: 450 },
        assignment: { path: 'week1/TUTOR.md', text: tutorMd }
      },
      { instructions, learning_objectives: ['Loops'] }
    );
    const student =
      STUDENT_LAYERS_OVERHEAD_TOKENS +
      estimateTokens(tutorMd) +
      estimateTokens(instructions) +
      estimateTokens('Loops');
    expect(settings.instructionsTokens).toBe(450 + student);
    expect(settings.budgetTokens).toBe(6000 - 450 - student);
  });

  it('says when instructor-only instructions apply, and for which assignment', () => {
    expect(
      tutorSettings({
        course: {},
        hidden_instructions: true,
        hidden_assignment: 'ps1'
      }).hiddenAssignment
    ).toBe('ps1');
    expect(
      tutorSettings({ course: {}, hidden_instructions: false }).hiddenAssignment
    ).toBeNull();
  });

  it('keeps visibility, window and notes in the course only', () => {
    const settings = tutorSettings(
      {
        course: {
          show_context: false,
          context_window: 4096,
          context_notes: ['A note.']
        }
      },
      { show_context: true, context_budget_tokens: 99999 }
    );
    expect(settings).toMatchObject({
      showContext: false,
      contextWindow: 4096,
      contextNotes: ['A note.']
    });
  });

  it('ignores notebook metadata it does not understand', () => {
    for (const metadata of [
      'be nice',
      ['x'],
      { mode: 'free', max_code_lines: -1, instructions: 3 }
    ]) {
      expect(tutorSettings({}, metadata)).toEqual(tutorSettings({}));
    }
  });
});
