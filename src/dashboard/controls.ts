import { Widget } from '@lumino/widgets';

/**
 * A form control with its label, wrapped in a widget for a toolbar or panel.
 */
export interface ILabelledControl<T extends HTMLElement> {
  widget: Widget;
  control: T;
}

/**
 * A labelled drop-down of `[value, text]` choices; its label has the class
 * `jp-jelai-Dashboard-<name>`.
 */
export function labelledSelect(
  name: string,
  label: string,
  choices: string[][]
): ILabelledControl<HTMLSelectElement> {
  const node = document.createElement('select');
  node.className = 'jp-mod-styled';
  setChoices(node, choices);
  return Private.labelled(name, label, node);
}

/**
 * A labelled input (`date`, `checkbox`...); its label has the class
 * `jp-jelai-Dashboard-<name>`.
 */
export function labelledInput(
  name: string,
  label: string,
  type: string
): ILabelledControl<HTMLInputElement> {
  const node = document.createElement('input');
  node.type = type;
  node.className = type === 'checkbox' ? '' : 'jp-mod-styled';
  return Private.labelled(name, label, node);
}

/**
 * Replaces a drop-down's choices when they differ, keeping its value if it
 * is still one of them.
 */
export function setChoices(
  select: HTMLSelectElement,
  choices: string[][]
): void {
  const known = [...select.options].map(option => option.value).join('\n');
  if (known !== choices.map(([value]) => value).join('\n')) {
    const value = select.value;
    select.replaceChildren(
      ...choices.map(([key, text]) => new Option(text, key))
    );
    select.value = value;
  }
}

namespace Private {
  export function labelled<T extends HTMLElement>(
    name: string,
    text: string,
    control: T
  ): ILabelledControl<T> {
    const label = document.createElement('label');
    label.className = `jp-jelai-Dashboard-control jp-jelai-Dashboard-${name}`;
    const caption = document.createElement('span');
    caption.textContent = text;
    if (control instanceof HTMLInputElement && control.type === 'checkbox') {
      label.append(control, caption);
    } else {
      label.append(caption, control);
    }
    return { widget: new Widget({ node: label }), control };
  }
}
