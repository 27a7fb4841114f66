import { ActiveCellManager } from '@jupyter/chat';
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, IThemeManager } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { addDashboardCommands, DashboardCommandIDs } from './dashboard';
import {
  NotebookTelemetry,
  SHOW_DATA_NOTICE,
  showDataNotice,
  showNoticeOnFirstUse,
  Telemetry
} from './telemetry';
import { ITelemetry, ITutor } from './tokens';
import {
  addCellCommands,
  addTutorCommands,
  CellCommandIDs,
  CommandIDs as TutorCommandIDs,
  ErrorButtons,
  fetchInstructions,
  followCurrentNotebook,
  followPreferences,
  readPreferences,
  trackerKernel,
  trackerNotebooks,
  TutorChatModel,
  TutorClient,
  TutorContextProvider,
  TutorContextView,
  TutorNotice,
  tutorNotice,
  TutorPanel,
  Tutor,
  TutorStatus
} from './tutor';

export * from './tokens';

/**
 * Records notebook activity and ships it to the server in batches.
 */
const telemetryPlugin: JupyterFrontEndPlugin<ITelemetry> = {
  id: 'jelai:telemetry',
  description: 'Logs notebook and cell activity for learning analytics.',
  autoStart: true,
  requires: [INotebookTracker],
  provides: ITelemetry,
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker): ITelemetry => {
    const telemetry = new Telemetry({
      serverSettings: app.serviceManager.serverSettings
    });
    void telemetry.config.then(
      config => {
        if (config.telemetry.enabled) {
          new NotebookTelemetry({
            telemetry,
            tracker,
            commands: app.commands,
            shell: app.shell
          });
        }
      },
      () => undefined // the service already said why on the console
    );
    return telemetry;
  }
};

/**
 * Tells students what is recorded and where: once on first use, and at any
 * time from the Help menu.
 */
const dataNoticePlugin: JupyterFrontEndPlugin<void> = {
  id: 'jelai:data-notice',
  description: 'Shows students what jelai records and where it is stored.',
  autoStart: true,
  requires: [ITelemetry],
  optional: [ISettingRegistry, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    telemetry: ITelemetry,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('jelai');
    app.commands.addCommand(SHOW_DATA_NOTICE, {
      label: trans.__('What jelai Records'),
      caption: trans.__(
        'Show what jelai records about your notebook work and where it is stored'
      ),
      describedBy: { args: { type: 'object', properties: {} } },
      execute: async () => {
        await showDataNotice(await telemetry.config, trans);
      }
    });
    if (settingRegistry) {
      void Promise.all([
        settingRegistry.load('jelai:data-notice'),
        telemetry.config,
        app.restored
      ])
        .then(([settings, config]) =>
          showNoticeOnFirstUse(config, settings, trans)
        )
        .catch(reason => console.warn('jelai: no data notice.', reason));
    }
  }
};

/**
 * The tutor: a chat side panel about the current notebook, its replies
 * streamed from the model server through the server proxy, each question
 * sent with what the student just did in the notebook.
 */
