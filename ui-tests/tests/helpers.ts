import { expect, galata, IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { APIRequestContext, Locator } from '@playwright/test';

/** Galata's settings with the first-use data notice already read. */
export const ACKNOWLEDGED_SETTINGS = {
  ...galata.DEFAULT_SETTINGS,
  'jelai:data-notice': { noticeAcknowledged: true }
};

/** The fake Ollama the configuration starts beside JupyterLab. */
export const FAKE_OLLAMA = `http://127.0.0.1:${
  process.env.JELAI_FAKE_OLLAMA_PORT || 11555
}`;

/** One stored event as the server returns it. */
export interface IStoredEvent {
  id: string;
  type: string;
  notebook: string | null;
  session: string;
  user: string;
  cell: { id: string; index: number | null; type: string | null } | null;
  data: Record<string, any>; // shapes differ per event type
}

/** Every stored event of one notebook, oldest first. */
export async function storedEvents(
  page: IJupyterLabPageFixture,
  notebook: string,
  types: string[] = []
): Promise<IStoredEvent[]> {
  const query = new URLSearchParams({ notebook });
  types.forEach(type => query.append('type', type));
  const response = await page.request.get(`/jelai/events?${query}`);
  expect(response.ok()).toBeTruthy();
  return (await response.json()).events;
}

/** Counts events by type. */
export function countByType(events: IStoredEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) {
    counts[event.type] = (counts[event.type] ?? 0) + 1;
  }
  return counts;
}

/** Sends a control request to the fake Ollama. */
export async function fake(
  request: APIRequestContext,
  action: 'reset' | 'release' | 'config',
  body: Record<string, unknown> = {}
): Promise<void> {
  const response = await request.post(`${FAKE_OLLAMA}/_fake/${action}`, {
    data: body
  });
  expect(response.ok()).toBeTruthy();
}

/** What the fake Ollama received on /api/chat, oldest first. */
export async function chatRequests(
  request: APIRequestContext
): Promise<Array<Record<string, any>>> {
  const response = await request.get(`${FAKE_OLLAMA}/_fake/requests`);
  const body = await response.json();
  const all: Array<Record<string, any>> = body.requests ?? body;
  return all.filter(r => r.path === '/api/chat');
}

/** The code editor of one cell of the notebook in the shown tab. */
export function editor(page: IJupyterLabPageFixture, index: number): Locator {
  return page
    .locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')
    .nth(index)
    .locator('.cm-content');
}

/** Writes a notebook of code cells with these sources at `path`. */
export async function writeNotebook(
  page: IJupyterLabPageFixture,
  path: string,
  sources: string[]
): Promise<void> {
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3' }
    },
    cells: sources.map((source, i) => ({
      cell_type: 'code',
      id: `cell-${i}`,
      source,
      metadata: {},
      outputs: [],
      execution_count: null
    }))
  };
  expect(
    await page.contents.uploadContent(JSON.stringify(notebook), 'text', path)
  ).toBe(true);
}

/** Opens a notebook in a tab and waits until its cells are shown. */
export async function openNotebook(
  page: IJupyterLabPageFixture,
  path: string
): Promise<void> {
  await page.evaluate(async file => {
    await window.jupyterapp.commands.execute('docmanager:open', { path: file });
  }, path);
  const name = path.split('/').pop()!;
  await expect(page.activity.getTabLocator(name)).toBeVisible();
  await expect(editor(page, 0)).toBeVisible();
}

/** Runs a JupyterLab command. */
export async function command(
  page: IJupyterLabPageFixture,
  id: string,
  args: { [key: string]: string | number | boolean } = {}
): Promise<void> {
  await page.evaluate(
    async ({ id, args }) => {
      await window.jupyterapp.commands.execute(id, args);
    },
    { id, args }
  );
}

/** Console errors and uncaught exceptions of the page, from now on. */
export function collectErrors(page: IJupyterLabPageFixture): string[] {
  const errors: string[] = [];
  page.on('console', message => {
    if (message.type() === 'error') {
      errors.push(message.text());
    }
  });
  page.on('pageerror', error => errors.push(`${error.name}: ${error.message}`));
  return errors;
}

/** Waits until the kernel of the notebook in the shown tab is idle. */
export async function kernelIdle(page: IJupyterLabPageFixture): Promise<void> {
  await page.waitForFunction(() => {
    const panel = window.jupyterapp.shell.currentWidget as unknown as {
      sessionContext?: {
        session?: {
          kernel?: { status: string; connectionStatus: string } | null;
        } | null;
      };
    } | null;
    const kernel = panel?.sessionContext?.session?.kernel;
    return kernel?.status === 'idle' && kernel.connectionStatus === 'connected';
  });
}
