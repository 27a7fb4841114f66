import { Widget } from '@lumino/widgets';
import { IJelaiConfig } from '../tokens';

/**
 * The note every student sees above the chat, from the server's
 * `c.JelaiTutor.notice`; empty when there is none.
 */
export function tutorNotice(config: IJelaiConfig | null): string {
  const notice = config?.tutor?.notice;
  return typeof notice === 'string' ? notice.trim() : '';
}

/**
 * A line in the tutor panel with the server's notice, hidden while empty.
 */
export class TutorNotice extends Widget {
  constructor() {
    super();
    this.addClass('jp-jelai-Tutor-notice');
    this.node.setAttribute('role', 'note');
    this.hide();
  }

  /** The notice's text; plain text, never markup. */
  get text(): string {
    return this.node.textContent ?? '';
  }
  set text(value: string) {
    this.node.textContent = value;
    this.setHidden(!value);
  }
}
