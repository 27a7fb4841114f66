import { nullTranslator } from '@jupyterlab/translation';
import { TutorChatModel } from '../model';
import { readGatewayLine } from '../queue-line';
import { FakeClient, fakeTelemetry, plainRequest, tick } from './fakes';

describe('readGatewayLine', () => {
  it("reads the question's place from the gateway's queue line", () => {
    expect(readGatewayLine({ jelai: { queue: { position: 3 } } })).toEqual({
      position: 3
    });
  });

  it('leaves the chunks of the reply alone', () => {
    const chunk = {
      message: { role: 'assistant', content: 'Hi' },
      done: false
    };
    expect(readGatewayLine(chunk)).toBeNull();
    expect(readGatewayLine(null)).toBeNull();
  });

  it('takes a gateway line it cannot read for no place at all', () => {
    for (const line of [
      { jelai: null },
      { jelai: { queue: { position: '3' } } },
      { jelai: { queue: { position: 0 } } },
      { jelai: { other: true } }
    ]) {
      expect(readGatewayLine(line)).toEqual({ position: null });
    }
  });
});

describe('a question waiting for the model server', () => {
  it('shows its place in line until the reply begins', async () => {
    const client = new FakeClient();
    const model = new TutorChatModel({
      client,
      telemetry: fakeTelemetry([]),
      translator: nullTranslator,
      modelName: 'llama3.1:8b',
      buildRequest: plainRequest
    });
    model.notebook = 'lab.ipynb';
    const sent = model.sendMessage({ body: 'why?' });
    const stream = await client.nextStream();
    stream.pushPlace(2);
    await tick();
    expect(model.messages[1].body).toContain('number 2 in line');
    stream.pushPlace(1);
    await tick();
    expect(model.messages[1].body).toContain('next in line');
    stream.push('Look at line 3.');
    stream.finish('stop');
    await sent;
    expect(model.messages[1].body).toBe('Look at line 3.');
    expect(model.messages[1].metadata?.jelai?.text).toBe('Look at line 3.');
  });
});
