import type { IEvent, ITutor } from '../tokens';
import type { TrimStep } from './budget';

/**
 * An error a cell raised: the kernel's name, value and traceback lines.
 */
export interface IErrorInfo {
  name: string;
  value: string;
  traceback?: string[];
}

/**
 * One cell of the notebook as it is now, in plain data.
 */
export interface ICellSnapshot {
  id: string;
  type: 'code' | 'markdown' | 'raw';
  source: string;
  executionCount: number | null;
  /** Text of its stream and result outputs, joined; an error goes in `error`. */
  outputs: string;
  /** The error its last run raised, if any. */
  error?: IErrorInfo | null;
}

/**
 * The notebook the student is asking about, as it is now.
 */
export interface INotebookSnapshot {
  /** Path relative to the server root. */
  path: string;
  kernelName: string | null;
  cells: ICellSnapshot[];
}

/**
 * One turn of a conversation: a question or a reply, as the student saw it;
 * also each message the page sends (the gateway puts the tutor's
 * instructions before them).
 */
export interface IChatTurn {
  role: 'user' | 'assistant';
  content: string;
}

/**
 * The tutor's settings for a notebook, as the page needs them: the
 * pedagogy itself (instructions, modes, personas, the snippet limit, the
 * instructor's hidden layer) lives in the model gateway.
 */
export interface ITutorSettings {
  /** Whether the student may see the messages sent to the model. */
  showContext: boolean;
  /** Token budget of the page's messages (conversation, context, question). */
  budgetTokens: number;
  /** Tokens the gateway's instructions take at most (the student's layers included). */
  instructionsTokens: number;
  /** The model's context window (tokens) the budget was fitted to; null when unknown. */
  contextWindow: number | null;
  /** Where the instructor's window and budget settings disagree, in words. */
  contextNotes: string[];
  /** The assignment whose instructor-only instructions apply ('' unnamed); null for none. */
  hiddenAssignment: string | null;
}

/**
 * Hint levels, from a nudge (1) to a concrete pointer (3).
 */
export type HintLevel = ITutor.HintLevel;

/**
 * Everything the context builder reads; plain data, no widgets.
 */
export interface IContextInput {
  notebook: INotebookSnapshot;
  /** The cell the student is on, or null. */
  activeCellId: string | null;
  /**
   * That notebook's events, stored and live, oldest first; may repeat ids.
   * Events of other notebooks and events after `now` are ignored.
   */
  events: readonly IEvent[];
  /** The turns before this question, oldest first. */
  conversation: readonly IChatTurn[];
  question: string;
  now: Date;
  settings: ITutorSettings;
  /** Overrides `settings.budgetTokens`. */
  budgetTokens?: number;
  /** IANA time zone of the clock times shown; the runtime's by default. */
  timeZone?: string;
  /**
   * Sends the question as its own last message, exactly as asked, after a
   * user message with the context block; by default both share one message.
   */
  questionApart?: boolean;
}

/**
 * Names of the parts of the prompt, as reported in `IContextResult.sections`.
 */
export type SectionName =
  | 'notebook'
  | 'active'
  | 'error'
  | 'timeline'
  | 'neighbours'
  | 'conversation'
  | 'question';

/**
 * What happened to one part of the prompt under the budget.
 */
export interface ISectionReport {
  name: SectionName;
  /** `empty`: nothing to say; `trimmed`: shortened; `dropped`: left out for the budget. */
  status: 'included' | 'trimmed' | 'dropped' | 'empty';
  tokens: number;
}

/**
 * The messages to send, and what the budget did to them.
 */
export interface IContextResult {
  messages: IChatTurn[];
  sections: ISectionReport[];
  /** Trimming steps applied, in order (see `TRIM_STEPS`). */
  trimSteps: TrimStep[];
  estimatedTokens: number;
  budgetTokens: number;
  /** True when even the fully trimmed prompt is over the budget: it must not be sent. */
  overBudget: boolean;
  /** The model's context window the budget fits in (tokens); null when unknown. */
  contextWindow: number | null;
  /** Where the window and budget settings disagree, in words, for the student to see. */
  notes: string[];
}
