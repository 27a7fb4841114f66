import { RenderMimeRegistry } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';
import { JelaiRequestError } from '../../api';
import { DashboardModel } from '../model';
import { DashboardView } from '../view';
import type { IAnalytics } from '../types';
import { analytics, student, stuckOn } from './fixtures';

describe('DashboardView', () => {
  let answers: Record<string, IAnalytics | Error>;
  let model: DashboardModel;
  let view: DashboardView;

  beforeEach(() => {
    answers = {};
    model = new DashboardModel({
      request: async <T>(endpoint: string) => {
        const answer = answers[endpoint.split('?')[0]];
        if (answer instanceof Error) {
          throw answer;
        }
        return answer as T;
      }
    });
    // No Vega renderer here: the plots say so instead of drawing.
    view = new DashboardView({ model, rendermime: new RenderMimeRegistry() });
    Widget.attach(view, document.body);
  });

  afterEach(() => {
    view.dispose();
    model.dispose();
  });

  const text = (selector: string) =>
    [...view.node.querySelectorAll(selector)].map(node => node.textContent);

  it("shows a student their notebooks and a gentle note when they're stuck", async () => {
    answers.analytics = analytics([
      student('ana', { executions: 3, failures: 3, stuck: stuckOn('c1') })
    ]);
    await model.refresh();
    expect(view.node.dataset.view).toBe('student');
    expect(text('.jp-jelai-Dashboard-heading')).toEqual(['Your activity']);
    const row = view.node.querySelector('tr[data-notebook="lab1.ipynb"]')!;
    expect(row.classList).toContain('jp-mod-stuck');
    expect(row.textContent).toContain('KeyError ×1');
    expect(text('.jp-jelai-Dashboard-stuckNote')[0]).toContain(
      'lab1.ipynb, cell c1: 3 failed runs'
    );
    expect(
      view.node.querySelector('.jp-jelai-Dashboard-classTable')
    ).toBeNull();
  });

  it('shows an instructor the class, sorted by a click on a header', async () => {
    answers.analytics = analytics([], { instructor: true });
    answers['analytics/class'] = analytics(
      [
        student('ana', { executions: 9 }),
        student('bob', { stuck: stuckOn('c2') })
      ],
      { instructor: true }
    );
    await model.refresh();
    const users = () =>
      [...view.node.querySelectorAll<HTMLElement>('tr[data-user]')].map(
        row => row.dataset.user
      );
    expect(users()).toEqual(['bob', 'ana']);
    expect(view.node.querySelector('tr[data-user="bob"]')!.classList).toContain(
      'jp-mod-stuck'
    );
    view.node
      .querySelector<HTMLButtonElement>('[data-sort-key="executions"]')!
      .click();
    expect(users()).toEqual(['ana', 'bob']);
    const header = view.node.querySelector('[data-sort-key="executions"]')!;
    expect(header.parentElement!.getAttribute('aria-sort')).toBe('descending');
  });

  it('says when the server answers an error', async () => {
    answers.analytics = new JelaiRequestError('database is locked', 500);
    await model.refresh();
    const error = view.node.querySelector<HTMLElement>(
      '.jp-jelai-Dashboard-error'
    )!;
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toContain('(500): database is locked');
    expect(error.classList).not.toContain('lm-mod-hidden');
  });

  it('says why it cannot plot without a Vega renderer', async () => {
    answers.analytics = analytics([student('ana')]);
    await model.refresh();
    const notes = text('.jp-jelai-Dashboard-chartNote');
    expect(notes).toContain('This JupyterLab cannot draw Vega-Lite plots.');
    expect(notes).toContain('No questions to the tutor yet.');
  });
});
