import { DEFAULT_BUDGET_TOKENS, estimateTokens } from './budget';
import type { ITutorSettings } from './types';

/**
 * Tokens kept for what the gateway writes around the student's own layers
 * (their headings, and the sentences saying they cannot lift the rules).
 */
export const STUDENT_LAYERS_OVERHEAD_TOKENS = 80;

/**
 * What the page reads of the course's settings, served by
 * `GET /jelai/tutor/instructions` under `course`: the budget and the
 * visibility of the context, never the instructions' text (the gateway
 * applies them).
 */
export interface ICourseConfig {
  show_context?: boolean;
  /** The budget of the whole prompt: the configured one, capped to fit the window. */
  context_budget_tokens?: number;
  /** The model's context window requested by the server (Ollama's num_ctx). */
  context_window?: number;
  /** Where the server's window and budget settings disagree, in words. */
  context_notes?: string[];
  /** Tokens the gateway's instructions take at most, before the student's own layers. */
  instructions_tokens?: number;
}

/**
 * The `TUTOR.md` beside the notebook, which the student can read; served
 * under `assignment` and sent back with each question.
 */
export interface IAssignmentInstructions {
  path: string | null;
  text: string | null;
}

/**
 * The answer of `GET /jelai/tutor/instructions?notebook=<path>`.
 */
export interface ITutorInstructions {
  course: ICourseConfig;
  assignment: IAssignmentInstructions;
  /** Whether instructions only the instructor sees apply to the notebook. */
  hidden_instructions?: boolean;
  /** The course folder's assignment they belong to. */
  hidden_assignment?: string | null;
}

/**
 * The tutor's settings for a notebook, as the page needs them: whether the
 * student may see the context, and the token budget left for the student's
 * own material once the gateway's instructions and the student's layers
 * (`TUTOR.md`, the notebook's `metadata.jelai`) are counted.
 */
export function tutorSettings(
  instructions: Partial<ITutorInstructions>,
  metadata?: unknown
): ITutorSettings {
  const course = instructions.course ?? {};
  const notebook = Private.record(metadata);
  const instructionsTokens = Private.positive(course.instructions_tokens) ?? 0;
  const studentTokens = Private.studentTokens(
    instructions.assignment?.text ?? null,
    notebook
  );
  const total =
    Private.positive(course.context_budget_tokens) ?? DEFAULT_BUDGET_TOKENS;
  return {
    showContext: course.show_context !== false,
    budgetTokens: Math.max(0, total - instructionsTokens - studentTokens),
    instructionsTokens: instructionsTokens + studentTokens,
    contextWindow: Private.positive(course.context_window) ?? null,
    contextNotes: Private.strings(course.context_notes),
    hiddenAssignment: instructions.hidden_instructions
      ? (instructions.hidden_assignment ?? '')
      : null
  };
}

namespace Private {
  /** A positive integer, or undefined. */
  export function positive(value: unknown): number | undefined {
    return typeof value === 'number' && Number.isInteger(value) && value > 0
      ? value
      : undefined;
  }

  /** The strings of a list, trimmed, empty ones left out. */
  export function strings(value: unknown): string[] {
    return Array.isArray(value)
      ? value
          .filter((v): v is string => typeof v === 'string')
          .map(v => v.trim())
          .filter(Boolean)
      : [];
  }

  /** An object's fields, or none. */
  export function record(value: unknown): Record<string, unknown> {
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  }

  /** Tokens the gateway will add for the student's `TUTOR.md` and notebook layer, at most. */
  export function studentTokens(
    tutorMd: string | null,
    notebook: Record<string, unknown>
  ): number {
    const texts = [
      tutorMd ?? '',
      typeof notebook.instructions === 'string' ? notebook.instructions : '',
      ...strings(notebook.learning_objectives)
    ].filter(text => text.trim());
    if (!texts.length) {
      return 0;
    }
    return texts.reduce(
      (sum, text) => sum + estimateTokens(text),
      STUDENT_LAYERS_OVERHEAD_TOKENS
    );
  }
}