const tutorPlugin: JupyterFrontEndPlugin<ITutor> = {
  id: 'jelai:tutor',
  description:
    'A tutor chat next to the notebook, answered by an Ollama model.',
  autoStart: true,
  requires: [ITelemetry, INotebookTracker, IRenderMimeRegistry],
  provides: ITutor,
  optional: [
    ITranslator,
    ISettingRegistry,
    ICommandPalette,
    ILayoutRestorer,
    IThemeManager
  ],
  activate: (
    app: JupyterFrontEnd,
    telemetry: ITelemetry,
    tracker: INotebookTracker,
    rendermime: IRenderMimeRegistry,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    themeManager: IThemeManager | null
  ): ITutor => {
    const trans = (translator ?? nullTranslator).load('jelai');
    const serverSettings = app.serviceManager.serverSettings;
    const client = new TutorClient({
      serverSettings,
      session: telemetry.session
    });
    const provider = new TutorContextProvider({
      telemetry,
      notebooks: trackerNotebooks(tracker),
      instructions: notebook => fetchInstructions(notebook, serverSettings)
    });
    const model = new TutorChatModel({
      client,
      telemetry,
      translator,
      buildRequest: provider.buildRequest,
      activeCellManager: new ActiveCellManager({ tracker, shell: app.shell }),
      config: { enableCodeToolbar: true }
    });
    // Read the stored log while the student works, not when they ask.
    model.notebookChanged.connect((_, notebook) => {
      if (notebook) {
        void provider.events(notebook);
      }
    });
    const status = new TutorStatus({ client, translator });
    model.replyFinished.connect((_, result) => status.report(result));
    let settings: ISettingRegistry.ISettings | null = null;
    const panel = new TutorPanel({
      model,
      status,
      rendermime,
      themeManager,
      translator,
      onModelPicked: name => void settings?.set('model', name),
      contextView: new TutorContextView({ model, provider, translator })
    });
    // The server's note to every student (e.g. that a demonstration model answers).
    const notice = new TutorNotice();
    panel.insertWidget(1, notice);
    app.shell.add(panel, 'right', { rank: 900 });
    restorer?.add(panel, panel.id);
    const tutor = new Tutor({
      model,
      provider,
      telemetry,
      shell: app.shell,
      panelId: panel.id,
      kernel: notebook => trackerKernel(tracker, notebook)
    });
    addTutorCommands(app.commands, { model, tutor, trans });
    for (const command of Object.values(TutorCommandIDs)) {
      palette?.addItem({ command, category: trans.__('Tutor') });
    }
    followCurrentNotebook(tracker, model);
    void status.refresh();

    void Promise.all([
      settingRegistry?.load(tutorPlugin.id).catch(reason => {
        console.warn('jelai: tutor settings not loaded.', reason);
        return null;
      }) ?? null,
      telemetry.config.catch(() => null)
    ]).then(([loaded, config]) => {
      settings = loaded;
      followPreferences(model, settings, config);
      notice.text = tutorNotice(config);
      if (readPreferences(settings).openOnStart) {
        void app.restored.then(() => app.shell.activateById(panel.id));
      }
    });
    return tutor;
  }
};

/**
 * Asks the tutor about a cell: the cell menu's "Explain this cell" and
 * "Give me a hint", and an "Ask the tutor about this error" button under
 * each cell that failed.
 */
const cellActionsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jelai:cell-actions',
  description:
    'Cell menu items and error buttons that ask the tutor about a cell.',
  autoStart: true,
  requires: [ITutor, INotebookTracker],
  optional: [ITranslator, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tutor: ITutor,
    tracker: INotebookTracker,
    translator: ITranslator | null,
    palette: ICommandPalette | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('jelai');
    addCellCommands(app.commands, { tutor, tracker, trans });
    new ErrorButtons({ tracker, commands: app.commands, trans });
    for (const command of Object.values(CellCommandIDs)) {
      palette?.addItem({ command, category: trans.__('Tutor') });
    }
  }
};

/**
 * The learning dashboard: a student's own activity, or the class for an
 * instructor, refreshed while shown, with a download of the events.
 */
const dashboardPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jelai:dashboard',
  description:
    'A dashboard of your notebook activity; instructors see their class.',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  optional: [
    ITranslator,
    ICommandPalette,
    ILauncher,
    ILayoutRestorer,
    INotebookTracker,
    IThemeManager
  ],
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null,
    notebooks: INotebookTracker | null,
    themeManager: IThemeManager | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('jelai');
    const command = DashboardCommandIDs.open;
    const tracker = addDashboardCommands(app, {
      rendermime,
      trans,
      translator,
      notebooks
    });
    palette?.addItem({ command, category: trans.__('jelai') });
    launcher?.add({ command, category: trans.__('Other'), rank: 50 });
    void restorer?.restore(tracker, { command, name: () => 'dashboard' });
    themeManager?.themeChanged.connect(() =>
      tracker.forEach(widget => widget.content.themeChanged())
    );
  }
};

export default [
  telemetryPlugin,
  dataNoticePlugin,
  tutorPlugin,
  cellActionsPlugin,
  dashboardPlugin
];
