import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import {
  buildContext,
  IChatTurn,
  IContextResult,
  INotebookSnapshot,
  ITutorInstructions,
  ITutorSettings,
  tutorSettings
} from '../context';
import { IEvent, ITelemetry } from '../tokens';
import { ContextTooLargeError } from './client';
import { EventLogs } from './event-logs';
import { queryAcrossRenames } from './renames';
import { BuildRequest, IQuestion, ITutorChatRequest } from './request';

/**
 * Gathers what the tutor sees when the student asks: the notebook as it is,
 * its events (the stored log read once, then the live stream) and the
 * tutor's settings, built into the request sent to the model gateway, which
 * adds the tutor's instructions.
 */
export class TutorContextProvider implements IDisposable {
  constructor(options: TutorContextProvider.IOptions) {
    this._telemetry = options.telemetry;
    this._notebooks = options.notebooks;
    this._instructions = options.instructions;
    this._now = options.now ?? (() => new Date());
    this._ttl = options.instructionsTtlMs ?? 30_000;
    this._logs = new EventLogs({
      // A renamed notebook's activity under its earlier paths counts too,
      // read as the notebook is called now.
      query: async query => {
        const events = await queryAcrossRenames(
          request => this._telemetry.query(request),
          query
        );
        return events.map(event =>
          event.notebook === query.notebook
            ? event
            : { ...event, notebook: query.notebook }
        );
      },
      maxEvents: options.maxEvents
    });
    this._timeZone = options.timeZone;
    this._telemetry.eventPublished.connect(this._onEvent, this);
  }

  /** Emitted after the messages for a question were built. */
  get contextBuilt(): ISignal<this, TutorContextProvider.IBuilt> {
    return this._contextBuilt;
  }

  /** Whether the provider stopped following the live stream. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Builds the request for a question (the tutor chat model's `buildRequest`
   * seam): the messages built, the hint, the cell and the student's own
   * layers; throws a `ContextTooLargeError` when the messages cannot fit the
   * budget, so nothing the model server would cut is sent.
   */
  readonly buildRequest: BuildRequest = async question => {
    const result = await this.build(question);
    if (result.overBudget) {
      const asked = result.sections.find(s => s.name === 'question');
      throw new ContextTooLargeError(
        result.estimatedTokens,
        result.budgetTokens,
        asked?.tokens ?? 0
      );
    }
    const instructions = await this._readInstructions(question.notebook);
    const state = this._notebooks(question.notebook);
    const jelai: ITutorChatRequest.IFields = {};
    if (question.hint) {
      jelai.hint = question.hint.level;
    }
    const cellId = question.cellId ?? state?.activeCellId ?? null;
    const index = state?.notebook.cells.findIndex(c => c.id === cellId) ?? -1;
    if (cellId && state && index >= 0) {
      jelai.cell = {
        id: cellId,
        index,
        type: state.notebook.cells[index].type
      };
    }
    const tutorMd = instructions.assignment;
    if (tutorMd?.text) {
      jelai.tutor_md = { path: tutorMd.path ?? 'TUTOR.md', text: tutorMd.text };
    }
    if (state?.metadata !== undefined && state.metadata !== null) {
      jelai.notebook = state.metadata;
    }
    return { messages: result.messages, jelai };
  };

  /**
   * A notebook's events, oldest first, each id once: the stored log (read
   * once, the newest `maxEvents`) followed by what was published since.
   */
  events(notebook: string): Promise<IEvent[]> {
    return this._logs.events(notebook);
  }

  /** Adds an event this page knows of but the telemetry did not publish. */
  remember(event: IEvent): void {
    this._logs.add(event);
  }

  /** The tutor's settings for a notebook: the server's (cached briefly), tightened by its metadata. */
  async settings(notebook: string): Promise<ITutorSettings> {
    const instructions = await this._readInstructions(notebook);
    return tutorSettings(instructions, this._notebooks(notebook)?.metadata);
  }

  /** Builds the messages for a question, the last turn of `input`, and keeps the result. */
  async build(input: IQuestion): Promise<IContextResult> {
    const turns = input.turns;
    const last = turns[turns.length - 1];
    const question = last?.role === 'user' ? last.content : '';
    const result = await this._build(input, turns.slice(0, -1), question);
    this._last.set(input.notebook, result);
    this._contextBuilt.emit({ notebook: input.notebook, result });
    return result;
  }

