import { guardCompositionEnter, isCompositionEnter } from '../ime';

/** A panel holding an input whose own keydown handler records what it saw. */
function setup(): { panel: HTMLElement; input: HTMLElement; seen: string[] } {
  const panel = document.createElement('div');
  const root = document.createElement('div');
  const input = document.createElement('textarea');
  root.appendChild(input);
  panel.appendChild(root);
  document.body.appendChild(panel);
  const seen: string[] = [];
  // The chat input's handler sits below the panel, as React's root does.
  root.addEventListener('keydown', event => seen.push(event.key));
  return { panel, input, seen };
}

function press(target: HTMLElement, init: KeyboardEventInit): KeyboardEvent {
  const event = new KeyboardEvent('keydown', {
    bubbles: true,
    cancelable: true,
    ...init
  });
  target.dispatchEvent(event);
  return event;
}

describe('Enter during an input method composition', () => {
  it('never reaches the chat input, and keeps its default for the input method', () => {
    const { panel, input, seen } = setup();
    const stop = guardCompositionEnter(panel);
    const composing = press(input, { key: 'Enter', isComposing: true });
    const safari = press(input, { key: 'Enter', keyCode: 229 });
    expect(seen).toEqual([]);
    expect(composing.defaultPrevented).toBe(false);
    expect(safari.defaultPrevented).toBe(false);

    press(input, { key: 'Enter' });
    press(input, { key: 'a', isComposing: true });
    expect(seen).toEqual(['Enter', 'a']);

    stop();
    press(input, { key: 'Enter', isComposing: true });
    expect(seen).toEqual(['Enter', 'a', 'Enter']);
  });

  it.each([
    [{ key: 'Enter', isComposing: true }, true],
    [{ key: 'Enter', keyCode: 229 }, true],
    [{ key: 'Enter' }, false],
    [{ key: 'Enter', shiftKey: true }, false],
    [{ key: 'Process', isComposing: true }, false]
  ])('tells %j as a composition Enter: %s', (init, expected) => {
    expect(isCompositionEnter(new KeyboardEvent('keydown', init))).toBe(
      expected
    );
  });
});
