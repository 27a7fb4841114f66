import { nullTranslator } from '@jupyterlab/translation';
import {
  executeEvent,
  NOW,
  TOTAL_CELL
} from '../../context/__tests__/fixtures';
import { TUTOR_HINT_EVENT } from '../../context';
import {
  askAboutError,
  askForHint,
  errorQuestion,
  explainCell,
  ICellActionsContext
} from '../cell-actions';
import type { ICellTarget } from '../notebooks';
import { IAskOptions, ITutorChatRequest } from '../request';
import { Tutor } from '../tutor';
import { basketProvider, PATH } from './context-fakes';

const trans = nullTranslator.load('jelai');

const TARGET: ICellTarget = {
  notebook: PATH,
  cell: { id: TOTAL_CELL, index: 3, type: 'code' },
  kernel: { id: 'k-1', name: 'python3' },
  error: { name: 'KeyError', value: "'price'", traceback: [] }
};

/** Cell actions asking the tutor over the basket notebook, recording what it asked. */
function setup() {
  const basket = basketProvider();
  // The fixture already holds a level-1 hint on cell 4 at 14:06; start later.
  let now = new Date(NOW.getTime() + 60 * 60 * 1000);
  basket.setNow(now);
  basket.telemetry.clock = () => now;
  const asked: { question: string; request: IAskOptions }[] = [];
  const sent: Omit<ITutorChatRequest, 'model'>[] = [];
  const shown: string[] = [];
  const model = {
    notebook: null as string | null,
    input: { focus: () => undefined },
    ask: async (question: string, request: IAskOptions = {}) => {
      asked.push({ question, request });
      // What the page would send: the context, and the hint for the gateway.
      sent.push(
        await basket.provider.buildRequest({
          notebook: model.notebook!,
          turns: [{ role: 'user', content: question }],
          ...request
        })
      );
      return true;
    }
  };
  const tutor = new Tutor({
    model: model as unknown as Tutor.IOptions['model'],
    provider: basket.provider,
    telemetry: basket.telemetry,
    shell: { activateById: id => shown.push(id) },
    panelId: 'jelai-tutor',
    kernel: () => TARGET.kernel,
    now: () => now
  });
  const context: ICellActionsContext = { tutor, trans };
  const later = (ms: number) => {
    now = new Date(now.getTime() + ms);
    basket.setNow(now);
  };
  return { ...basket, context, asked, sent, shown, model, later };
}

describe('the cell actions', () => {
  it('asks about an error by naming the cell and the error', async () => {
    const { context, asked, shown, model } = setup();
    await askAboutError(TARGET, context);
    expect(asked).toEqual([
      {
        question: "Why does cell 4 fail with KeyError: 'price'?",
        request: { cellId: TOTAL_CELL }
      }
    ]);
    // Asked in the conversation about the cell's notebook, panel shown.
    expect(model.notebook).toBe(PATH);
    expect(shown).toEqual(['jelai-tutor']);
    expect(errorQuestion({ ...TARGET, error: null }, trans)).toBe(
      'Why does cell 4 fail?'
    );
  });

  it('asks to explain a cell', async () => {
    const { context, asked } = setup();
    await explainCell(TARGET, context);
    expect(asked[0]).toEqual({
      question: 'Can you explain what cell 4 does?',
      request: { cellId: TOTAL_CELL }
    });
  });

  it('climbs the hint ladder per cell, keeping each hint for the next', async () => {
    const { context, asked, sent, telemetry, provider, later } = setup();
    const levels = [];
    for (let i = 0; i < 4; i++) {
      levels.push(await askForHint(TARGET, context));
      later(60_000);
    }
    expect(levels).toEqual([1, 2, 3, 3]);
    expect(asked.map(a => a.question)).toEqual([
      'Give me a hint for cell 4 (hint 1 of 3).',
      'Give me a hint for cell 4 (hint 2 of 3).',
      'Give me a hint for cell 4 (hint 3 of 3).',
      'Give me a hint for cell 4 (hint 3 of 3).'
    ]);
    expect(asked[1].request).toEqual({
      cellId: TOTAL_CELL,
      hint: { level: 2 }
    });
    expect(sent.map(request => request.jelai.hint)).toEqual([1, 2, 3, 3]);
    // The gateway records each hint; this page keeps its own copy, sends none.
    expect(telemetry.published).toEqual([]);
    const hints = (await provider.events(PATH)).filter(
      e => e.type === TUTOR_HINT_EVENT && e.time > NOW.toISOString()
    );
    expect(hints.map(e => e.data)).toEqual([
      { level: 1, name: 'nudge' },
      { level: 2, name: 'concept' },
      { level: 3, name: 'pointer' },
      { level: 3, name: 'pointer' }
    ]);
    expect(hints[0]).toMatchObject({
      notebook: PATH,
      cell: { id: TOTAL_CELL, index: 3, type: 'code' },
      kernel: { id: 'k-1', name: 'python3' }
    });
    // The hint is in the context of its own question.
    const last = provider.last(PATH)!;
    expect(last.messages[last.messages.length - 2].content).toContain(
      'asked for a hint on cell 4 (level 3)'
    );
  });

  it('starts again at a nudge on another cell and after the cell runs fine', async () => {
    const { context, telemetry, later } = setup();
    expect(await askForHint(TARGET, context)).toBe(1);
    expect(await askForHint(TARGET, context)).toBe(2);
    const other = {
      ...TARGET,
      cell: { id: '6f1f7ed8', index: 1, type: 'code' as const }
    };
    expect(await askForHint(other, context)).toBe(1);
    later(1000);
    telemetry.eventPublished.emit(
      executeEvent(
        'fixed',
        new Date(telemetry.clock().getTime() + 500).toISOString(),
        { id: TOTAL_CELL, index: 3 },
        null
      )
    );
    later(1000);
    expect(await askForHint(TARGET, context)).toBe(1);
  });
});
