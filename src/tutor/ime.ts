/**
 * Whether a keydown is an Enter that an input method (Japanese, Chinese,
 * Korean...) uses to pick or commit its candidate, rather than the student
 * pressing Enter to send. During a composition browsers set `isComposing`;
 * some (Safari) end the composition first and mark the Enter with keyCode
 * 229 instead (see the UI Events spec, "Keys and composition").
 */
export function isCompositionEnter(event: KeyboardEvent): boolean {
  // keyCode is deprecated, but 229 is the only mark some browsers give.
  return event.key === 'Enter' && (event.isComposing || event.keyCode === 229);
}

/**
 * Keeps Enter pressed during a composition away from the chat input's own
 * handler (which would send the half-typed question), while the browser
 * still lets the input method finish the composition. Listens in the capture
 * phase on `node`, an ancestor of the input; returns a function that stops.
 */
export function guardCompositionEnter(node: HTMLElement): () => void {
  const listener = (event: KeyboardEvent) => {
    if (isCompositionEnter(event)) {
      // Not preventDefault: the input method needs the key to commit.
      event.stopPropagation();
    }
  };
  node.addEventListener('keydown', listener, true);
  return () => node.removeEventListener('keydown', listener, true);
}
