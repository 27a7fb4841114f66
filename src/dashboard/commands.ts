import { JupyterFrontEnd } from '@jupyterlab/application';
import { WidgetTracker } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import type { CellLabeller } from './format';
import { dashboardIcon } from './icon';
import { DashboardModel } from './model';
import { DashboardWidget } from './widget';

/**
 * The ids of the dashboard's commands.
 */
export namespace DashboardCommandIDs {
  /** Opens the learning dashboard, or brings it forward. */
  export const open = 'jelai:open-dashboard';
}

/**
 * Adds the command that opens the dashboard (one at a time); returns the
 * tracker of open dashboards, for the layout restorer.
 */
export function addDashboardCommands(
  app: JupyterFrontEnd,
  options: IDashboardCommandsOptions
): WidgetTracker<DashboardWidget> {
  const { trans } = options;
  const tracker = new WidgetTracker<DashboardWidget>({
    namespace: 'jelai-dashboard'
  });
  app.commands.addCommand(DashboardCommandIDs.open, {
    label: trans.__('Learning Dashboard'),
    caption: trans.__(
      'See your activity, errors and questions; instructors see their class'
    ),
    icon: dashboardIcon,
    describedBy: { args: { type: 'object', properties: {} } },
    execute: async () => {
      let widget = tracker.currentWidget;
      if (!widget || widget.isDisposed) {
        widget = new DashboardWidget({
          model: new DashboardModel({
            serverSettings: app.serviceManager.serverSettings
          }),
          rendermime: options.rendermime,
          serverSettings: app.serviceManager.serverSettings,
          translator: options.translator,
          labeller: options.notebooks
            ? notebookCellLabeller(options.notebooks, trans)
            : null
        });
        await tracker.add(widget);
        app.shell.add(widget, 'main');
      }
      app.shell.activateById(widget.id);
      return widget;
    }
  });
  return tracker;
}

/**
 * Names a cell by its position ("cell 3") when its notebook is open.
 */
export function notebookCellLabeller(
  notebooks: INotebookTracker,
  trans: TranslationBundle
): CellLabeller {
  return (notebook, cellId) => {
    if (!notebook || !cellId) {
      return null;
    }
    const panel = notebooks.find(
      candidate => candidate.context.path === notebook
    );
    const cells = panel?.content.model?.cells;
    if (!cells) {
      return null;
    }
    for (let index = 0; index < cells.length; index++) {
      if (cells.get(index).id === cellId) {
        return trans.__('cell %1', index + 1);
      }
    }
    return null;
  };
}

/**
 * What the dashboard's command needs.
 */
export interface IDashboardCommandsOptions {
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
  translator?: ITranslator | null;
  /** Open notebooks, to name cells by position. */
  notebooks?: INotebookTracker | null;
}
