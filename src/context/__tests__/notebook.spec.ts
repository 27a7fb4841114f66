import * as fs from 'fs';
import * as path from 'path';
import { cellsFromNbformat } from '../notebook';

describe('reading a notebook as plain data', () => {
  it('reads the demo notebook as the student sees it', () => {
    const file = path.join(
      __dirname,
      '..',
      '..',
      '..',
      'demo',
      'exercise-1-basket.ipynb'
    );
    const cells = cellsFromNbformat(
      JSON.parse(fs.readFileSync(file, 'utf8')).cells
    );
    expect(cells.map(c => [c.id, c.type, c.executionCount])).toEqual([
      ['83f51680', 'markdown', null],
      ['6f1f7ed8', 'code', null],
      ['084bb467', 'markdown', null],
      ['3b852f08', 'code', null],
      ['3beb05f0', 'markdown', null],
      ['668c49d1', 'code', null]
    ]);
    expect(cells[3].source).toBe(
      'total = 0\nfor item in basket:\n    total += item["price"] * item["quantity"]\ntotal'
    );
  });

  it('keeps text outputs and the error, not images', () => {
    const [cell] = cellsFromNbformat([
      {
        id: 'c1',
        cell_type: 'code',
        source: ['print(1)\n', 'basket[0]["cost"]'],
        execution_count: 4,
        outputs: [
          { output_type: 'stream', text: ['1\n'] },
          {
            output_type: 'display_data',
            data: { 'image/png': 'iVBOR...', 'text/plain': '<Figure>' }
          },
          {
            output_type: 'error',
            ename: 'KeyError',
            evalue: "'cost'",
            traceback: ["\u001b[0;31mKeyError\u001b[0m: 'cost'"]
          }
        ]
      }
    ]);
    expect(cell).toEqual({
      id: 'c1',
      type: 'code',
      source: 'print(1)\nbasket[0]["cost"]',
      executionCount: 4,
      outputs: '1\n<Figure>',
      error: {
        name: 'KeyError',
        value: "'cost'",
        traceback: ["\u001b[0;31mKeyError\u001b[0m: 'cost'"]
      }
    });
  });
});
