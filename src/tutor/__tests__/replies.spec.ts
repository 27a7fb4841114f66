import { nullTranslator } from '@jupyterlab/translation';
import { exchangeMessages, exchangesSinceClear } from '../history';
import { tutorUser } from '../messages';
import { TutorChatModel } from '../model';
import { splitReasoning } from '../reasoning';
import {
  FakeClient,
  fakeTelemetry,
  plainRequest,
  storedEvent,
  tick
} from './fakes';

function setup() {
  const client = new FakeClient();
  const telemetry = fakeTelemetry([]);
  const model = new TutorChatModel({
    client,
    telemetry,
    modelName: 'qwen3:8b',
    buildRequest: plainRequest
  });
  model.notebook = 'lab/week1.ipynb';
  return { client, model };
}

/** Every body the reply message showed, in order. */
function bodies(model: TutorChatModel): string[] {
  const seen: string[] = [];
  const reply = model.messages[1];
  seen.push(reply.body as string);
  reply.changed.connect(() => seen.push(reply.body as string));
  return seen;
}

describe('what a model returns, as the student sees it', () => {
  it('shows only the answer of a reply whose reasoning streams inline over several chunks', async () => {
    const { client, model } = setup();
    const sent = model.sendMessage({ body: 'why is x undefined?' });
    const stream = await client.nextStream();
    const seen = bodies(model);
    for (const piece of [
      '<thi',
      'nk>The student forgot',
      ' to run cell 1. I must not',
      ' say it outright.</th',
      'ink>\n\nWhich cell',
      ' defines x?'
    ]) {
      stream.push(piece);
      await tick();
    }
    stream.finish('stop');
    await sent;

    expect(model.messages[1].body).toBe('Which cell defines x?');
    for (const body of seen) {
      expect(body).not.toMatch(/forgot|outright|<th|think>/);
    }
    // While only reasoning came, the student sees that the tutor is thinking.
    expect(seen.some(body => body.includes('jp-mod-thinking'))).toBe(true);
    // The conversation sent back to the model holds the answer only.
    const next = model.sendMessage({ body: 'cell 1?' });
    const second = await client.nextStream();
    const history = client.calls[1].request.messages;
    expect(history.map(m => m.content).join('\n')).not.toMatch(/forgot/);
    second.finish('stop');
    await next;
  });

  it("keeps a thinking model's separate `message.thinking` out of the answer", async () => {
    const { client, model } = setup();
    const sent = model.sendMessage({ body: 'hint?' });
    const stream = await client.nextStream();
    const seen = bodies(model);
    stream.pushThinking('They need the idea of a ');
    await tick();
    stream.pushThinking('loop invariant.');
    await tick();
    stream.push('What stays true ');
    stream.push('on every turn?');
    stream.finish('stop');
    await sent;

    expect(model.messages[1].body).toBe('What stays true on every turn?');
    expect(seen.join('\n')).not.toMatch(/invariant/);
    expect(seen.some(body => body.includes('Thinking…'))).toBe(true);
  });

  it('says visibly that a reply was cut by the length limit', async () => {
    const { client, model } = setup();
    const sent = model.sendMessage({ body: 'explain classes' });
    const stream = await client.nextStream();
    stream.push('A class bundles data and the functions that');
    stream.finish('length');
    await sent;

    const reply = model.messages[1];
    expect(reply.body).toContain('A class bundles data and the functions that');
    expect(reply.body).toContain('jp-mod-cut');
    expect(reply.body).toContain('The reply was cut');
    expect(reply.metadata?.jelai).toMatchObject({
      status: 'finished',
      ending: 'length'
    });
  });

  it('says so when the length limit cut the reply inside its reasoning', async () => {
    const { client, model } = setup();
    const sent = model.sendMessage({ body: 'explain classes' });
    const stream = await client.nextStream();
    stream.push('<think>Let me plan a long answer about');
    stream.finish('length');
    await sent;

    const body = model.messages[1].body as string;
    expect(body).not.toContain('plan a long answer');
    expect(body).toContain('The reply was cut');
  });

  it.each([
    ['stop', null],
    [undefined, null],
    ['load', 'only loaded the model'],
    ['unload', 'unloaded the model'],
    ['', 'without the model server saying why']
  ])(
    'tells a reply ended with done_reason %j honestly',
    async (reason, words) => {
      const { client, model } = setup();
      const sent = model.sendMessage({ body: 'hello' });
      const stream = await client.nextStream();
      if (reason !== 'load' && reason !== 'unload') {
        stream.push('Hello! What are you working on?');
      }
      stream.finish(reason);
      await sent;
      const body = model.messages[1].body as string;
      if (words === null) {
        expect(body).toBe('Hello! What are you working on?');
      } else {
        expect(body).toContain(words);
        expect(body).toContain('jp-jelai-Tutor-mark');
      }
    }
  );

  it('says so when a finished reply has no answer at all', async () => {
    const { client, model } = setup();
    const sent = model.sendMessage({ body: 'hello' });
    const stream = await client.nextStream();
    stream.push('<think>Nothing to say.</think>');
    stream.finish('stop');
    await sent;
    expect(model.messages[1].body).toContain('The model gave no answer');
    expect(model.messages[1].body).not.toContain('Nothing to say');
  });

  it('shows an error line mid-stream as a failure, the reasoning still hidden', async () => {
    const { client, model } = setup();
    const sent = model.sendMessage({ body: 'hello' });
    const stream = await client.nextStream();
    stream.push('<think>secret plan</think>Partial ');
    stream.fail(new Error('an error was encountered while running the model'));
    await sent;
    const body = model.messages[1].body as string;
    expect(body).toMatch(/^Partial/);
    expect(body).toContain('jp-mod-failed');
    expect(body).not.toContain('secret plan');
  });

  it('shows recorded exchanges again without their reasoning, and a cut one as cut', () => {
    const trans = nullTranslator.load('jelai');
    const question = [{ role: 'user', content: 'why?' }];
    const exchanges = exchangesSinceClear([
      // Recorded before the server kept reasoning apart: inline in `reply`.
      storedEvent('chat.exchange', {
        messages: question,
        reply: '<think>old plan</think>Which line fails?',
        status: 'finished',
        done_reason: 'stop'
      }),
      storedEvent('chat.exchange', {
        messages: question,
        reply: 'A loop repeats',
        reasoning: 'plan',
        status: 'finished',
        done_reason: 'length'
      })
    ]);
    const messages = exchangeMessages(exchanges, {
      user: { username: 'student' },
      tutor: tutorUser(trans),
      trans
    });
    expect(messages[1].body).toBe('Which line fails?');
    expect(messages[3].body).toContain('A loop repeats');
    expect(messages[3].body).toContain('The reply was cut');
  });
});

