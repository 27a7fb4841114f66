import { nullTranslator } from '@jupyterlab/translation';
import { TUTOR_REPLY_TRIMMED_EVENT } from '../../context';
import { TutorChatModel } from '../model';
import { ReplyRules, reviewHistory } from '../review';
import { FakeClient, fakeTelemetry, storedEvent, tick } from './fakes';

const LONG_REPLY = [
  'Here is the idea:',
  '',
  '```python',
  'total = 0',
  'for item in basket:',
  '    price = item.get("price", 0)',
  '    total += price * item["quantity"]',
  'print(total)',
  '```',
  '',
  'What does `.get` return for the milk?'
].join('\n');

function setup(
  rules: ReplyRules | null,
  events: ReturnType<typeof storedEvent>[] = []
) {
  const client = new FakeClient();
  const telemetry = fakeTelemetry(events);
  const replyRules = jest.fn(async () => rules);
  const model = new TutorChatModel({
    client,
    telemetry,
    modelName: 'tiny:1b',
    replyRules
  });
  return { client, telemetry, model, replyRules };
}

async function answer(model: TutorChatModel, client: FakeClient, text: string) {
  const sent = model.sendMessage({ body: 'how do I add them up?' });
  const stream = await client.nextStream();
  stream.push(text);
  stream.finish();
  await sent;
  return model.messages[1];
}

describe('the reply check in the chat', () => {
  it('trims a long code block from a finished tutor-mode reply and records it', async () => {
    const { client, telemetry, model, replyRules } = setup({
      mode: 'tutor',
      maxCodeLines: 2
    });
    model.notebook = 'lab/week1.ipynb';
    await model.restored;
    const reply = await answer(model, client, LONG_REPLY);

    expect(replyRules).toHaveBeenCalledWith('lab/week1.ipynb');
    expect(reply.body).toContain('total = 0\nfor item in basket:\n```');
    expect(reply.body).not.toContain('print(total)');
    expect(reply.body).toContain(
      '*(3 more lines of code left out: the tutor shows short snippets, so you can write the rest yourself.)*'
    );
    expect(reply.body).toContain('What does `.get` return for the milk?');
    expect(reply.metadata?.jelai).toMatchObject({ status: 'finished' });
    expect(reply.metadata?.jelai?.text).not.toContain('print(total)');
    expect(telemetry.publish).toHaveBeenCalledWith(
      TUTOR_REPLY_TRIMMED_EVENT,
      {
        max_code_lines: 2,
        blocks_trimmed: 1,
        lines_removed: 3,
        longest_block: 5
      },
      { notebook: 'lab/week1.ipynb' }
    );
  });

  it('sends the trimmed reply, as the student saw it, with the next question', async () => {
    const { client, model } = setup({ mode: 'tutor', maxCodeLines: 2 });
    model.notebook = 'a.ipynb';
    await answer(model, client, LONG_REPLY);
    const next = model.sendMessage({ body: 'and then?' });
    (await client.nextStream()).finish();
    await next;
    const sent = client.calls[1].request.messages;
    expect(sent[1].role).toBe('assistant');
    expect(sent[1].content).not.toContain('print(total)');
  });

  it('leaves short snippets and assistant-mode replies as they are', async () => {
    for (const rules of [
      { mode: 'tutor' as const, maxCodeLines: 6 },
      { mode: 'assistant' as const, maxCodeLines: 2 },
      null
    ]) {
      const { client, telemetry, model } = setup(rules);
      model.notebook = 'a.ipynb';
      const reply = await answer(model, client, LONG_REPLY);
      expect(reply.body).toBe(LONG_REPLY);
      expect(telemetry.publish).not.toHaveBeenCalled();
    }
  });

  it('shows the reply unchecked when the rules cannot be read', async () => {
    const { client, model, replyRules } = setup(null);
    replyRules.mockRejectedValueOnce(new Error('offline'));
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    model.notebook = 'a.ipynb';
    const reply = await answer(model, client, LONG_REPLY);
    expect(reply.body).toBe(LONG_REPLY);
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });

  it('trims replies read back from the history too, without recording again', async () => {
    const exchange = storedEvent('chat.exchange', {
      messages: [{ role: 'user', content: 'how do I add them up?' }],
      reply: LONG_REPLY,
      status: 'finished',
      model: 'tiny:1b'
    });
    const { telemetry, model } = setup({ mode: 'tutor', maxCodeLines: 2 }, [
      exchange
    ]);
    model.notebook = 'lab/week1.ipynb';
    await model.restored;
    await tick();
    expect(model.messages).toHaveLength(2);
    expect(model.messages[1].body).not.toContain('print(total)');
    expect(model.messages[1].body).toContain('3 more lines of code left out');
    expect(telemetry.publish).not.toHaveBeenCalled();
  });

  it('passes the cell and the hint level of a question to the request builder', async () => {
    const client = new FakeClient();
    const buildRequest = jest.fn(() => ({
      messages: [{ role: 'user', content: 'q' }],
      jelai: { hint: 2 as const }
    }));
    const model = new TutorChatModel({
      client,
      telemetry: fakeTelemetry(),
      modelName: 'tiny:1b',
      buildRequest
    });
    model.notebook = 'a.ipynb';
    const sent = model.ask('Give me a hint for cell 4 (hint 2 of 3).', {
      cellId: 'c4',
      hint: { level: 2 }
    });
    (await client.nextStream()).finish();
    await sent;
    expect(buildRequest).toHaveBeenCalledWith({
      notebook: 'a.ipynb',
      turns: [
        { role: 'user', content: 'Give me a hint for cell 4 (hint 2 of 3).' }
      ],
      cellId: 'c4',
      hint: { level: 2 }
    });
  });
});

describe('reviewHistory', () => {
  it('keeps questions and notices as they are', () => {
    const trans = nullTranslator.load('jelai');
    const messages = [
      {
        type: 'msg' as const,
        id: 'q',
        time: 0,
        sender: { username: 'student' },
        body: LONG_REPLY,
        metadata: { jelai: { role: 'user' as const, text: LONG_REPLY } }
      }
    ];
    expect(
      reviewHistory(messages, { mode: 'tutor', maxCodeLines: 1 }, trans)
    ).toEqual(messages);
  });
});