  /** What would be sent now with `question` after `conversation`; not kept. */
  preview(
    notebook: string,
    conversation: IChatTurn[],
    question: string
  ): Promise<IContextResult> {
    return this._build({ notebook, turns: [] }, conversation, question);
  }

  /** The result built for the last question about a notebook, if any. */
  last(notebook: string): IContextResult | null {
    return this._last.get(notebook) ?? null;
  }

  /** Stops following the live stream. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._telemetry.eventPublished.disconnect(this._onEvent, this);
    Signal.clearData(this);
  }

  private async _build(
    input: IQuestion,
    conversation: IChatTurn[],
    question: string
  ): Promise<IContextResult> {
    const [events, settings] = await Promise.all([
      this.events(input.notebook),
      this.settings(input.notebook)
    ]);
    // Read the notebook after waiting, so it is as the student left it.
    const state = this._notebooks(input.notebook);
    return buildContext({
      notebook: state?.notebook ?? {
        path: input.notebook,
        kernelName: null,
        cells: []
      },
      activeCellId: input.cellId ?? state?.activeCellId ?? null,
      events,
      conversation,
      question,
      now: this._now(),
      settings,
      timeZone: this._timeZone,
      questionApart: true
    });
  }

  private async _readInstructions(
    notebook: string
  ): Promise<Partial<ITutorInstructions>> {
    const cached = this._cache.get(notebook);
    if (cached && this._now().getTime() - cached.at < this._ttl) {
      return cached.instructions;
    }
    const instructions = this._instructions(notebook);
    this._cache.set(notebook, { at: this._now().getTime(), instructions });
    try {
      return await instructions;
    } catch (reason) {
      // Without them the default tutor applies; ask again next time.
      this._cache.delete(notebook);
      console.warn('jelai: tutor instructions not read.', reason);
      return {};
    }
  }

  private _onEvent(_: unknown, event: IEvent): void {
    this._logs.add(event);
  }

  private _telemetry: TutorContextProvider.ITelemetryLike;
  private _notebooks: TutorContextProvider.NotebookSource;
  private _instructions: (notebook: string) => Promise<ITutorInstructions>;
  private _now: () => Date;
  private _ttl: number;
  private _timeZone: string | undefined;
  private _logs: EventLogs;
  private _cache = new Map<string, Private.ICachedInstructions>();
  private _last = new Map<string, IContextResult>();
  private _contextBuilt = new Signal<this, TutorContextProvider.IBuilt>(this);
  private _isDisposed = false;
}

/**
 * Options and types of the context provider.
 */
export namespace TutorContextProvider {
  /** What the provider needs from the telemetry service. */
  export type ITelemetryLike = Pick<ITelemetry, 'eventPublished' | 'query'>;

  /** An open notebook as the context builder reads it. */
  export interface INotebookState {
    notebook: INotebookSnapshot;
    activeCellId: string | null;
    /** The notebook's `metadata.jelai`, unchecked. */
    metadata: unknown;
  }

  /** Finds the open notebook at a path, as it is now; null when it is not open. */
  export type NotebookSource = (path: string) => INotebookState | null;

  /** Options of the context provider. */
  export interface IOptions {
    telemetry: ITelemetryLike;
    notebooks: NotebookSource;
    /** Reads the tutor's instructions for a notebook (`GET /jelai/tutor/instructions`). */
    instructions: (notebook: string) => Promise<ITutorInstructions>;
    /** The clock; `new Date()` by default. */
    now?: () => Date;
    /** How long instructions are reused, in ms (default 30 s). */
    instructionsTtlMs?: number;
    /** Most stored events read, and most live events kept, per notebook (default 2000). */
    maxEvents?: number;
    /** IANA time zone of the clock times in the context; the browser's by default. */
    timeZone?: string;
  }

  /** Messages built for a question. */
  export interface IBuilt {
    notebook: string;
    result: IContextResult;
  }
}

namespace Private {
  /** Instructions read for a notebook, and when. */
  export interface ICachedInstructions {
    at: number;
    instructions: Promise<ITutorInstructions>;
  }
}
