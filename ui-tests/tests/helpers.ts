import { expect, galata, IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { APIRequestContext } from '@playwright/test';

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
