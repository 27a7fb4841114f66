import { PathExt } from '@jupyterlab/coreutils';
import type { Message } from 'ollama/browser';
import type { HintLevel } from '../context';

/**
 * One turn of a tutor conversation, as the student saw it.
 */
export interface ITutorTurn {
  role: 'user' | 'assistant';
  content: string;
}

/**
 * What a prompt builder gets: the notebook and the conversation so far,
 * ending with the student's new question.
 */
export interface IPromptInput extends ITutorRequest {
  notebook: string;
  turns: ITutorTurn[];
}

/**
 * What a question is about beyond its words, set by the tutor's commands.
 */
export interface ITutorRequest {
  /** The cell the question is about; the notebook's active cell when absent. */
  cellId?: string;
  /** Set when the question asks for a hint, at this level (1 to 3). */
  hint?: { level: HintLevel };
}

/**
 * Builds the messages sent to the model for the next reply.
 *
 * The last message must be the student's question, verbatim, as a `user`
 * message: the server records the messages sent, and the history shown after
 * a reload reads the question back from there. Put extra context elsewhere
 * (the system message, or earlier messages).
 */
export type BuildMessages = (
  input: IPromptInput
) => Message[] | Promise<Message[]>;

/**
 * The tutor's instructions: guide with questions and hints, never hand out
 * complete solutions.
 */
export const TUTOR_SYSTEM_PROMPT = [
  'You are a patient programming tutor helping a student who works in a',
  'Jupyter notebook. Help the student learn, do not do the work for them.',
  '- Ask a guiding question or give one hint at a time; let the student',
  '  take the next step.',
  '- Never write a complete solution to an exercise. Short snippets (a few',
  '  lines) that illustrate an idea or the syntax of a function are fine.',
  '- When the student shares an error, explain what it means and where to',
  '  look, then let them fix it.',
  '- Keep answers short and clear; use Markdown and fenced code blocks.',
  '- If the student is stuck after several hints, give a more concrete',
  '  hint, still not the full answer.'
].join('\n');

/**
 * How many recent turns are sent; older ones are dropped to bound the prompt.
 */
export const MAX_TURNS = 20;

/**
 * Builds the messages: the tutor's instructions naming the notebook, then the
 * most recent turns of the conversation (the new question last).
 */
export function buildTutorMessages(input: IPromptInput): Message[] {
  const system =
    `${TUTOR_SYSTEM_PROMPT}\n\n` +
    `The student is working in the notebook "${PathExt.basename(input.notebook)}".`;
  const turns = input.turns
    .filter(turn => turn.content.trim() !== '')
    .slice(-MAX_TURNS);
  return [
    { role: 'system', content: system },
    ...turns.map(turn => ({ role: turn.role, content: turn.content }))
  ];
}
