import type { ICellSnapshot } from './types';

/**
 * A cell as nbformat writes it (`model.toJSON()` of a notebook), the fields read here.
 */
export interface INbformatCell {
  id?: string;
  cell_type: string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: INbformatOutput[];
}

/**
 * An output as nbformat writes it, the fields read here.
 */
export interface INbformatOutput {
  output_type: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

/**
 * The snapshot cells of a notebook's nbformat cells: source, execution count,
 * text outputs (streams and `text/plain` results) and the error, if any.
 */
export function cellsFromNbformat(
  cells: readonly INbformatCell[]
): ICellSnapshot[] {
  return cells.map((cell, index) => {
    const type =
      cell.cell_type === 'code' || cell.cell_type === 'markdown'
        ? cell.cell_type
        : 'raw';
    const snapshot: ICellSnapshot = {
      id: cell.id ?? `cell-${index}`,
      type,
      source: Private.text(cell.source),
      executionCount: type === 'code' ? (cell.execution_count ?? null) : null,
      outputs: '',
      error: null
    };
    const texts: string[] = [];
    for (const output of cell.outputs ?? []) {
      if (output.output_type === 'error') {
        snapshot.error = {
          name: output.ename ?? 'Error',
          value: output.evalue ?? '',
          traceback: output.traceback ?? []
        };
      } else if (output.output_type === 'stream') {
        texts.push(Private.text(output.text));
      } else {
        const plain = output.data?.['text/plain'];
        if (typeof plain === 'string' || Array.isArray(plain)) {
          texts.push(Private.text(plain as string | string[]));
        }
      }
    }
    snapshot.outputs = texts.join('').replace(/\s+$/, '');
    return snapshot;
  });
}

namespace Private {
  /** nbformat multiline text as one string. */
  export function text(value: string | string[] | undefined): string {
    return Array.isArray(value) ? value.join('') : (value ?? '');
  }
}
