import { chatIcon, ChatWidget, InputToolbarRegistry } from '@jupyter/chat';
import { IThemeManager } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { deleteIcon, LabIcon, refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';
import type { TutorContextView } from './context-view';
import { guardCompositionEnter } from './ime';
import { TutorChatModel } from './model';
import { TutorStatus } from './status';
import { createStopButton } from './stop-button';

/**
 * The id of the tutor side panel.
 */
export const TUTOR_PANEL_ID = 'jelai-tutor';

/**
 * The tutor side panel: which notebook the conversation is about, the model
 * picker and status, and the chat itself.
 */
export class TutorPanel extends Panel {
  constructor(options: TutorPanel.IOptions) {
    super();
    this.id = TUTOR_PANEL_ID;
    this.addClass('jp-jelai-Tutor');
    this._model = options.model;
    this._status = options.status;
    this._onModelPicked = options.onModelPicked ?? null;
    const trans = (options.translator ?? nullTranslator).load('jelai');
    this._trans = trans;
    this.title.icon = chatIcon;
    this.title.caption = trans.__('Tutor');

    this._header = Private.createHeader(trans);
    const header = new Widget({ node: this._header.node });
    header.addClass('jp-jelai-Tutor-header');
    this.addWidget(header);
    const contextView = options.contextView;
    if (contextView) {
      this._header.controls.insertBefore(
        contextView.toggleNode,
        this._header.refresh
      );
      this.addWidget(contextView);
    }

    const toolbar = InputToolbarRegistry.defaultToolbarRegistry();
    toolbar.addItem('stop', {
      element: createStopButton(() => this._model.stop(), trans),
      position: 90
    });
    this._chat = new ChatWidget({
      model: this._model,
      rmRegistry: options.rendermime,
      themeManager: options.themeManager ?? null,
      inputToolbarRegistry: toolbar,
      welcomeMessage: Private.welcome(trans),
      area: 'sidebar'
    });
    this._chat.addClass('jp-jelai-Tutor-chat');
    this.addWidget(this._chat);
    this._unguardComposition = guardCompositionEnter(this.node);

    this._header.picker.addEventListener('change', this);
    this._header.clear.addEventListener('click', this);
    this._header.refresh.addEventListener('click', this);
    this._model.notebookChanged.connect(this._updateNotebook, this);
    this._model.modelNameChanged.connect(this._updateModels, this);
    this._status.changed.connect(this._updateModels, this);
    this._updateNotebook();
    this._updateModels();
  }

  /** The chat widget inside the panel. */
  get chatWidget(): ChatWidget {
    return this._chat;
  }

  /** Handles the header's DOM events. */
  handleEvent(event: Event): void {
    if (event.type === 'change' && event.target === this._header.picker) {
      const name = this._header.picker.value;
      this._model.modelName = name || null;
      this._onModelPicked?.(name);
    } else if (event.type === 'click') {
      if (event.currentTarget === this._header.clear) {
        this._model.clear();
      } else if (event.currentTarget === this._header.refresh) {
        void this._status.refresh();
      }
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._header.picker.removeEventListener('change', this);
    this._header.clear.removeEventListener('click', this);
    this._header.refresh.removeEventListener('click', this);
    this._unguardComposition();
    this._model.notebookChanged.disconnect(this._updateNotebook, this);
    this._model.modelNameChanged.disconnect(this._updateModels, this);
    this._status.changed.disconnect(this._updateModels, this);
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    // Showing the panel is a good moment to check an offline server again.
    if (this._status.state !== 'connected') {
      void this._status.refresh();
    }
  }

  private _updateNotebook(): void {
    const path = this._model.notebook;
    const label = this._header.notebook;
    label.textContent = path
      ? PathExt.basename(path)
      : this._trans.__('No notebook open');
    label.title = path ?? '';
    label.classList.toggle('jp-mod-empty', !path);
  }

  private _updateModels(): void {
    const { picker, status } = this._header;
    const current = this._model.modelName;
    const names = [...this._status.models];
    picker.replaceChildren(
      ...names.map(name => new Option(name, name, false, name === current))
    );
    if (current && !names.includes(current)) {
      const missing = this._status.state === 'connected';
      const label = missing
        ? this._trans.__('%1 (not available)', current)
        : current;
      picker.prepend(new Option(label, current, true, true));
    }
    picker.disabled = picker.options.length === 0;

    const state = this._status.state;
    status.dataset.state = state;
    if (state === 'checking') {
      status.textContent = this._trans.__('Checking the model server…');
    } else if (state === 'connected') {
      status.textContent = current
        ? this._trans.__('Connected, answering with %1', current)
        : this._trans.__('Connected');
    } else {
      status.textContent = this._status.message;
    }
    status.title = status.textContent;
  }

  private _model: TutorChatModel;
  private _status: TutorStatus;
  private _trans: TranslationBundle;
  private _onModelPicked: ((name: string) => void) | null;
  private _header: Private.IHeader;
  private _chat: ChatWidget;
  private _unguardComposition: () => void;
}

/**
 * Options of the tutor panel.
 */
export namespace TutorPanel {
  /** What the panel shows and how it renders messages. */
  export interface IOptions {
    model: TutorChatModel;
    status: TutorStatus;
    rendermime: IRenderMimeRegistry;
    themeManager?: IThemeManager | null;
    translator?: ITranslator | null;
    /** Called with the model the student picked, e.g. to save it. */
    onModelPicked?: (name: string) => void;
    /** The "what the tutor sees" view, its toggle put in the toolbar. */
    contextView?: TutorContextView | null;
  }
}

namespace Private {
  export interface IHeader {
    node: HTMLElement;
    controls: HTMLElement;
    notebook: HTMLElement;
    picker: HTMLSelectElement;
    status: HTMLElement;
    refresh: HTMLButtonElement;
    clear: HTMLButtonElement;
  }

  export function createHeader(trans: TranslationBundle): IHeader {
    const node = document.createElement('div');

    const about = element('div', 'jp-jelai-Tutor-about');
    about.textContent = trans.__('About:') + ' ';
    const notebook = element('span', 'jp-jelai-Tutor-notebook');
    about.appendChild(notebook);

    const controls = element('div', 'jp-jelai-Tutor-controls');
    const picker = element('select', 'jp-jelai-Tutor-modelPicker');
    picker.classList.add('jp-mod-styled');
    picker.title = trans.__('The model that answers');
    picker.setAttribute('aria-label', trans.__('Model'));
    const status = element('div', 'jp-jelai-Tutor-status');
    status.setAttribute('role', 'status');
    const refresh = button(
      'jp-jelai-Tutor-refresh',
      refreshIcon,
      trans.__('Check the model server again')
    );
    const clear = button(
      'jp-jelai-Tutor-clear',
      deleteIcon,
      trans.__('Clear the conversation')
    );
    controls.append(picker, refresh, clear);

    node.append(about, controls, status);
    return { node, controls, notebook, picker, status, refresh, clear };
  }

  export function welcome(trans: TranslationBundle): string {
    return [
      trans.__('**Hi, I am your tutor.**'),
      trans.__(
        'Ask me about the notebook you are working on: an error, a step you are stuck on, an idea you want to check. I answer with questions and hints so that you find the solution yourself.'
      ),
      trans.__(
        'Your questions and my replies are recorded to study and improve learning.'
      ),
      // The chat adds a rule after the welcome; a blank line keeps the last
      // paragraph from turning into a heading.
      ''
    ].join('\n\n');
  }

  export function element<K extends keyof HTMLElementTagNameMap>(
    tag: K,
    className: string
  ): HTMLElementTagNameMap[K] {
    const node = document.createElement(tag);
    node.className = className;
    return node;
  }

  export function button(
    className: string,
    icon: LabIcon,
    label: string
  ): HTMLButtonElement {
    const node = element('button', `${className} jp-Button jp-mod-minimal`);
    node.type = 'button';
    node.title = label;
    node.setAttribute('aria-label', label);
    icon.element({ container: node, elementPosition: 'center' });
    return node;
  }
}
