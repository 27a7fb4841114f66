import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { IJelaiConfig } from '../tokens';
import { TutorChatModel } from './model';

/**
 * The student's tutor preferences (`schema/tutor.json`, where the defaults
 * live).
 */
export interface ITutorPreferences {
  /** The picked model; empty for the instructor's default. */
  model: string;
  openOnStart: boolean;
  sendWithShiftEnter: boolean;
}

/**
 * Reads the preferences from the settings, or the schema's defaults when
 * there is no settings registry.
 */
export function readPreferences(
  settings: ISettingRegistry.ISettings | null
): ITutorPreferences {
  const composite = settings?.composite ?? {};
  return {
    model: typeof composite.model === 'string' ? composite.model : '',
    openOnStart: composite.openOnStart === true,
    sendWithShiftEnter: composite.sendWithShiftEnter === true
  };
}

/**
 * The default model the server configuration names, if any.
 */
export function defaultModel(config: IJelaiConfig | null): string | null {
  const name = config?.tutor?.default_model;
  return typeof name === 'string' && name ? name : null;
}

/**
 * Keeps the chat model in line with the student's preferences (the picked
 * model, else the server's default; how to send).
 */
export function followPreferences(
  model: TutorChatModel,
  settings: ISettingRegistry.ISettings | null,
  config: IJelaiConfig | null
): IDisposable {
  const apply = () => {
    const preferences = readPreferences(settings);
    model.modelName = preferences.model || defaultModel(config);
    model.config = { sendWithShiftEnter: preferences.sendWithShiftEnter };
  };
  apply();
  settings?.changed.connect(apply);
  return new DisposableDelegate(() => settings?.changed.disconnect(apply));
}

/**
 * Keeps the chat model on the current notebook, and each notebook's
 * conversation with it when it is renamed or moved.
 */
export function followCurrentNotebook(
  tracker: INotebookTracker,
  model: TutorChatModel
): IDisposable {
  const onCurrent = () => {
    model.notebook = tracker.currentWidget?.context.path ?? null;
  };
  const unfollow = new Map<NotebookPanel, () => void>();
  const follow = (_: unknown, panel: NotebookPanel) => {
    let path = panel.context.path;
    const onPath = () => {
      model.renameNotebook(path, panel.context.path);
      path = panel.context.path;
      if (panel === tracker.currentWidget) {
        onCurrent();
      }
    };
    panel.context.pathChanged.connect(onPath);
    unfollow.set(panel, () => panel.context.pathChanged.disconnect(onPath));
    panel.disposed.connect(() => {
      unfollow.get(panel)?.();
      unfollow.delete(panel);
    });
  };
  tracker.forEach(panel => follow(tracker, panel));
  tracker.widgetAdded.connect(follow);
  tracker.currentChanged.connect(onCurrent);
  onCurrent();
  return new DisposableDelegate(() => {
    tracker.widgetAdded.disconnect(follow);
    tracker.currentChanged.disconnect(onCurrent);
    unfollow.forEach(disconnect => disconnect());
    unfollow.clear();
  });
}
