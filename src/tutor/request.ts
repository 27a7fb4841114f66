import type { Message } from 'ollama/browser';
import type { HintLevel, IChatTurn } from '../context';

/**
 * What a question is about beyond its words, set by the tutor's commands.
 */
export interface IAskOptions {
  /** The cell the question is about; the notebook's active cell when absent. */
  cellId?: string;
  /** Set when the question asks for a hint, at this level (1 to 3). */
  hint?: { level: HintLevel };
}

/**
 * A question to build a request for: the notebook and the conversation so
 * far, ending with the student's new question.
 */
export interface IQuestion extends IAskOptions {
  notebook: string;
  turns: IChatTurn[];
}

/**
 * The tutor's one request: an Ollama chat request whose messages are the
 * student's own material, with the page's `jelai` fields. The model gateway
 * puts the tutor's instructions first (`jelai/gateway/prompt.py`); the
 * `ollama` client passes the extra field through unchanged.
 */
export interface ITutorChatRequest {
  model: string;
  /**
   * The conversation so far, the context block, the student's question
   * last, verbatim, as a `user` message: the server records the messages
   * sent, and the history shown after a reload reads the question back.
   */
  messages: Message[];
  jelai: ITutorChatRequest.IFields;
}

/**
 * The `jelai` fields of a tutor request.
 */
export namespace ITutorChatRequest {
  /** What the page says about the question; every field may be left out. */
  export interface IFields {
    /** A hint request at this level; the gateway records it. */
    hint?: HintLevel;
    /** The cell the question is about. */
    cell?: { id: string; index: number | null; type: string | null };
    /** The `TUTOR.md` beside the notebook, which may only tighten the course's rules. */
    tutor_md?: { path: string; text: string };
    /** The notebook's `metadata.jelai`, which may only tighten them too. */
    notebook?: unknown;
  }
}

/**
 * Builds the request for a question, all but the model.
 */
export type BuildRequest = (
  question: IQuestion
) =>
  Omit<ITutorChatRequest, 'model'> | Promise<Omit<ITutorChatRequest, 'model'>>;
