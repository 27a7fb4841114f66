import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import type { ICodeCellModel } from '@jupyterlab/cells';
import type { INotebookTracker } from '@jupyterlab/notebook';
import { CommandRegistry } from '@lumino/commands';
import plugins, { ITutor } from '../../index';
import { FakePanel, FakeTracker } from '../../telemetry/__tests__/fake-panel';

/** A tutor that records what it was asked and gives hint levels in turn. */
class FakeTutor implements ITutor {
  opened: (string | undefined)[] = [];
  asked: { question: string; options: ITutor.IAskOptions }[] = [];
  levels: ITutor.HintLevel[] = [2];

  open(notebook?: string): void {
    this.opened.push(notebook);
  }

  async ask(question: string, options: ITutor.IAskOptions): Promise<boolean> {
    this.asked.push({ question, options });
    return true;
  }

  async nextHintLevel(): Promise<ITutor.HintLevel> {
    return this.levels.shift() ?? 1;
  }
}

/** The cell actions plugin activated with a fake tutor over one notebook. */
function setup() {
  const plugin = plugins.find(
    p => p.id === 'jelai:cell-actions'
  ) as JupyterFrontEndPlugin<void>;
  const commands = new CommandRegistry();
  const app = { commands } as unknown as JupyterFrontEnd;
  const tutor = new FakeTutor();
  const panel = new FakePanel();
  const tracker = new FakeTracker([panel]);
  void plugin.activate(
    app,
    tutor,
    tracker as unknown as INotebookTracker,
    null,
    null
  );
  return { plugin, commands, tutor, panel };
}

describe('the cell actions plugin', () => {
  it('requires the tutor token, and nothing of the tutor besides', () => {
    const { plugin } = setup();
    expect(plugin.requires).toContain(ITutor);
    expect(plugin.provides).toBeUndefined();
  });

  it('asks the tutor to explain a cell, in its notebook', async () => {
    const { commands, tutor } = setup();
    await commands.execute('jelai:explain-cell', { cellId: 'b' });
    expect(tutor.opened).toEqual(['week1/lab.ipynb']);
    expect(tutor.asked).toEqual([
      {
        question: 'Can you explain what cell 2 does?',
        options: {
          notebook: 'week1/lab.ipynb',
          cell: { id: 'b', index: 1, type: 'code' }
        }
      }
    ]);
  });

  it('asks for the hint at the level the tutor gives', async () => {
    const { commands, tutor } = setup();
    await commands.execute('jelai:hint', { cellId: 'a' });
    expect(tutor.asked).toEqual([
      {
        question: 'Give me a hint for cell 1 (hint 2 of 3).',
        options: {
          notebook: 'week1/lab.ipynb',
          cell: { id: 'a', index: 0, type: 'code' },
          hint: 2
        }
      }
    ]);
  });

  it('offers to ask about an error only on a cell that failed', async () => {
    const { commands, tutor, panel } = setup();
    const args = { cellId: 'a' };
    expect(commands.isVisible('jelai:ask-about-error', args)).toBe(false);
    (panel.cell(0).model as ICodeCellModel).outputs.add({
      output_type: 'error',
      ename: 'KeyError',
      evalue: "'price'",
      traceback: []
    });
    expect(commands.isVisible('jelai:ask-about-error', args)).toBe(true);
    await commands.execute('jelai:ask-about-error', args);
    expect(tutor.asked.map(a => a.question)).toEqual([
      "Why does cell 1 fail with KeyError: 'price'?"
    ]);
  });
});
