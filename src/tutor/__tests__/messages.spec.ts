import { nullTranslator } from '@jupyterlab/translation';
import {
  replyBody,
  turnsOf,
  questionMessage,
  noticeMessage,
  tutorUser
} from '../messages';

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

describe('turnsOf', () => {
  it('gives the questions and replies for the next request, without notices', () => {
    const user = { username: 'student' };
    const tutor = tutorUser(trans);
    const turns = turnsOf([
      noticeMessage('Open a notebook first.', tutor),
      questionMessage('q0', user),
      questionMessage('q1', user)
    ]);
    expect(turns).toEqual([
      { role: 'user', content: 'q0' },
      { role: 'user', content: 'q1' }
    ]);
  });
});
