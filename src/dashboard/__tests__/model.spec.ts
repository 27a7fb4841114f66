import { JelaiRequestError } from '../../api';
import { chooseView, DashboardModel } from '../model';
import type { IAnalytics } from '../types';
import { analytics, student, stuckOn } from './fixtures';

/** Answers `/jelai/*` requests from a table the test changes; records them. */
class FakeServer {
  calls: string[] = [];
  answers: Record<string, IAnalytics | Error> = {};

  request: DashboardModel.Request = async <T>(endpoint: string) => {
    this.calls.push(endpoint);
    const answer = this.answers[endpoint.split('?')[0]];
    if (answer === undefined) {
      throw new JelaiRequestError('Not Found', 404);
    }
    if (answer instanceof Error) {
      throw answer;
    }
    return answer as T;
  };
}

const wait = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('chooseView', () => {
  const own = analytics([student('ana')]);

  it('shows students their own activity', () => {
    expect(chooseView(own, null)).toBe('student');
    expect(chooseView(own, analytics([]))).toBe('student');
    expect(chooseView(null, null)).toBe('student');
  });

  it('shows instructors the class when the server could read it', () => {
    const mine = { ...own, instructor: true };
    expect(chooseView(mine, analytics([], { instructor: true }))).toBe('class');
    expect(chooseView(mine, null)).toBe('student');
  });

  it('shows instructors their own activity when they ask for it', () => {
    const mine = { ...own, instructor: true };
    const cls = analytics([], { instructor: true });
    expect(chooseView(mine, cls, 'student')).toBe('student');
  });
});

describe('DashboardModel', () => {
  let server: FakeServer;
  let model: DashboardModel;

  beforeEach(() => {
    server = new FakeServer();
    model = new DashboardModel({ request: server.request, interval: 60_000 });
  });

  afterEach(() => model.dispose());

  it("loads a student's own summary and nothing else", async () => {
    server.answers.analytics = analytics([student('ana')]);
    let changes = 0;
    model.changed.connect(() => changes++);
    await model.refresh();
    expect(server.calls).toEqual(['analytics?bucket=3600']);
    expect(model.state).toBe('ready');
    expect(model.view).toBe('student');
    expect(model.isInstructor).toBe(false);
    expect(model.own?.students[0].user).toBe('ana');
    expect(model.rows).toEqual([]);
    expect(model.notebooks).toEqual(['lab1.ipynb']);
    expect(model.updated).toBeInstanceOf(Date);
    expect(changes).toBe(2); // loading, then ready
  });

  it('loads the class for an instructor, stuck students first', async () => {
    server.answers.analytics = analytics([], { instructor: true });
    server.answers['analytics/class'] = analytics(
      [
        student('ana', {}, 'lab1.ipynb'),
        student('bob', { stuck: stuckOn('c2') }, 'lab2.ipynb')
      ],
      { instructor: true }
    );
    await model.refresh();
    expect(server.calls).toEqual([
      'analytics?bucket=3600',
      'analytics/class?bucket=3600'
    ]);
    expect(model.view).toBe('class');
    expect(model.rows.map(row => row.user)).toEqual(['bob', 'ana']);
    expect(model.notebooks).toEqual(['lab1.ipynb', 'lab2.ipynb']);
    model.sortBy('user');
    expect(model.rows.map(row => row.user)).toEqual(['ana', 'bob']);
    model.preferredView = 'student';
    expect(model.view).toBe('student');
    expect(model.hasClass).toBe(true);
    expect(model.rows).toEqual([]);
  });

  it('tells an instructor why the class cannot be shown, and shows their own', async () => {
    server.answers.analytics = analytics([student('tom')], {
      instructor: true
    });
    server.answers['analytics/class'] = new JelaiRequestError(
      "Only instructors may see the class's data.",
      403
    );
    await model.refresh();
    expect(model.state).toBe('ready');
    expect(model.view).toBe('student');
    expect(model.classError?.message).toContain('Only instructors');
  });

  it('reports a server error and keeps the data it had', async () => {
    server.answers.analytics = analytics([student('ana')]);
    await model.refresh();
    const before = model.own;
    server.answers.analytics = new JelaiRequestError('store is locked', 500);
    await model.refresh();
    expect(model.state).toBe('error');
    expect(model.error).toEqual({ status: 500, message: 'store is locked' });
    expect(model.own).toBe(before);
    server.answers.analytics = analytics([student('ana')]);
    await model.refresh();
    expect(model.state).toBe('ready');
    expect(model.error).toBeNull();
  });

  it('reports an unreachable server without a status', async () => {
    server.answers.analytics = new TypeError('Failed to fetch');
    await model.refresh();
    expect(model.error).toEqual({ status: null, message: 'Failed to fetch' });
  });

  it('asks again for one notebook or another time step', async () => {
    server.answers.analytics = analytics([student('ana')]);
    model.notebook = 'labs/lab 1.ipynb';
    model.bucketSeconds = 600;
    await wait(0);
    expect(server.calls).toEqual([
      'analytics?bucket=3600&notebook=labs%2Flab+1.ipynb',
      'analytics?bucket=600&notebook=labs%2Flab+1.ipynb'
    ]);
    model.notebook = 'labs/lab 1.ipynb';
    await wait(0);
    expect(server.calls).toHaveLength(2);
  });

  it('keeps the answer to the last request when an older one comes late', async () => {
    let release: () => void = () => undefined;
    const slow = new Promise<void>(resolve => (release = resolve));
    const first = analytics([student('old')]);
    const second = analytics([student('new')]);
    let call = 0;
    const request: DashboardModel.Request = async <T>() => {
      if (call++ === 0) {
        await slow;
        return first as T;
      }
      return second as T;
    };
    const racing = new DashboardModel({ request });
    const late = racing.refresh();
    await racing.refresh();
    release();
    await late;
    expect(racing.own?.students[0].user).toBe('new');
    racing.dispose();
  });

  it('refreshes on a timer while shown and stops while hidden', async () => {
    server.answers.analytics = analytics([student('ana')]);
    const polled = new DashboardModel({
      request: server.request,
      interval: 40
    });
    await wait(100);
    expect(server.calls).toHaveLength(0); // never shown yet
    polled.setVisible(true);
    await wait(150);
    const shown = server.calls.length;
    expect(shown).toBeGreaterThanOrEqual(2);
    polled.setVisible(false);
    await wait(150);
    expect(server.calls.length).toBeLessThanOrEqual(shown + 1);
    const hidden = server.calls.length;
    polled.dispose();
    polled.setVisible(true);
    await wait(100);
    expect(server.calls).toHaveLength(hidden);
  });
});
