import { TutorContextView } from '../context-view';
import { TutorChatModel } from '../model';
import { basketProvider, PATH } from './context-fakes';
import { FakeClient, fakeTelemetry, tick } from './fakes';

async function setup(showContext: boolean) {
  const basket = basketProvider();
  basket.instructions.mockResolvedValue({
    course: { show_context: showContext, instructions_tokens: 400 },
    assignment: { path: null, text: null },
    hidden_instructions: true,
    hidden_assignment: 'ps1'
  });
  const client = new FakeClient();
  const model = new TutorChatModel({
    client,
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
  return { ...basket, client, model, view };
}

describe('TutorContextView', () => {
  it('previews what a question would send, then shows what was sent', async () => {
    const { view, model, client } = await setup(true);
    expect(view.toggleNode.hidden).toBe(false);
    expect(view.toggleNode.classList).toContain('jp-jelai-Tutor-contextToggle');
    expect(view.isOpen).toBe(false);

    view.toggleNode.click();
    await tick();
    expect(view.isOpen).toBe(true);
    expect(view.toggleNode.getAttribute('aria-expanded')).toBe('true');
    expect(view.node.dataset.kind).toBe('preview');
    expect(view.node.textContent).toContain('(your next question)');
    expect(view.node.textContent).toContain(
      "ran cell 4: KeyError: 'price', the 3rd failure in 4 minutes"
    );
    expect(view.node.textContent).toMatch(
      /2 messages, about \d+ tokens of a budget of \d+/
    );
    // What the server adds is named, never shown.
    const added = [
      ...view.node.querySelectorAll('.jp-jelai-Tutor-contextInstructions')
    ].map(node => node.textContent);
    expect(added).toEqual([
      expect.stringMatching(
        /^The server puts the tutor's instructions before these messages \(about \d+ tokens\)/
      ),
      "Your instructor's instructions for ps1 apply too; they are not shown."
    ]);

    const sent = model.sendMessage({ body: 'why?' });
    const stream = await client.nextStream();
    stream.finish();
    await sent;
    expect(view.node.dataset.kind).toBe('sent');
    const texts = [...view.node.querySelectorAll('pre')].map(
      pre => pre.textContent
    );
    expect(texts).toEqual(
      client.calls[0].request.messages.map(message => message.content)
    );

    view.toggleNode.click();
    expect(view.isOpen).toBe(false);
  });

  it('is absent when the instructor turned it off', async () => {
    const { view } = await setup(false);
    expect(view.toggleNode.hidden).toBe(true);
    view.setOpen(true);
    expect(view.isOpen).toBe(false);
    expect(view.node.textContent).toBe('');
  });
});
