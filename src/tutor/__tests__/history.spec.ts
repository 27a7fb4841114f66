import { exchangesSinceClear, HISTORY_EVENT_TYPES } from '../history';
import { TutorChatModel } from '../model';
import {
  FakeClient,
  fakeTelemetry,
  plainRequest,
  storedEvent,
  storeQuery,
  tick
} from './fakes';

const exchange = (
  question: string,
  reply: string,
  extra: Record<string, unknown> = {},
  envelope: Parameters<typeof storedEvent>[2] = {}
) =>
  storedEvent(
    'chat.exchange',
    {
      model: 'tiny:1b',
      messages: [
        { role: 'system', content: 'You are a tutor.' },
        { role: 'user', content: question }
      ],
      reply,
      status: 'finished',
      error: null,
      ttft_ms: 120,
      total_ms: 900,
      ...extra
    },
    envelope
  );

describe('exchangesSinceClear', () => {
  it('keeps only the exchanges after the last clear', () => {
    const events = [
      exchange('old question', 'old reply'),
      storedEvent('chat.clear', {}),
      exchange(
        'kept question',
        'kept reply',
        {},
        {
          time: '2025-01-01T10:05:00.000Z'
        }
      ),
      storedEvent('chat.clear', {}),
      exchange('newest', 'partial', { status: 'stopped' })
    ];
    expect(exchangesSinceClear(events)).toEqual([
      expect.objectContaining({
        question: 'newest',
        reply: 'partial',
        status: 'stopped',
        model: 'tiny:1b'
      })
    ]);
    expect(exchangesSinceClear(events.slice(0, 3))).toEqual([
      expect.objectContaining({
        question: 'kept question',
        time: Date.parse('2025-01-01T10:05:00.000Z') / 1000
      })
    ]);
  });

  it('reads the question as the last user message sent', () => {
    const event = exchange('ignored', 'r', {
      messages: [
        { role: 'user', content: 'earlier' },
        { role: 'assistant', content: 'earlier reply' },
        { role: 'user', content: 'the question' }
      ]
    });
    expect(exchangesSinceClear([event])[0].question).toBe('the question');
    expect(
      exchangesSinceClear([exchange('q', 'r', { messages: 'broken' })])
    ).toEqual([]);
  });
});

