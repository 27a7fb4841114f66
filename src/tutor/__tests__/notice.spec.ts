import { IJelaiConfig } from '../../tokens';
import { TutorNotice, tutorNotice } from '../notice';

function config(tutor: Record<string, unknown>): IJelaiConfig {
  return {
    user: 'ana',
    data_dir: null,
    telemetry: {
      enabled: true,
      event_types: null,
      log_source: true,
      log_outputs: true,
      log_clipboard: true,
      max_text_length: 2000,
      max_outputs: 5
    },
    tutor
  };
}

const DEMO =
  'A tiny demonstration model is answering. Set OLLAMA_HOST for a real one.';

describe('the tutor panel notice', () => {
  it('shows the note the server configuration gives', () => {
    const notice = new TutorNotice();
    notice.text = tutorNotice(config({ notice: DEMO }));
    expect(notice.isHidden).toBe(false);
    expect(notice.node.textContent).toBe(DEMO);
    expect(notice.node.getAttribute('role')).toBe('note');
  });

  it('shows nothing when the server gives no note', () => {
    for (const tutor of [{}, { notice: '' }, { notice: 42 }]) {
      const notice = new TutorNotice();
      notice.text = tutorNotice(config(tutor));
      expect(notice.isHidden).toBe(true);
      expect(notice.node.textContent).toBe('');
    }
    expect(tutorNotice(null)).toBe('');
  });

  it('shows markup as the text it is', () => {
    const notice = new TutorNotice();
    notice.text = tutorNotice(config({ notice: '<b>Read me</b>' }));
    expect(notice.node.querySelector('b')).toBeNull();
    expect(notice.node.textContent).toBe('<b>Read me</b>');
  });
});
