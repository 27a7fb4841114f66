import { nullTranslator } from '@jupyterlab/translation';
import {
  replyBody,
  turnsOf,
  questionMessage,
  noticeMessage,
  tutorUser
} from '../messages';
import { MAX_TURNS, plainRequest } from '../request';

const trans = nullTranslator.load('jelai');

describe('replyBody', () => {
  it('shows a finished reply as it came', () => {
    expect(replyBody({ text: 'Try `len()`.', status: 'finished' }, trans)).toBe(
      'Try `len()`.'
    );
  });

  it('closes a code block cut short before marking the reply stopped', () => {
    const body = replyBody(
      { text: 'Like this:\n```python\nfor i in', status: 'stopped' },
      trans
    );
    expect(body).toBe(
      'Like this:\n```python\nfor i in\n```\n\n' +
        '<div class="jp-jelai-Tutor-mark jp-mod-stopped">Stopped.</div>'
    );
  });

  it('escapes the error it shows', () => {
    const body = replyBody(
      { text: '', status: 'failed', error: 'bad <script>' },
      trans
    );
    expect(body).toContain('bad &lt;script&gt;');
    expect(body).not.toContain('<script>');
  });
});

describe('plainRequest', () => {
  it('skips notices and empty replies and keeps the latest turns', () => {
    const user = { username: 'student' };
    const tutor = tutorUser(trans);
    const messages = [
      noticeMessage('Open a notebook first.', tutor),
      ...Array.from({ length: MAX_TURNS + 5 }, (_, i) =>
        questionMessage(`q${i}`, user)
      )
    ];
    const turns = turnsOf(messages);
    expect(turns).toHaveLength(MAX_TURNS + 5);
    const { messages: built, jelai } = plainRequest({
      notebook: 'a/b.ipynb',
      turns,
      hint: { level: 1 }
    });
    expect(built).toHaveLength(MAX_TURNS);
    // No system prompt and no persona: the gateway sets the tutor's instructions.
    expect(built.map(m => m.role)).not.toContain('system');
    expect(jelai).toEqual({ hint: 1 });
    expect(built[built.length - 1]).toEqual({
      role: 'user',
      content: `q${MAX_TURNS + 4}`
    });
  });
});
