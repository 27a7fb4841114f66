import { dispositionFilename, exportQuery } from '../export';

describe('the export download', () => {
  it('asks for the format and only the filters given', () => {
    expect(exportQuery({ format: 'csv' })).toBe('format=csv');
    expect(
      exportQuery({
        format: 'jsonl',
        notebook: 'labs/lab 1.ipynb',
        since: '2024-03-01',
        until: null,
        pseudonymise: true
      })
    ).toBe(
      'format=jsonl&notebook=labs%2Flab+1.ipynb&since=2024-03-01&pseudonymise=1'
    );
  });

  it('names the file as the server says, never as a path', () => {
    const fallback = 'jelai-events.csv';
    expect(
      dispositionFilename(
        'attachment; filename="jelai-events-2024-03-01.csv"',
        fallback
      )
    ).toBe('jelai-events-2024-03-01.csv');
    expect(
      dispositionFilename(
        "attachment; filename*=UTF-8''caf%C3%A9.jsonl",
        fallback
      )
    ).toBe('café.jsonl');
    expect(
      dispositionFilename('attachment; filename="../../etc/passwd"', fallback)
    ).toBe('passwd');
    expect(dispositionFilename('attachment; filename=".."', fallback)).toBe(
      fallback
    );
    expect(dispositionFilename(null, fallback)).toBe(fallback);
  });
});
