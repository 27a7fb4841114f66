import { PromiseDelegate } from '@lumino/coreutils';

import { IEvent, IJelaiConfig } from '../../tokens';
import { Telemetry } from '../service';
import { FakeServer, MemoryStorage, serverConfig } from './helpers';
import { schemaErrors } from './schema';

const config = serverConfig;

describe('Telemetry', () => {
  let server: FakeServer;
  let services: Telemetry[];

  function makeService(loaded: Promise<IJelaiConfig>): Telemetry {
    const service = new Telemetry({
      config: loaded,
      sink: { post: server.post, storage: new MemoryStorage(), window: null }
    });
    services.push(service);
    return service;
  }

  beforeEach(() => {
    server = new FakeServer();
    services = [];
  });

  afterEach(() => {
    services.forEach(s => s.dispose());
    jest.restoreAllMocks();
  });

  it('records what happens before the configuration arrives', async () => {
    const loaded = new PromiseDelegate<IJelaiConfig>();
    const service = makeService(loaded.promise);
    const seen: IEvent[] = [];
    service.eventPublished.connect((_, event) => seen.push(event));

    const early = service.publish(
      'notebook.open',
      { cells: 2 },
      {
        notebook: 'a.ipynb'
      }
    );
    expect(early).not.toBeNull();
    expect(seen).toHaveLength(0);

    loaded.resolve(config());
    await service.flush();
    expect(seen.map(e => e.type)).toEqual(['notebook.open']);
    expect([...server.stored.keys()]).toEqual([early!.id]);
  });

  it('sends events the server accepts, without a user, in one session', async () => {
    const service = makeService(Promise.resolve(config()));
    await service.config;
    const a = service.publish(
      'cell.add',
      {},
      {
        notebook: 'a.ipynb',
        kernel: { id: 'k', name: 'python3' },
        cell: { id: 'c1', index: 0, type: 'code' }
      }
    );
    const b = service.publish('kernel.restart', {}, { notebook: 'a.ipynb' });
    await service.flush();
    for (const event of server.stored.values()) {
      expect(schemaErrors(event)).toEqual([]);
      expect(event).not.toHaveProperty('user');
      expect(event.session).toBe(service.session);
    }
    expect([...server.stored.keys()]).toEqual([a!.id, b!.id]);
  });

  it('applies the policy before anyone sees the event', async () => {
    const service = makeService(
      Promise.resolve(
        config({
          event_types: ['cell.execute', 'clipboard.copy'],
          log_clipboard: false,
          max_text_length: 3
        })
      )
    );
    await service.config;
    const seen: IEvent[] = [];
    service.eventPublished.connect((_, event) => seen.push(event));

    expect(service.publish('cell.edit', { source: 'x' })).toBeNull();
    const copy = service.publish('clipboard.copy', {
      text: 'password',
      length: 8,
      lines: 1
    });
    const run = service.publish('cell.execute', {
      source: 'print(1)',
      success: true
    });
    expect(copy?.data).toEqual({ length: 8, lines: 1 });
    expect(run?.data).toEqual({
      source: 'pri',
      success: true,
      truncated: ['source']
    });
    expect(seen).toEqual([copy, run]);
    await service.flush();
    expect([...server.stored.values()]).toEqual([copy, run]);
  });

  it('records nothing when the instructor switched recording off', async () => {
    const service = makeService(Promise.resolve(config({ enabled: false })));
    await service.config;
    expect(service.publish('cell.add')).toBeNull();
    await service.flush();
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a malformed event alone, so it cannot sink a batch', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const service = makeService(Promise.resolve(config()));
    await service.config;
    expect(service.publish('Tutor Hint')).toBeNull();
    expect(warn).toHaveBeenCalledTimes(1);
    const good = service.publish('tutor.hint', { text: 'try a loop' });
    await service.flush();
    expect([...server.stored.keys()]).toEqual([good!.id]);
  });

  it('stays quiet when the server has no jelai', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const service = makeService(Promise.reject(new Error('404')));
    await service.config.catch(() => undefined);
    await Promise.resolve();
    expect(service.publish('cell.add')).toBeNull();
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
