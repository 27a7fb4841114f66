import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { showGuardNotes } from '../guard-notes';
import { TutorChatModel } from '../model';
import {
  FakeClient,
  fakeTelemetry,
  plainRequest,
  storedEvent,
  tick
} from './fakes';

// A reply as the server proxy sends it in tutor mode with a limit of 2 lines.
const TRIM_NOTE =
  '*(3 more lines of code left out: the tutor shows short snippets, so you can write the rest yourself.)*';
const TRIMMED_REPLY = [
  'Here is the idea:',
  '',
  '```python',
  'total = 0',
  'for item in basket:',
  '```',
  TRIM_NOTE,
  '',
  'What does `.get` return for the milk?'
].join('\n');
const LEAK_NOTE =
  "*(The tutor stopped this reply: its code came too close to the assignment's solution. Try the next step yourself, and ask for a hint if you are stuck.)*";

function setup(events: ReturnType<typeof storedEvent>[] = []) {
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

async function answer(model: TutorChatModel, client: FakeClient, text: string) {
  const sent = model.sendMessage({ body: 'how do I add them up?' });
  const stream = await client.nextStream();
  stream.push(text);
  stream.finish();
  await sent;
  return model.messages[1];
}

/** A translation into French of the two notes, as a language pack would give. */
const french = {
  __: (text: string) =>
    text.startsWith('The tutor stopped')
      ? 'Le tuteur a arrêté cette réponse.'
      : text,
  _n: (_one: string, _many: string, n: number) => `${n} lignes de code omises.`
} as unknown as TranslationBundle;

describe('the guardrails in the chat', () => {
  it('sends no rules of its own: the gateway holds the reply to its merged rules', async () => {
    const { client, model } = setup();
    model.notebook = 'lab/week1.ipynb';
    await answer(model, client, TRIMMED_REPLY);
    expect(client.calls[0]).toEqual({
      request: expect.any(Object),
      notebook: 'lab/week1.ipynb'
    });
  });

  it("shows the server's note after a cut block as a mark, and records nothing itself", async () => {
    const { client, telemetry, model } = setup();
    model.notebook = 'a.ipynb';
    const reply = await answer(model, client, TRIMMED_REPLY);
    expect(reply.body).toContain(
      '<div class="jp-jelai-Tutor-mark jp-mod-trimmed">3 more lines of code left out: the tutor shows short snippets, so you can write the rest yourself.</div>\n\n\nWhat does'
    );
    expect(reply.body).not.toContain(TRIM_NOTE);
    // The conversation sent with the next question is the reply as the server sent it.
    expect(reply.metadata?.jelai?.text).toBe(TRIMMED_REPLY);
    expect(telemetry.publish).not.toHaveBeenCalled();
  });

  it('shows replies read back from the history as the server recorded them', async () => {
    const exchange = storedEvent('chat.exchange', {
      messages: [{ role: 'user', content: 'how do I add them up?' }],
      reply: `Start with the loop.\n\n${LEAK_NOTE}`,
      status: 'finished',
      model: 'tiny:1b'
    });
    const { telemetry, model } = setup([exchange]);
    model.notebook = 'lab/week1.ipynb';
    await model.restored;
    await tick();
    expect(model.messages).toHaveLength(2);
    expect(model.messages[1].body).toContain(
      'Start with the loop.\n\n<div class="jp-jelai-Tutor-mark jp-mod-withheld">'
    );
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

describe('showGuardNotes', () => {
  const english = nullTranslator.load('jelai');

  it("shows the server's notes in the student's language", () => {
    const text = `${TRIMMED_REPLY}\n\n${LEAK_NOTE}`;
    const shown = showGuardNotes(text, french);
    expect(shown).toContain(
      '<div class="jp-jelai-Tutor-mark jp-mod-trimmed">3 lignes de code omises.</div>'
    );
    expect(shown).toContain(
      '<div class="jp-jelai-Tutor-mark jp-mod-withheld">Le tuteur a arrêté cette réponse.</div>'
    );
    expect(shown).toContain('total = 0\nfor item in basket:\n```');
  });

  it('says one line in the singular', () => {
    const note =
      '*(1 more line of code left out: the tutor shows short snippets, so you can write the rest yourself.)*';
    expect(showGuardNotes(note, english)).toContain('>1 more line of code');
  });

  it('leaves a note quoted inside other text alone', () => {
    const quoted = `The tutor said ${TRIM_NOTE}`;
    expect(showGuardNotes(quoted, english)).toBe(quoted);
  });
});