describe('TutorChatModel history', () => {
  function setup(events: ReturnType<typeof storedEvent>[]) {
    const client = new FakeClient();
    const telemetry = fakeTelemetry(events);
    const model = new TutorChatModel({
      client,
      telemetry,
      modelName: 'tiny:1b',
      buildRequest: plainRequest
    });
    return { client, telemetry, model };
  }

  it('shows the stored conversation again on first activation', async () => {
    const { model, telemetry } = setup([
      exchange('before the clear', 'hidden'),
      storedEvent('chat.clear', {}),
      exchange('what is a tuple?', 'An immutable sequence.'),
      exchange('and a set?', 'Part of', {
        status: 'failed',
        error: 'The model server ended the reply early.'
      }),
      exchange(
        'asked on this page',
        'already shown',
        {},
        {
          session: 'page-now'
        }
      )
    ]);
    model.notebook = 'lab/week1.ipynb';
    await model.restored;

    expect(telemetry.query).toHaveBeenCalledWith(
      expect.objectContaining({
        notebook: 'lab/week1.ipynb',
        types: expect.arrayContaining(HISTORY_EVENT_TYPES)
      })
    );
    expect(model.messages.map(m => m.metadata?.jelai?.text)).toEqual([
      'what is a tuple?',
      'An immutable sequence.',
      'and a set?',
      'Part of'
    ]);
    expect(model.messages[3].metadata?.jelai?.status).toBe('failed');
    expect(model.messages[3].body).toContain(
      'The model server ended the reply early.'
    );

    model.notebook = 'other.ipynb';
    await model.restored;
    model.notebook = 'lab/week1.ipynb';
    expect(telemetry.query).toHaveBeenCalledTimes(2);
    expect(model.messages).toHaveLength(4);
  });

  it('sends the restored conversation as history', async () => {
    const { client, model } = setup([exchange('q1', 'a1')]);
    model.notebook = 'lab/week1.ipynb';
    const sent = model.sendMessage({ body: 'q2' });
    (await client.nextStream()).finish();
    await sent;
    expect(client.calls[0].request.messages).toEqual([
      { role: 'user', content: 'q1' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'q2' }
    ]);
  });

  it("keeps a renamed notebook's conversation, on the page and after a reload", async () => {
    const { client, model } = setup([]);
    model.notebook = 'draft.ipynb';
    const sent = model.sendMessage({ body: 'why a KeyError?' });
    (await client.nextStream()).finish();
    await sent;
    const shown = model.messages.map(m => m.metadata?.jelai?.text);
    const changed: (string | null)[] = [];
    model.notebookChanged.connect((_, path) => changed.push(path));

    model.renameNotebook('draft.ipynb', 'week1/lab1.ipynb');
    model.notebook = 'week1/lab1.ipynb';
    expect(changed).toEqual(['week1/lab1.ipynb']);
    expect(model.messages.map(m => m.metadata?.jelai?.text)).toEqual(shown);

    const reloaded = new TutorChatModel({
      client,
      buildRequest: plainRequest,
      telemetry: {
        ...fakeTelemetry(),
        query: storeQuery([
          exchange(
            'why a KeyError?',
            'Which keys does it have?',
            {},
            {
              notebook: 'draft.ipynb'
            }
          ),
          storedEvent(
            'notebook.rename',
            { from: 'draft.ipynb' },
            { notebook: 'week1/lab1.ipynb', time: '2025-01-01T10:01:00.000Z' }
          )
        ])
      },
      modelName: 'tiny:1b'
    });
    reloaded.notebook = 'week1/lab1.ipynb';
    await reloaded.restored;
    expect(reloaded.messages.map(m => m.metadata?.jelai?.text)).toEqual([
      'why a KeyError?',
      'Which keys does it have?'
    ]);
  });

  it('clears the conversation and records a chat.clear', async () => {
    const { client, model, telemetry } = setup([exchange('q1', 'a1')]);
    model.notebook = 'lab/week1.ipynb';
    await model.restored;
    model.clear();

    expect(model.messages).toHaveLength(0);
    expect(telemetry.publish).toHaveBeenCalledWith(
      'chat.clear',
      {},
      { notebook: 'lab/week1.ipynb' }
    );
    expect(telemetry.flush).toHaveBeenCalled();

    const sent = model.sendMessage({ body: 'fresh start' });
    (await client.nextStream()).finish();
    await sent;
    expect(client.calls[0].request.messages).toEqual([
      { role: 'user', content: 'fresh start' }
    ]);
  });

  it('does not bring cleared messages back when the history arrives late', async () => {
    let answer: (events: ReturnType<typeof storedEvent>[]) => void = () => {};
    const { model, telemetry } = setup([]);
    telemetry.query.mockImplementationOnce(
      () => new Promise(resolve => (answer = resolve))
    );
    model.notebook = 'lab/week1.ipynb';
    model.clear();
    answer([exchange('q1', 'a1')]);
    await tick();
    expect(model.messages).toHaveLength(0);
  });

  it('says so when the history cannot be read', async () => {
    const { model, telemetry } = setup([]);
    telemetry.query.mockRejectedValueOnce(new Error('Forbidden'));
    model.notebook = 'lab/week1.ipynb';
    await model.restored;
    expect(model.messages[0].metadata?.jelai?.role).toBe('notice');
    expect(model.messages[0].body).toContain('Forbidden');
  });

  it('stops a streaming reply when cleared', async () => {
    const { client, model } = setup([]);
    model.notebook = 'a.ipynb';
    const sent = model.sendMessage({ body: 'long answer please' });
    const stream = await client.nextStream();
    model.clear();
    await sent;
    expect(stream.aborted).toBe(true);
    expect(model.messages).toHaveLength(0);
    expect(model.isWriting).toBe(false);
  });
});