describe('splitReasoning', () => {
  it.each([
    ['<think>plan</think>answer', 'answer', 'plan', false],
    ['  <think>\nplan\n</think>\n\nanswer', 'answer', 'plan', false],
    ['<thinking>plan</thinking>answer', 'answer', 'plan', false],
    ['<THINK>plan</THINK>answer', 'answer', 'plan', false],
    ['<think>a</think><think>b</think>answer', 'answer', 'a\n\nb', false],
    // A chat template that opened the block itself: only the closing tag shows.
    ['plan</think>answer', 'answer', 'plan', false],
    ['<think>still planning', '', 'still planning', true],
    ['no reasoning here', 'no reasoning here', '', false],
    [
      'Use `<think>` tags in HTML? No such tag.',
      'Use `<think>` tags in HTML? No such tag.',
      '',
      false
    ]
  ])('splits %j', (content, answer, reasoning, thinking) => {
    expect(splitReasoning(content)).toEqual({ answer, reasoning, thinking });
  });

  it('holds back a tag cut between chunks while streaming', () => {
    expect(splitReasoning('<thi', true).answer).toBe('');
    expect(splitReasoning('<think>plan</thi', true)).toEqual({
      answer: '',
      reasoning: 'plan',
      thinking: true
    });
    expect(splitReasoning('<b>bold</b>', true).answer).toBe('<b>bold</b>');
  });
});
