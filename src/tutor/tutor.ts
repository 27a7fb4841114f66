import { JupyterFrontEnd } from '@jupyterlab/application';
import { hintEventData, nextHintLevel, TUTOR_HINT_EVENT } from '../context';
import { createEvent } from '../telemetry/events';
import { IKernelRef, ITelemetry, ITutor } from '../tokens';
import type { TutorContextProvider } from './context-provider';
import type { TutorChatModel } from './model';

/**
 * The tutor service other plugins reach through the `ITutor` token: it
 * shows the panel on a notebook's conversation and asks there, and keeps
 * the hint ladder of each cell.
 */
export class Tutor implements ITutor {
  constructor(options: Tutor.IOptions) {
    this._options = options;
  }

  /** Shows the panel, on a notebook's conversation when one is named. */
  open(notebook?: string): void {
    const { model, shell, panelId } = this._options;
    if (notebook !== undefined) {
      model.notebook = notebook;
    }
    shell.activateById(panelId);
    model.input.focus();
  }

  /** Asks a question about a notebook; a hint is kept before it is sent. */
  async ask(question: string, options: ITutor.IAskOptions): Promise<boolean> {
    this.open(options.notebook);
    const cell = options.cell;
    if (options.hint && cell) {
      // The gateway records the hint, but its record reaches this page only
      // after a reload: keep a copy, so the context and the next hint see it.
      const now = this._options.now?.() ?? new Date();
      const event = createEvent(
        TUTOR_HINT_EVENT,
        hintEventData(options.hint),
        this._options.telemetry.session,
        {
          notebook: options.notebook,
          kernel: this._options.kernel?.(options.notebook) ?? null,
          cell
        },
        now
      );
      this._options.provider.remember(event);
    }
    return this._options.model.ask(question, {
      cellId: cell?.id,
      hint: options.hint ? { level: options.hint } : undefined
    });
  }

  /** The level of the next hint on a cell, from the notebook's events. */
  async nextHintLevel(
    notebook: string,
    cellId: string
  ): Promise<ITutor.HintLevel> {
    const events = await this._options.provider.events(notebook);
    const now = this._options.now?.() ?? new Date();
    return nextHintLevel(events, cellId, now);
  }

  private _options: Tutor.IOptions;
}

/**
 * Options of the tutor service.
 */
export namespace Tutor {
  /** The chat, the context and where the panel lives. */
  export interface IOptions {
    model: Pick<TutorChatModel, 'ask' | 'notebook' | 'input'>;
    provider: Pick<TutorContextProvider, 'events' | 'remember'>;
    telemetry: Pick<ITelemetry, 'session'>;
    shell: Pick<JupyterFrontEnd.IShell, 'activateById'>;
    /** The id of the tutor panel in the shell. */
    panelId: string;
    /** The kernel of an open notebook, for the hints kept; none by default. */
    kernel?: (notebook: string) => IKernelRef | null;
    /** The clock; `new Date()` by default. */
    now?: () => Date;
  }
}
