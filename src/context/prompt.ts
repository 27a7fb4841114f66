import {
  estimateTokens,
  ITrimmable,
  MESSAGE_OVERHEAD_TOKENS,
  textWeight,
  TrimStep,
  weightToTokens
} from './budget';
import {
  IPartLevels,
  IPromptParts,
  LEVEL_ORDER,
  LIMITS,
  renderPart
} from './parts';
import { clipChars } from './text';
import type { IChatTurn, ISectionReport, SectionName } from './types';

/**
 * The prompt being assembled: renders each part at its current size and
 * trims one notch at a time for `fitToBudget`.
 */
export class Prompt implements ITrimmable {
  constructor(parts: IPromptParts, options: Prompt.IOptions = {}) {
    this._apart = options.questionApart ?? false;
    this._parts = {
      ...parts,
      timeline: parts.timeline.slice(-LIMITS.timeline),
      neighbours: parts.neighbours.slice().sort((a, b) => a.rank - b.rank),
      conversation: parts.conversation.slice(-LIMITS.turns).map(turn => ({
        role: turn.role,
        content: clipChars(turn.content, LIMITS.turnChars)
      }))
    };
    for (const name of Private.NAMES) {
      this._initial.set(name, this._render(name).length > 0);
    }
  }

  /** The messages as they stand: the conversation, then context and question. */
  messages(): IChatTurn[] {
    const messages: IChatTurn[] = [
      ...this._parts.conversation,
      { role: 'user', content: this._user() }
    ];
    if (this._apart) {
      messages.push({ role: 'user', content: this._render('question') });
    }
    return messages;
  }

  /**
   * Estimated tokens of `messages()`, computed from the weight of each part,
   * counted once until it is trimmed (trimming asks again and again).
   */
  tokens(): number {
    const round = weightToTokens;
    const fixed = Private.FIXED_WEIGHT;
    let user = fixed.open + fixed.end;
    let blocks = 2;
    for (const name of Private.CONTEXT) {
      if (this._render(name)) {
        user += this._weight(name);
        blocks += 1;
      }
    }
    if (!this._apart) {
      user += this._weight('question');
      blocks += 1;
    }
    user += (blocks - 1) * fixed.separator;
    let total = round(user);
    for (const turn of this._parts.conversation) {
      let weight = this._turnWeights.get(turn);
      if (weight === undefined) {
        weight = textWeight(turn.content);
        this._turnWeights.set(turn, weight);
      }
      total += round(weight);
    }
    let count = 1 + this._parts.conversation.length;
    if (this._apart) {
      total += round(this._weight('question'));
      count += 1;
    }
    return total + count * MESSAGE_OVERHEAD_TOKENS;
  }

  /** Trims one notch of a step; false when that step has nothing left to trim. */
  trim(step: TrimStep): boolean {
    const p = this._parts;
    const [target, level] = step.split(':');
    switch (target) {
      case 'neighbours':
        return (
          p.neighbours.length > 0 &&
          (p.neighbours.pop(), this._done('neighbours'))
        );
      case 'timeline':
        return (
          p.timeline.length > Number(level) &&
          (p.timeline.shift(), this._done('timeline'))
        );
      case 'conversation':
        return (
          p.conversation.length > Number(level) &&
          (p.conversation.shift(), this._done('conversation'))
        );
      case 'error':
        return this._lower('error', 'error', level);
      case 'active-output':
        return this._lower('active', 'output', level);
      case 'active-source':
        return this._lower('active', 'source', level);
      case 'question': {
        const min = LIMITS.questionMinChars;
        // A question sent apart is the record of what was asked: never cut.
        if (this._apart || p.question.length <= min * 1.5) {
          return false;
        }
        p.question = clipChars(
          p.question,
          Math.max(min, Math.floor(p.question.length / 2))
        );
        return this._done('question');
      }
    }
    return false;
  }

  /** What each part came to: included, trimmed, dropped or empty, and its tokens. */
  report(): ISectionReport[] {
    return Private.NAMES.map(name => {
      const text = this._render(name);
      const status = !this._initial.get(name)
        ? 'empty'
        : !text
          ? 'dropped'
          : this._trimmed.has(name)
            ? 'trimmed'
            : 'included';
      return { name, status, tokens: text ? estimateTokens(text) : 0 };
    });
  }

  /** Moves a part down to `level`; true only when that made its text shorter. */
  private _lower<K extends keyof IPartLevels>(
    name: SectionName,
    part: K,
    level: string
  ): boolean {
    const order: string[] = LEVEL_ORDER[part];
    if (order.indexOf(level) <= order.indexOf(this._levels[part])) {
      return false;
    }
    const before = this._render(name).length;
    this._levels[part] = level as IPartLevels[K];
    this._cache.delete(name);
    this._weights.delete(name);
    return this._render(name).length < before && this._done(name);
  }

  private _done(name: SectionName): true {
    this._cache.delete(name);
    this._weights.delete(name);
    this._trimmed.add(name);
    return true;
  }

  private _user(): string {
    const blocks = Private.CONTEXT.map(name => this._render(name)).filter(
      Boolean
    );
    return [
      Private.CONTEXT_OPEN,
      ...blocks,
      Private.CONTEXT_END,
      ...(this._apart ? [] : [this._render('question')])
    ].join(Private.SEPARATOR);
  }

  private _weight(name: SectionName): number {
    let weight = this._weights.get(name);
    if (weight === undefined) {
      weight = textWeight(this._render(name));
      this._weights.set(name, weight);
    }
    return weight;
  }

  private _render(name: SectionName): string {
    let text = this._cache.get(name);
    if (text === undefined) {
      text = renderPart(name, this._parts, this._levels);
      this._cache.set(name, text);
    }
    return text;
  }

  private _apart: boolean;
  private _parts: IPromptParts;
  private _levels: IPartLevels = {
    error: 'full',
    output: 'full',
    source: 'full'
  };
  private _cache = new Map<SectionName, string>();
  private _weights = new Map<SectionName, number>();
  private _turnWeights = new WeakMap<IChatTurn, number>();
  private _initial = new Map<SectionName, boolean>();
  private _trimmed = new Set<SectionName>();
}

/**
 * Options of the prompt.
 */
export namespace Prompt {
  /** How the messages are laid out. */
  export interface IOptions {
    /** The question as its own last message, never trimmed. */
    questionApart?: boolean;
  }
}

namespace Private {
  /** Every part, in the order of the report. */
  export const NAMES: SectionName[] = [
    'notebook',
    'active',
    'error',
    'timeline',
    'neighbours',
    'conversation',
    'question'
  ];

  /** The lines around the context block, and between its parts. */
  export const CONTEXT_OPEN = '[Context gathered by jelai from the notebook]';
  export const CONTEXT_END = '[End of context]';
  export const SEPARATOR = '\n\n';

  /** The weight of the fixed lines of the context block and its separators. */
  export const FIXED_WEIGHT = {
    open: textWeight(CONTEXT_OPEN),
    end: textWeight(CONTEXT_END),
    separator: textWeight(SEPARATOR)
  };

  /** The parts of the context block, in the order the model reads them. */
  export const CONTEXT: SectionName[] = [
    'notebook',
    'active',
    'error',
    'timeline',
    'neighbours'
  ];
}
