import type { NotebookPanel } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';

import { DocumentProducer, INotebookView } from './document';
import { countLines } from './events';

/**
 * The first and last cell shown in a scrolled view, by the cells' boxes;
 * both null when no cell is in view (scrolled past the last cell, or an
 * empty notebook).
 */
export function visibleRange(
  view: Element,
  cells: readonly { node: Element }[]
): { first_visible: number | null; last_visible: number | null } {
  const box = view.getBoundingClientRect();
  let first: number | null = null;
  let last: number | null = null;
  cells.forEach((cell, index) => {
    const rect = cell.node.getBoundingClientRect();
    if (rect.height > 0 && rect.bottom > box.top && rect.top < box.bottom) {
      first = first ?? index;
      last = index;
    }
  });
  return { first_visible: first, last_visible: last };
}

/**
 * Records what happens in one view of a notebook: scrolling, the active cell
 * and clipboard use. Changes of the notebook itself are the document's
 * (`DocumentProducer`), so a second view adds no event of its own for them.
 */
export class ViewProducer implements INotebookView, IDisposable {
  /** Prepares the producer; `start()` once the notebook is loaded. */
  constructor(options: ViewProducer.IOptions) {
    this.panel = options.panel;
    this.document = options.document;
    this._scrollDelay = options.scrollDelay ?? 500;
  }

  /** The panel recorded. */
  readonly panel: NotebookPanel;

  /** The notebook the view shows. */
  readonly document: DocumentProducer;

  /** Whether the view is on screen: its tab shown and the page visible. */
  get isShown(): boolean {
    return (
      !this._isDisposed &&
      this.panel.isVisible &&
      document.visibilityState !== 'hidden'
    );
  }

  /** Whether the producer is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Starts listening to the view. */
  start(): void {
    if (this._isDisposed || this._started) {
      return;
    }
    this._started = true;
    const { content } = this.panel;
    this._node = content.node;
    this._notebook = content;
    this._active = content.activeCell?.model.id ?? null;
    content.activeCellChanged.connect(this._onActiveCell, this);
    for (const type of Private.CLIPBOARD) {
      this._node.addEventListener(type, this);
    }
    this._node.addEventListener('scroll', this, {
      capture: true,
      passive: true
    });
  }

  /** Handles clipboard and scroll events of the notebook node. */
  handleEvent(event: Event): void {
    switch (event.type) {
      case 'copy':
      case 'cut':
      case 'paste':
        this._onClipboard(event as ClipboardEvent);
        break;
      case 'scroll':
        this._onScroll();
        break;
    }
  }

  /**
   * Stops listening. Only what was kept from `start()` is used: the panel's
   * content may be disposed by now.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    if (this._scrollTimer !== null) {
      clearTimeout(this._scrollTimer);
      this._scrollTimer = null;
    }
    this._notebook?.activeCellChanged.disconnect(this._onActiveCell, this);
    if (this._node !== null) {
      for (const type of Private.CLIPBOARD) {
        this._node.removeEventListener(type, this);
      }
      this._node.removeEventListener('scroll', this, { capture: true });
    }
    this._notebook = null;
    this._node = null;
  }

  private _onActiveCell(): void {
    // Reported at the end of the task: JupyterLab activates cells on the way
    // while it adds, moves or deletes them, and only where the student ends
    // up matters.
    if (this._activeScheduled) {
      return;
    }
    this._activeScheduled = true;
    void Promise.resolve().then(() => {
      this._activeScheduled = false;
      if (this._isDisposed || !this.document.isStarted) {
        return;
      }
      const id = this.panel.content.activeCell?.model.id ?? null;
      if (id === null || id === this._active) {
        return;
      }
      // The notebook activates a new cell before the document hears of it.
      this.document.settle();
      const previous = this._active;
      this._active = id;
      this.document.publish(
        'cell.activate',
        { previous },
        this.document.ref(id)
      );
    });
  }

  private _onClipboard(event: ClipboardEvent): void {
    let text = event.clipboardData?.getData('text/plain') ?? '';
    if (!text && event.type !== 'paste') {
      text = document.getSelection()?.toString() ?? '';
    }
    if (!text || this._isDisposed || !this.document.isStarted) {
      return;
    }
    const target = event.target instanceof Node ? event.target : null;
    const cell =
      this.panel.content.widgets.find(
        widget => target !== null && widget.node.contains(target)
      ) ?? this.panel.content.activeCell;
    this.document.publish(
      `clipboard.${event.type}`,
      { text, length: text.length, lines: countLines(text) },
      cell ? this.document.ref(cell.model.id) : null
    );
  }

  private _onScroll(): void {
    if (this._scrollTimer !== null) {
      clearTimeout(this._scrollTimer);
    }
    this._scrollTimer = setTimeout(() => {
      this._scrollTimer = null;
      if (this._isDisposed || !this.document.isStarted) {
        return;
      }
      const notebook = this.panel.content;
      const range = visibleRange(notebook.node, notebook.widgets);
      // Layout changes scroll too; only a new range is news.
      const key = `${range.first_visible}:${range.last_visible}`;
      if (key !== this._range) {
        this._range = key;
        this.document.publish('notebook.scroll', range);
      }
    }, this._scrollDelay);
  }

  private _scrollDelay: number;
  private _node: HTMLElement | null = null;
  private _notebook: NotebookPanel['content'] | null = null;
  private _active: string | null = null;
  private _activeScheduled = false;
  private _range: string | null = null;
  private _scrollTimer: ReturnType<typeof setTimeout> | null = null;
  private _started = false;
  private _isDisposed = false;
}

/**
 * The options of `ViewProducer`.
 */
export namespace ViewProducer {
  /**
   * The view to record and the notebook it shows.
   */
  export interface IOptions {
    /** The notebook panel. */
    panel: NotebookPanel;
    /** The producer of the notebook the panel shows. */
    document: DocumentProducer;
    /** Pause in scrolling after which the visible cells are reported, ms (default 500). */
    scrollDelay?: number;
  }
}

namespace Private {
  /** The clipboard events recorded. */
  export const CLIPBOARD = ['copy', 'cut', 'paste'];
}
