import {
  IRenderMime,
  IRenderMimeRegistry,
  MimeModel
} from '@jupyterlab/rendermime';
import type { JSONObject } from '@lumino/coreutils';
import { Panel, Widget } from '@lumino/widgets';
import { VEGALITE_MIME } from './charts';

/**
 * One plot of the dashboard: a heading and a Vega-Lite spec drawn by
 * JupyterLab's own Vega renderer, or a line saying why there is no plot.
 */
export class ChartView extends Panel {
  constructor(options: ChartView.IOptions) {
    super();
    this.addClass('jp-jelai-Dashboard-chart');
    this.node.dataset.chart = options.name;
    this._rendermime = options.rendermime;
    const heading = new Widget({ node: document.createElement('h3') });
    heading.addClass('jp-jelai-Dashboard-chartTitle');
    heading.node.textContent = options.title;
    this._note = new Widget();
    this._note.addClass('jp-jelai-Dashboard-chartNote');
    this.addWidget(heading);
    this.addWidget(this._note);
  }

  /** Whether JupyterLab here can draw Vega-Lite at all. */
  get canDraw(): boolean {
    return this._rendermime.mimeTypes.includes(VEGALITE_MIME);
  }

  /**
   * Draws a spec, or shows the note when there is none (or no renderer);
   * a spec equal to the one drawn is left alone, so refreshes do not flicker.
   */
  draw(spec: JSONObject | null, note: string, unavailable: string): void {
    const key = spec ? JSON.stringify(spec) : `note:${note}`;
    if (key === this._drawn) {
      return;
    }
    this._drawn = key;
    if (!spec || !this.canDraw) {
      this._setNote(spec ? unavailable : note);
      return;
    }
    const renderer = this._renderer();
    this._setNote('');
    renderer.show();
    const model = new MimeModel({
      data: { [VEGALITE_MIME]: spec },
      metadata: {
        // Exports of the plot, but nothing that sends its data elsewhere.
        [VEGALITE_MIME]: {
          embed_options: {
            actions: {
              export: true,
              source: false,
              compiled: false,
              editor: false
            }
          }
        }
      }
    });
    renderer.renderModel(model).catch(reason => {
      this._drawn = null;
      renderer.hide();
      this._setNote(
        `${unavailable} ${reason instanceof Error ? reason.message : ''}`
      );
    });
  }

  /** Draws the last spec again (after the theme changed, say). */
  forget(): void {
    this._drawn = null;
  }

  private _renderer(): IRenderMime.IRenderer {
    if (!this._rendererWidget) {
      this._rendererWidget = this._rendermime.createRenderer(VEGALITE_MIME);
      this._rendererWidget.addClass('jp-jelai-Dashboard-chartBody');
      this.addWidget(this._rendererWidget);
    }
    return this._rendererWidget;
  }

  private _setNote(text: string): void {
    this._note.node.textContent = text;
    this._note.setHidden(!text);
    if (text) {
      this._rendererWidget?.hide();
    }
  }

  private _rendermime: IRenderMimeRegistry;
  private _note: Widget;
  private _rendererWidget: IRenderMime.IRenderer | null = null;
  private _drawn: string | null = null;
}

/**
 * Options of a chart view.
 */
export namespace ChartView {
  /** What the chart is and what draws it. */
  export interface IOptions {
    /** A stable name, kept in `data-chart` for styles and tests. */
    name: string;
    title: string;
    rendermime: IRenderMimeRegistry;
  }
}
