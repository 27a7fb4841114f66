import { IChatModel } from '@jupyter/chat';
import { TutorError } from '../client';
import { TutorChatModel } from '../model';
import {
  FakeClient,
  fakeTelemetry,
  plainRequest,
  storedEvent,
  tick
} from './fakes';

function setup(events = [] as ReturnType<typeof storedEvent>[]) {
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

const info = (model: TutorChatModel, index: number) =>
  model.messages[index].metadata?.jelai;

describe('TutorChatModel', () => {
  it('streams the reply into one message updated in place', async () => {
    const { client, model } = setup();
    model.notebook = 'lab/week1.ipynb';
    await model.restored;
    const sent = model.sendMessage({ body: 'Why does my loop never end?' });
    const stream = await client.nextStream();

    expect(model.messages.map(m => m.sender.username)).toEqual([
      'student',
      'jelai-tutor'
    ]);
    const reply = model.messages[1];
    let updates = 0;
    reply.changed.connect(() => updates++);

    stream.push('What changes ');
    stream.push('between two turns?');
    stream.finish();
    await sent;

    expect(model.messages).toHaveLength(2);
    expect(model.messages[1]).toBe(reply);
    expect(reply.body).toBe('What changes between two turns?');
    expect(reply.metadata?.jelai?.status).toBe('finished');
    expect(updates).toBe(3);
    expect(reply.time).toBeLessThan(Date.now() / 1000 + 1);
    expect(reply.time).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  it('shows the tutor as writing while the reply streams', async () => {
    const { client, model } = setup();
    model.notebook = 'a.ipynb';
    const seen: IChatModel.IWriter[][] = [];
    model.writersChanged.connect((_, writers) => seen.push(writers));
    const sent = model.sendMessage({ body: 'hint please' });
    const stream = await client.nextStream();

    expect(model.isWriting).toBe(true);
    expect(model.writers).toHaveLength(1);
    expect(model.writers[0].user.bot).toBe(true);
    expect(model.writers[0].messageID).toBe(model.messages[1].id);

    stream.push('Look at line 3.');
    stream.finish();
    await sent;
    expect(model.isWriting).toBe(false);
    expect(model.writers).toEqual([]);
    expect(seen.map(writers => writers.length)).toEqual([1, 0]);
  });

  it('keeps the partial reply, marked stopped, when stopped', async () => {
    const { client, model } = setup();
    model.notebook = 'a.ipynb';
    const results: TutorChatModel.IReplyResult[] = [];
    model.replyFinished.connect((_, result) => results.push(result));
    const sent = model.sendMessage({ body: 'explain recursion' });
    const stream = await client.nextStream();
    stream.push('A function that calls');
    await tick();

    model.stop();
    await sent;

    expect(stream.aborted).toBe(true);
    const reply = model.messages[1];
    expect(reply.metadata?.jelai).toMatchObject({
      text: 'A function that calls',
      status: 'stopped'
    });
    expect(reply.body).toContain('A function that calls');
    expect(reply.body).toContain('jp-mod-stopped');
    expect(model.writers).toEqual([]);
    expect(results).toEqual([
      { notebook: 'a.ipynb', status: 'stopped', error: null }
    ]);
  });

  it('shows an unreachable model server as a clear message', async () => {
    const { client, model } = setup();
    model.notebook = 'a.ipynb';
    client.failNext = new TutorError(
      'The model server at http://127.0.0.1:11434 is not reachable',
      'unreachable',
      502
    );
    const results: TutorChatModel.IReplyResult[] = [];
    model.replyFinished.connect((_, result) => results.push(result));
    await model.sendMessage({ body: 'hello?' });

    expect(info(model, 1)).toMatchObject({
      status: 'failed',
      error: 'The model server at http://127.0.0.1:11434 is not reachable'
    });
    expect(model.messages[1].body).toContain(
      'The model server at http://127.0.0.1:11434 is not reachable'
    );
    expect(model.messages[1].body).toContain('jp-mod-failed');
    expect(results[0].error?.kind).toBe('unreachable');
    expect(model.isWriting).toBe(false);
  });

  it('shows a refused request as a clear message', async () => {
    const { client, model } = setup();
    model.notebook = 'a.ipynb';
    client.failNext = Object.assign(new Error('model "big" is not allowed'), {
      name: 'ResponseError',
      status_code: 403
    });
    await model.sendMessage({ body: 'hello?' });
    expect(info(model, 1)?.error).toBe(
      'The server refused the request: model "big" is not allowed'
    );
  });

  it('keeps the partial reply when the stream fails midway', async () => {
    const { client, model } = setup();
    model.notebook = 'a.ipynb';
    const sent = model.sendMessage({ body: 'what is a list?' });
    const stream = await client.nextStream();
    stream.push('A list holds');
    stream.fail(new Error('model runner crashed'));
    await sent;

    expect(info(model, 1)).toMatchObject({
      text: 'A list holds',
      status: 'failed',
      error: 'The reply failed: model runner crashed'
    });
    expect(model.messages[1].body).toMatch(
      /^A list holds\n\n<div class="jp-jelai-Tutor-mark jp-mod-failed">The reply failed: model runner crashed<\/div>$/
    );
  });

  it('sends the conversation so far and the question, and no system prompt', async () => {
    const { client, model } = setup();
    model.notebook = 'lab/week1.ipynb';
    const first = model.sendMessage({ body: 'first question' });
    const stream = await client.nextStream();
    stream.push('first answer');
    stream.finish();
    await first;
    const second = model.sendMessage({ body: 'second question' });
    (await client.nextStream()).finish();
    await second;

    const { request, notebook } = client.calls[1];
    expect(notebook).toBe('lab/week1.ipynb');
    expect(request.model).toBe('tiny:1b');
    expect(request.jelai).toEqual({});
    expect(request.messages).toEqual([
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first answer' },
      { role: 'user', content: 'second question' }
    ]);
  });

  it('builds the request with an injected builder', async () => {
    const client = new FakeClient();
    const buildRequest = jest.fn(() => ({
      messages: [
        { role: 'user', content: 'context' },
        { role: 'user', content: 'q' }
      ],
      jelai: { notebook: { mode: 'tutor' } }
    }));
    const model = new TutorChatModel({
      client,
      telemetry: fakeTelemetry(),
      modelName: 'tiny:1b',
      buildRequest
    });
    model.notebook = 'a.ipynb';
    const sent = model.sendMessage({ body: 'q' });
    (await client.nextStream()).finish();
    await sent;
    expect(buildRequest).toHaveBeenCalledWith({
      notebook: 'a.ipynb',
      turns: [{ role: 'user', content: 'q' }]
    });
    expect(client.calls[0].request).toEqual({
      model: 'tiny:1b',
      messages: [
        { role: 'user', content: 'context' },
        { role: 'user', content: 'q' }
      ],
      jelai: { notebook: { mode: 'tutor' } }
    });
  });

  it('keeps one conversation per notebook', async () => {
    const { client, model } = setup();
    const changes: (string | null)[] = [];
    model.notebookChanged.connect((_, path) => changes.push(path));

    model.notebook = 'a.ipynb';
    const a = model.sendMessage({ body: 'about a' });
    (await client.nextStream()).finish();
    await a;

    model.notebook = 'b.ipynb';
    expect(model.messages).toHaveLength(0);
    const b = model.sendMessage({ body: 'about b' });
    (await client.nextStream()).finish();
    await b;
    expect(client.calls[1].notebook).toBe('b.ipynb');
    expect(client.calls[1].request.messages).toEqual([
      { role: 'user', content: 'about b' }
    ]);

    model.notebook = 'a.ipynb';
    expect(model.messages.map(m => m.metadata?.jelai?.text)).toEqual([
      'about a',
      ''
    ]);
    expect(changes).toEqual(['a.ipynb', 'b.ipynb', 'a.ipynb']);
  });

  it('finishes a reply in its own conversation after a switch', async () => {
    const { client, model } = setup();
    model.notebook = 'a.ipynb';
    const sent = model.sendMessage({ body: 'slow one' });
    const stream = await client.nextStream();
    model.notebook = 'b.ipynb';
    expect(model.isWriting).toBe(false);
    stream.push('done in a');
    stream.finish();
    await sent;
    expect(model.messages).toHaveLength(0);
    model.notebook = 'a.ipynb';
    expect(model.messages[1].body).toBe('done in a');
  });

  it('asks for a notebook before answering', async () => {
    const { client, model } = setup();
    expect(await model.sendMessage({ body: 'hi' })).toBe(false);
    expect(client.calls).toHaveLength(0);
    expect(info(model, 1)?.role).toBe('notice');
  });
});
