import {
  estimateMessages,
  estimateTokens,
  TRIM_STEPS
} from '../../context/budget';
import { Prompt } from '../../context/prompt';
import { buildContext } from '../../context/build';
import { basketInput } from '../../context/__tests__/fixtures';
import { tutorSettings } from '../../context/settings';
import { TutorContextView } from '../context-view';
import { TutorChatModel } from '../model';
import { basketProvider, PATH } from './context-fakes';
import { FakeClient, fakeTelemetry, tick } from './fakes';

/** A 15,000-character question in Chinese, as a student pastes one. */
const CHINESE_QUESTION = '为什么我的循环不会停止？请帮我看看这段代码。'.repeat(
  682
);

describe('token estimates that hold for every script', () => {
  it('counts Chinese at a token or more per character', () => {
    expect(CHINESE_QUESTION.length).toBeGreaterThanOrEqual(15000);
    // Real tokenizers give well over 8,000 tokens for it.
    expect(estimateTokens(CHINESE_QUESTION)).toBeGreaterThanOrEqual(15000);
    expect(estimateTokens('こんにちは世界')).toBeGreaterThanOrEqual(7);
    expect(estimateTokens('안녕하세요 세계')).toBeGreaterThanOrEqual(7);
  });

  it('counts other scripts denser than English, English as before', () => {
    const english = 'The loop never stops because i is never increased';
    const russian = 'Цикл никогда не останавливается потому что счётчик';
    const hindi = 'लूप कभी नहीं रुकता क्योंकि गिनती कभी नहीं बढ़ती';
    expect(estimateTokens('x'.repeat(300))).toBe(100);
    expect(estimateTokens(russian)).toBeGreaterThan(russian.length / 2);
    // A token or more per letter, as for Chinese.
    expect(estimateTokens(hindi)).toBeGreaterThanOrEqual(
      hindi.replace(/ /g, '').length
    );
    expect(estimateTokens(english)).toBeLessThan(estimateTokens(russian));
    // An emoji is several tokens in every vocabulary.
    expect(estimateTokens('🙂🙂🙂')).toBeGreaterThanOrEqual(6);
  });

  it('counts code, dense in symbols, above one token per three characters', () => {
    const code = "df[['a','b']].iloc[:, 1:3]";
    // About 15 tokens for common models.
    expect(estimateTokens(code)).toBeGreaterThanOrEqual(15);
  });
});

describe('the prompt count while trimming', () => {
  it.each([false, true])(
    'equals the estimate of the messages at every notch (question apart: %s)',
    questionApart => {
      const prompt = new Prompt(
        {
          notebook: 'Notebook: lab/週1.ipynb (kernel python3, 4 cells)',
          active: {
            number: 2,
            type: 'code',
            executionCount: 3,
            source: Array.from({ length: 40 }, (_, i) => `x_${i} = d["价格"]`),
            output: Array.from({ length: 20 }, (_, i) => `行 ${i} 🙂`),
            error: "KeyError: '价格'",
            errorIsLast: false
          },
          error: null,
          timeline: Array.from(
            { length: 12 },
            (_, i) => `10:0${i % 10} ran cell ${i}`
          ),
          neighbours: [1, 3, 4].map(n => ({
            number: n,
            rank: n,
            text: `### Cell ${n}\n${'print("héllo")\n'.repeat(5)}`
          })),
          conversation: [
            { role: 'user', content: '为什么？'.repeat(50) },
            { role: 'assistant', content: 'Look at line 2.' }
          ],
          question: CHINESE_QUESTION.slice(0, 900)
        },
        { questionApart }
      );
      const check = () =>
        expect(prompt.tokens()).toBe(estimateMessages(prompt.messages()));
      check();
      for (const step of TRIM_STEPS) {
        while (prompt.trim(step)) {
          check();
        }
      }
    }
  );
});

describe('a context that must fit the model window', () => {
  it('trims the context around a long Chinese question until it fits', () => {
    const question = CHINESE_QUESTION.slice(0, 3000);
    const result = buildContext(
      basketInput({ question, budgetTokens: 4000, questionApart: true })
    );
    expect(result.overBudget).toBe(false);
    expect(result.estimatedTokens).toBeLessThanOrEqual(4000);
    expect(result.messages[result.messages.length - 1].content).toBe(question);
    expect(result.trimSteps.length).toBeGreaterThan(0);
  });

  it('carries the window and the notes of the course configuration', () => {
    const note = 'the tutor sends at most 1536 tokens';
    const result = buildContext(
      basketInput({
        settings: tutorSettings({
          course: {
            context_budget_tokens: 1536,
            context_window: 2048,
            context_notes: [note]
          }
        })
      })
    );
    expect(result.budgetTokens).toBe(1536);
    expect(result.contextWindow).toBe(2048);
    expect(result.notes).toEqual([note]);
  });

  it('does not send a question that cannot fit, and tells the student', async () => {
    const basket = basketProvider();
    const client = new FakeClient();
    const model = new TutorChatModel({
      client,
      telemetry: fakeTelemetry(),
      modelName: 'llama3.1:8b',
      buildRequest: basket.provider.buildRequest
    });
    model.notebook = PATH;
    await model.restored;
    await model.sendMessage({ body: CHINESE_QUESTION });

    expect(client.calls).toEqual([]);
    const reply = model.messages[model.messages.length - 1];
    expect(reply.metadata?.jelai?.status).toBe('failed');
    expect(reply.body).toContain('too long');
    expect(reply.body).toMatch(/about 1\d{4} tokens/);
    // The budget is what the gateway's instructions leave of 6000.
    expect(reply.body).toMatch(/at most 5\d{3}\b/);
    expect(model.isWriting).toBe(false);
  });

  it('shows in "What the tutor sees" when the budget had to be lowered to the window', async () => {
    const basket = basketProvider();
    const note =
      'The context budget of 6000 tokens does not fit the model window of 2048 tokens';
    basket.instructions.mockResolvedValue({
      course: {
        context_budget_tokens: 1536,
        context_window: 2048,
        context_notes: [note]
      },
      assignment: { path: null, text: null }
    });
    basket.state.metadata = null;
    const model = new TutorChatModel({
      client: new FakeClient(),
      telemetry: fakeTelemetry(),
      modelName: 'tiny:1b',
      buildRequest: basket.provider.buildRequest
    });
    const view = new TutorContextView({ model, provider: basket.provider });
    model.notebook = PATH;
    await model.restored;
    for (let i = 0; i < 5; i++) {
      await tick();
    }
    view.toggleNode.click();
    for (let i = 0; i < 5; i++) {
      await tick();
    }
    expect(view.node.textContent).toMatch(
      /about \d+ tokens of a budget of 1536 \(context window 2048 tokens\)/
    );
    expect(
      view.node.querySelector('.jp-jelai-Tutor-contextNote')?.textContent
    ).toContain(note);
  });
});
