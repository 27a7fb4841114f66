import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { inspectorIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import type { IContextResult, ITutorSettings } from '../context';
import { TutorContextProvider } from './context-provider';
import { turnsOf } from './messages';
import { TutorChatModel } from './model';

/**
 * "What the tutor sees": the exact messages this page sent for the last
 * question about the shown notebook, or those that a question would send
 * now, with each part's fate under the token budget, and a word on what the
 * server adds before them (the tutor's instructions, and whether the
 * instructor's hidden ones apply). Opened from a toggle in the panel's
 * toolbar; absent when the instructor turns it off.
 */
export class TutorContextView extends Widget {
  constructor(options: TutorContextView.IOptions) {
    super();
    this.id = 'jelai-tutor-context';
    this.addClass('jp-jelai-Tutor-context');
    this._model = options.model;
    this._provider = options.provider;
    this._trans = (options.translator ?? nullTranslator).load('jelai');
    this.toggleNode = Private.toggle(this._trans, this.id);
    this.toggleNode.addEventListener('click', this);
    this.hide();
    this._model.notebookChanged.connect(this._onNotebook, this);
    this._provider.contextBuilt.connect(this._onBuilt, this);
    void this._onNotebook();
  }

  /** The toolbar button that opens and closes the view. */
  readonly toggleNode: HTMLButtonElement;

  /** Whether the view is open. */
  get isOpen(): boolean {
    return !this.isHidden;
  }

  /** Opens or closes the view (never opens when the instructor turned it off). */
  setOpen(open: boolean): void {
    this._wanted = open;
    this._apply();
  }

  /** Handles the toggle's clicks. */
  handleEvent(event: Event): void {
    if (event.type === 'click') {
      this.setOpen(!this._wanted);
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.toggleNode.removeEventListener('click', this);
    this._model.notebookChanged.disconnect(this._onNotebook, this);
    this._provider.contextBuilt.disconnect(this._onBuilt, this);
    super.dispose();
  }

  /** Follows the notebook: whether its course lets students see the context. */
  private async _onNotebook(): Promise<void> {
    const notebook = this._model.notebook;
    const generation = ++this._generation;
    this._settings = null;
    this._setAllowed(false);
    if (notebook === null) {
      return;
    }
    const settings = await this._provider.settings(notebook);
    if (generation === this._generation) {
      this._settings = settings;
      this._setAllowed(settings.showContext);
    }
  }

  private _setAllowed(allowed: boolean): void {
    this._allowed = allowed;
    this.toggleNode.hidden = !allowed;
    this._apply();
  }

  /** Shown when the student opened it and the course allows it. */
  private _apply(): void {
    const show = this._wanted && this._allowed;
    this.setHidden(!show);
    this.toggleNode.setAttribute('aria-expanded', String(show));
    this.toggleNode.classList.toggle('jp-mod-active', show);
    if (show) {
      void this._refresh();
    }
  }

  private _onBuilt(_: unknown, built: TutorContextProvider.IBuilt): void {
    if (this.isOpen && built.notebook === this._model.notebook) {
      this._render(built.result, true);
    }
  }

  /** Shows the last question's messages, or a preview of the next one. */
  private async _refresh(): Promise<void> {
    const notebook = this._model.notebook;
    if (notebook === null) {
      return;
    }
    const last = this._provider.last(notebook);
    if (last) {
      this._render(last, true);
      return;
    }
    const generation = this._generation;
    const result = await this._provider.preview(
      notebook,
      turnsOf([...this._model.messages]),
      this._trans.__('(your next question)')
    );
    if (generation === this._generation && this.isOpen) {
      this._render(result, false);
    }
  }

  private _render(result: IContextResult, sent: boolean): void {
    const trans = this._trans;
    const title = sent
      ? trans.__('Sent to the model for your last question')
      : trans.__('What the tutor would see with your next question');
    const summary =
      result.contextWindow === null
        ? trans.__(
            '%1 messages, about %2 tokens of a budget of %3',
            result.messages.length,
            result.estimatedTokens,
            result.budgetTokens
          )
        : trans.__(
            '%1 messages, about %2 tokens of a budget of %3 (context window %4 tokens)',
            result.messages.length,
            result.estimatedTokens,
            result.budgetTokens,
            result.contextWindow
          );
    const notes = [...result.notes];
    const added = Private.added(this._settings, trans);
    if (result.overBudget) {
      notes.push(
        trans.__(
          'This does not fit the budget even with the context left out: the question is not sent.'
        )
      );
    }
    const sections = result.sections
      .filter(section => section.status !== 'empty')
      .map(section =>
        trans.__(
          '%1: %2, %3 tokens',
          section.name,
          Private.status(section.status, trans),
          section.tokens
        )
      );
    this.node.replaceChildren(
      Private.element('div', 'jp-jelai-Tutor-contextTitle', title),
      Private.element('div', 'jp-jelai-Tutor-contextSummary', summary),
      ...added.map(text =>
        Private.element('div', 'jp-jelai-Tutor-contextInstructions', text)
      ),
      ...notes.map(note =>
        Private.element('div', 'jp-jelai-Tutor-contextNote', note)
      ),
      Private.list(sections),
      ...result.messages.map((message, index) =>
        Private.message(message.role, message.content, index, result, trans)
      )
    );
    this.node.dataset.kind = sent ? 'sent' : 'preview';
  }

  private _model: TutorChatModel;
  private _provider: TutorContextProvider;
  private _trans: TranslationBundle;
  private _settings: ITutorSettings | null = null;
  private _allowed = false;
  private _wanted = false;
  private _generation = 0;
}

/**
 * Options of the context view.
 */
export namespace TutorContextView {
  /** The chat it follows and where the messages come from. */
  export interface IOptions {
    model: TutorChatModel;
    provider: TutorContextProvider;
    translator?: ITranslator | null;
  }
}

namespace Private {
  /** The toolbar toggle, hidden until the course allows the view. */
  export function toggle(
    trans: TranslationBundle,
    controls: string
  ): HTMLButtonElement {
    const node = document.createElement('button');
    node.type = 'button';
    node.className = 'jp-jelai-Tutor-contextToggle jp-Button jp-mod-minimal';
    const label = trans.__('What the tutor sees');
    node.title = label;
    node.setAttribute('aria-label', label);
    node.setAttribute('aria-expanded', 'false');
    node.setAttribute('aria-controls', controls);
    node.hidden = true;
    inspectorIcon.element({ container: node, elementPosition: 'center' });
    return node;
  }

  /** What the server puts before the messages shown, in words. */
  export function added(
    settings: ITutorSettings | null,
    trans: TranslationBundle
  ): string[] {
    if (!settings) {
      return [];
    }
    const out = [
      trans.__(
        "The server puts the tutor's instructions before these messages (about %1 tokens): the course's teaching rules, and your TUTOR.md and notebook settings if there are any.",
        settings.instructionsTokens
      )
    ];
    if (settings.hiddenAssignment !== null) {
      out.push(
        settings.hiddenAssignment
          ? trans.__(
              "Your instructor's instructions for %1 apply too; they are not shown.",
              settings.hiddenAssignment
            )
          : trans.__(
              "Your instructor's instructions for this assignment apply too; they are not shown."
            )
      );
    }
    return out;
  }

  export function element(
    tag: string,
    className: string,
    text: string
  ): HTMLElement {
    const node = document.createElement(tag);
    node.className = className;
    node.textContent = text;
    return node;
  }

  export function list(items: string[]): HTMLElement {
    const node = document.createElement('ul');
    node.className = 'jp-jelai-Tutor-contextSections';
    node.append(...items.map(item => element('li', '', item)));
    return node;
  }

  /** One message, its text exactly as sent; the context block open. */
  export function message(
    role: string,
    content: string,
    index: number,
    result: IContextResult,
    trans: TranslationBundle
  ): HTMLElement {
    const node = document.createElement('details');
    node.className = 'jp-jelai-Tutor-contextMessage';
    node.dataset.role = role;
    // The context block is the one that changes from question to question.
    node.open = index === result.messages.length - 2;
    const label = trans.__('%1 message %2', role, index + 1);
    node.append(
      element('summary', '', label),
      element('pre', 'jp-jelai-Tutor-contextText', content)
    );
    return node;
  }

  export function status(
    value: 'included' | 'trimmed' | 'dropped' | 'empty',
    trans: TranslationBundle
  ): string {
    switch (value) {
      case 'included':
        return trans.__('included');
      case 'trimmed':
        return trans.__('trimmed');
      case 'dropped':
        return trans.__('left out for the budget');
      case 'empty':
        return trans.__('nothing to show');
    }
  }
}
