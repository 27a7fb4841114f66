import { nullTranslator } from '@jupyterlab/translation';

import { noticeLines } from '../notice';
import { serverConfig } from './helpers';

const trans = nullTranslator.load('jelai');

describe('noticeLines', () => {
  it('says the record is on this server, in its data folder', () => {
    const { where } = noticeLines(serverConfig(), trans);
    expect(where).toContain('/srv/jelai');
    expect(where).toContain('ada');
  });

  it("says the course's service keeps the record in hub mode", () => {
    const config = { ...serverConfig(), data_dir: null, service: true };
    const { where } = noticeLines(config, trans);
    expect(where).toContain("course's jelai service");
    expect(where).not.toContain('null');
  });
});
