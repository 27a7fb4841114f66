import {
  basketEvents,
  executeEvent,
  NOW,
  TOTAL_CELL
} from '../../context/__tests__/fixtures';
import { TutorContextProvider } from '../context-provider';
import { CONTEXT_EVENT_TYPES } from '../event-logs';
import { RENAME_EVENT } from '../renames';
import { basketProvider, PATH } from './context-fakes';

const ask = (question: string, extra: object = {}) => ({
  notebook: PATH,
  turns: [{ role: 'user' as const, content: question }],
  ...extra
});

/** Ids of the fixture's stored events of the basket notebook, each once. */
const storedIds = () => [
  ...new Set(
    basketEvents()
      .filter(e => e.notebook === PATH)
      .map(e => e.id)
  )
];

const contextOf = (messages: { content: string }[]) =>
  messages[messages.length - 2].content;

/** The messages of the request built for a question. */
const messagesOf = async (
  provider: TutorContextProvider,
  question: ReturnType<typeof ask>
) => (await provider.buildRequest(question)).messages;

describe('TutorContextProvider', () => {
  it('sends the context, then the question exactly as asked, and no system prompt', async () => {
    const { provider } = basketProvider();
    const { messages, jelai } = await provider.buildRequest(ask('why?'));
    expect(messages.map(m => m.role)).toEqual(['user', 'user']);
    expect(messages[1]).toEqual({ role: 'user', content: 'why?' });
    const context = contextOf(messages);
    expect(context).toContain('## Active cell: cell 4 (code, ran as [2])');
    expect(context).toContain(
      "- 13:56 ran cell 4: KeyError: 'price', the 3rd failure in 4 minutes"
    );
    // The student's own layers go along for the gateway to merge.
    expect(jelai).toEqual({
      cell: { id: TOTAL_CELL, index: 3, type: 'code' },
      tutor_md: { path: 'demo/TUTOR.md', text: 'Exercise 1: a basket.' },
      notebook: { instructions: 'Guide the student towards .get().' }
    });
  });

  it('reads the stored log once per notebook, bounded', async () => {
    const { provider, telemetry } = basketProvider({ maxEvents: 500 });
    await provider.buildRequest(ask('why?'));
    await provider.buildRequest(ask('and now?'));
    expect(telemetry.query).toHaveBeenCalledTimes(1);
    expect(telemetry.query).toHaveBeenCalledWith({
      notebook: PATH,
      limit: 500,
      types: [...CONTEXT_EVENT_TYPES, RENAME_EVENT]
    });
    expect(CONTEXT_EVENT_TYPES).not.toContain('chat.exchange');
  });

  it('reads what was done in a renamed notebook under its earlier path', async () => {
    const { provider, telemetry } = basketProvider();
    const earlier = 'demo/draft.ipynb';
    const stored = basketEvents().map(event => ({
      ...event,
      notebook: event.notebook === PATH ? earlier : event.notebook
    }));
    telemetry.stored = [
      ...stored,
      {
        ...stored[0],
        id: 'rename',
        type: RENAME_EVENT,
        notebook: PATH,
        time: NOW.toISOString(),
        data: { from: earlier }
      }
    ];
    const context = contextOf(await messagesOf(provider, ask('why?')));
    expect(context).toContain(
      "- 13:56 ran cell 4: KeyError: 'price', the 3rd failure in 4 minutes"
    );
  });

  it('adds live events after the stored ones, each id once', async () => {
    const { provider, telemetry } = basketProvider();
    const stored = basketEvents();
    // Sent and stored already, then seen live too: one copy.
    telemetry.eventPublished.emit(stored[stored.length - 1]);
    const live = executeEvent(
      'live-1',
      '2024-03-01T14:06:10.000Z',
      { id: TOTAL_CELL, index: 3 },
      null
    );
    telemetry.eventPublished.emit(live);
    telemetry.eventPublished.emit(live);
    const events = await provider.events(PATH);
    expect(events.map(e => e.id)).toEqual([...storedIds(), 'live-1']);
  });

  it('includes an execution that finished just before the question', async () => {
    const { provider, telemetry, setNow } = basketProvider();
    await provider.events(PATH); // the log was read before the student ran the cell
    const finished = new Date(NOW.getTime() + 60_000);
    telemetry.eventPublished.emit(
      executeEvent(
        'just-now',
        new Date(finished.getTime() - 100).toISOString(),
        { id: TOTAL_CELL, index: 3 },
        { name: 'TypeError', value: "can't multiply sequence by 'str'" }
      )
    );
    setNow(finished);
    const context = contextOf(await messagesOf(provider, ask('why?')));
    expect(context).toContain('## Last error: cell 4 at 14:07');
    expect(context).toContain(
      "- 14:07 ran cell 4: TypeError: can't multiply sequence by 'str'"
    );
  });

  it('keeps the live events while the stored log cannot be read, and asks again', async () => {
    const { provider, telemetry } = basketProvider();
    telemetry.query.mockRejectedValueOnce(new Error('offline'));
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const live = executeEvent(
      'live-1',
      '2024-03-01T14:06:10.000Z',
      { id: TOTAL_CELL, index: 3 },
      null
    );
    telemetry.eventPublished.emit(live);
    expect((await provider.events(PATH)).map(e => e.id)).toEqual(['live-1']);
    expect((await provider.events(PATH)).map(e => e.id)).toEqual([
      ...storedIds(),
      'live-1'
    ]);
    expect(telemetry.query).toHaveBeenCalledTimes(2);
    warn.mockRestore();
  });

  it('keeps at most maxEvents live events per notebook, the newest', async () => {
    const { provider, telemetry } = basketProvider({ maxEvents: 3 });
    telemetry.stored = [];
    for (let i = 0; i < 5; i++) {
      telemetry.eventPublished.emit(
        executeEvent(
          `l${i}`,
          `2024-03-01T14:0${i}:00.000Z`,
          {
            id: TOTAL_CELL,
            index: 3
          },
          null
        )
      );
    }
    expect((await provider.events(PATH)).map(e => e.id)).toEqual([
      'l2',
      'l3',
      'l4'
    ]);
  });

  it('asks about the given cell and tells the gateway the hint level', async () => {
    const { provider } = basketProvider();
    const { messages, jelai } = await provider.buildRequest(
      ask('Give me a hint for cell 2 (hint 2 of 3).', {
        cellId: '6f1f7ed8',
        hint: { level: 2 }
      })
    );
    expect(contextOf(messages)).toContain('## Active cell: cell 2');
    expect(jelai.hint).toBe(2);
    expect(jelai.cell).toEqual({ id: '6f1f7ed8', index: 1, type: 'code' });
  });

  it('sends the conversation so far before the context', async () => {
    const { provider } = basketProvider();
    const { messages } = await provider.buildRequest({
      notebook: PATH,
      turns: [
        { role: 'user', content: 'what is a dict?' },
        { role: 'assistant', content: 'A mapping. What do you think?' },
        { role: 'user', content: 'why?' }
      ]
    });
    expect(messages.map(m => m.role)).toEqual([
      'user',
      'assistant',
      'user',
      'user'
    ]);
    expect(messages[0].content).toBe('what is a dict?');
  });

  it('caches the instructions briefly and falls back to the default tutor', async () => {
    const { provider, instructions, setNow } = basketProvider();
    await provider.settings(PATH);
    await provider.settings(PATH);
    expect(instructions).toHaveBeenCalledTimes(1);
    setNow(new Date(NOW.getTime() + 31_000));
    instructions.mockRejectedValueOnce(new Error('404'));
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const fallback = await provider.settings(PATH);
    expect(fallback.showContext).toBe(true);
    expect(fallback.hiddenAssignment).toBeNull();
    await provider.settings(PATH);
    expect(instructions).toHaveBeenCalledTimes(3);
    warn.mockRestore();
  });

  it("counts the notebook's own instructions against the budget", async () => {
    const { provider, state, instructions, setNow } = basketProvider();
    instructions.mockResolvedValue({
      course: { context_budget_tokens: 6000, instructions_tokens: 400 },
      assignment: { path: null, text: null }
    });
    state.metadata = null;
    const before = await provider.settings(PATH);
    state.metadata = { instructions: 'Use a while loop, not a for loop.' };
    setNow(new Date(NOW.getTime() + 31_000));
    const after = await provider.settings(PATH);
    expect(after.instructionsTokens).toBeGreaterThan(before.instructionsTokens);
    expect(after.budgetTokens).toBe(6000 - after.instructionsTokens);
  });

  it('keeps the last result and announces it; a preview is not kept', async () => {
    const { provider } = basketProvider();
    const built: TutorContextProvider.IBuilt[] = [];
    provider.contextBuilt.connect((_, b) => built.push(b));
    const preview = await provider.preview(PATH, [], '(your next question)');
    expect(preview.messages[preview.messages.length - 1].content).toBe(
      '(your next question)'
    );
    expect(provider.last(PATH)).toBeNull();
    expect(built).toEqual([]);

    const messages = await messagesOf(provider, ask('why?'));
    expect(provider.last(PATH)?.messages).toEqual(messages);
    expect(built.map(b => b.notebook)).toEqual([PATH]);
    expect(built[0].result.sections.map(s => s.name)).toContain('timeline');
  });

  it('builds for a notebook that is not open from its events alone', async () => {
    const { provider } = basketProvider({ notebooks: () => null });
    const context = contextOf(await messagesOf(provider, ask('why?')));
    expect(context).toContain(`Notebook: ${PATH} (no kernel, 0 cells)`);
    expect(context).toContain("ran cell 4: KeyError: 'price'");
  });

  it('stops following the live stream when disposed', async () => {
    const { provider, telemetry } = basketProvider();
    telemetry.stored = [];
    provider.dispose();
    telemetry.eventPublished.emit(
      executeEvent(
        'late',
        '2024-03-01T14:06:10.000Z',
        {
          id: TOTAL_CELL,
          index: 3
        },
        null
      )
    );
    expect(await provider.events(PATH)).toEqual([]);
  });
});
