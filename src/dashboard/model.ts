import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { JelaiRequestError, requestAPI } from '../api';
import { DEFAULT_SORT, ISort, nextSort, SortKey, sortStudents } from './sort';
import type { IAnalytics, IStudentSummary } from './types';

/**
 * Which dashboard to show: the class for an instructor whose server could
 * read it (unless they asked for their own), else the reader's own activity.
 */
export function chooseView(
  own: IAnalytics | null,
  classSummary: IAnalytics | null,
  preferred: DashboardModel.View = 'class'
): DashboardModel.View {
  return own?.instructor && classSummary && preferred === 'class'
    ? 'class'
    : 'student';
}

/**
 * The dashboard's data: the reader's own summary and, for instructors, the
 * class's; fetched again on a timer while the dashboard is shown.
 */
export class DashboardModel implements IDisposable {
  constructor(options: DashboardModel.IOptions = {}) {
    const settings = options.serverSettings;
    this._request =
      options.request ??
      (endpoint => requestAPI(endpoint, { method: 'GET' }, settings));
    this._interval = options.interval ?? 30_000;
    this._poll = new Poll({
      auto: false,
      factory: () => this._load(),
      frequency: {
        interval: this._interval,
        backoff: true,
        max: 10 * this._interval
      },
      name: 'jelai:dashboard',
      // A hidden dashboard (another tab, or the browser in the background) waits.
      standby: () => !this._visible || 'when-hidden'
    });
  }

  /** Emitted when anything the dashboard shows changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Where loading stands. */
  get state(): DashboardModel.State {
    return this._state;
  }

  /** Why the last load failed; null after a load that worked. */
  get error(): DashboardModel.IError | null {
    return this._error;
  }

  /** The reader's own summary (the last one loaded). */
  get own(): IAnalytics | null {
    return this._own;
  }

  /** The class's summary, for an instructor whose server has a class folder. */
  get classSummary(): IAnalytics | null {
    return this._class;
  }

  /** Why an instructor sees no class (no class folder, say); null otherwise. */
  get classError(): DashboardModel.IError | null {
    return this._classError;
  }

  /** Whether the server names the reader an instructor. */
  get isInstructor(): boolean {
    return this._own?.instructor ?? false;
  }

  /** Whether the class can be shown (to an instructor with a class folder). */
  get hasClass(): boolean {
    return this.isInstructor && this._class !== null;
  }

  /** The dashboard to show. */
  get view(): DashboardModel.View {
    return chooseView(this._own, this._class, this._preferred);
  }

  /** The dashboard an instructor asked for; students always see their own. */
  get preferredView(): DashboardModel.View {
    return this._preferred;
  }
  set preferredView(value: DashboardModel.View) {
    if (value !== this._preferred) {
      this._preferred = value;
      this._changed.emit();
    }
  }

  /** When the data shown was loaded. */
  get updated(): Date | null {
    return this._updated;
  }

  /** Seconds between refreshes while shown. */
  get interval(): number {
    return this._interval / 1000;
  }

  /** The notebook the summaries are limited to; null for all. */
  get notebook(): string | null {
    return this._notebook;
  }
  set notebook(value: string | null) {
    if (value !== this._notebook) {
      this._notebook = value;
      void this.refresh();
    }
  }

  /** The notebooks seen in any summary so far, for the filter. */
  get notebooks(): string[] {
    return [...this._notebooks].sort();
  }

  /** The width of the activity plot's time buckets, in seconds. */
  get bucketSeconds(): number {
    return this._bucket;
  }
  set bucketSeconds(value: number) {
    if (value !== this._bucket) {
      this._bucket = value;
      void this.refresh();
    }
  }

  /** How the class table is sorted. */
  get sort(): ISort {
    return this._sort;
  }

  /** The class's students in table order; empty outside the class view. */
  get rows(): IStudentSummary[] {
    return this.view === 'class' && this._class
      ? sortStudents(this._class.students, this._sort)
      : [];
  }

  /** Sorts the class table by a column (again: the other way). */
  sortBy(key: SortKey): void {
    this._sort = nextSort(this._sort, key);
    this._changed.emit();
  }

  /** Whether the dashboard is shown; refreshes stop while it is not. */
  setVisible(visible: boolean): void {
    this._visible = visible;
    if (!visible || this.isDisposed) {
      return;
    }
    if (!this._started) {
      this._started = true;
      void this._poll.start();
    } else if (
      !this._updated ||
      Date.now() - this._updated.getTime() >= this._interval
    ) {
      void this._poll.refresh();
    }
  }

  /** Loads the summaries now; failures end up in `state` and `error`. */
  async refresh(): Promise<void> {
    await this._load().catch(() => undefined);
  }

  /** Whether the model is disposed. */
  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    Signal.clearData(this);
  }

  /** Loads both summaries; rejects on failure so the poll backs off. */
  private async _load(): Promise<void> {
    const generation = ++this._generation;
    this._state = 'loading';
    this._changed.emit();
    const query = new URLSearchParams({ bucket: String(this._bucket) });
    if (this._notebook) {
      query.set('notebook', this._notebook);
    }
    try {
      const own = await this._request<IAnalytics>(`analytics?${query}`);
      let classSummary: IAnalytics | null = null;
      let classError: DashboardModel.IError | null = null;
      if (own.instructor) {
        try {
          classSummary = await this._request<IAnalytics>(
            `analytics/class?${query}`
          );
        } catch (error) {
          // No longer an instructor (403), or no class here (404): own view.
          if (!(error instanceof JelaiRequestError) || error.status >= 500) {
            throw error;
          }
          classError = Private.describe(error);
        }
      }
      if (generation !== this._generation || this.isDisposed) {
        return;
      }
      this._own = own;
      this._class = classSummary;
      this._classError = classError;
      this._error = null;
      this._state = 'ready';
      this._updated = new Date();
      Private.collect(this._notebooks, [own, classSummary]);
      this._changed.emit();
    } catch (error) {
      if (generation !== this._generation || this.isDisposed) {
        return;
      }
      this._error = Private.describe(error);
      this._state = 'error';
      this._changed.emit();
      throw error;
    }
  }

  private _request: DashboardModel.Request;
  private _interval: number;
  private _poll: Poll;
  private _visible = false;
  private _started = false;
  private _generation = 0;
  private _state: DashboardModel.State = 'loading';
  private _error: DashboardModel.IError | null = null;
  private _own: IAnalytics | null = null;
  private _class: IAnalytics | null = null;
  private _classError: DashboardModel.IError | null = null;
  private _updated: Date | null = null;
  private _notebook: string | null = null;
  private _notebooks = new Set<string>();
  private _bucket = 3600;
  private _sort: ISort = DEFAULT_SORT;
  private _preferred: DashboardModel.View = 'class';
  private _changed = new Signal<this, void>(this);
}

/**
 * Options and types of the dashboard model.
 */
export namespace DashboardModel {
  /** Where the data comes from and how often it is refreshed. */
  export interface IOptions {
    /** Calls a `/jelai/<endpoint>` route; defaults to the server's. */
    request?: Request;
    serverSettings?: ServerConnection.ISettings;
    /** Milliseconds between refreshes while shown (default 30 s). */
    interval?: number;
  }

  /** Calls a `/jelai/<endpoint>` route (query included) for its JSON. */
  export type Request = <T>(endpoint: string) => Promise<T>;

  /** Where loading stands: the data shown may be older than an error. */
  export type State = 'loading' | 'ready' | 'error';

  /** The reader's own activity, or the class. */
  export type View = 'student' | 'class';

  /** A failed load: the server's status (null when unreachable) and words. */
  export interface IError {
    status: number | null;
    message: string;
  }
}

namespace Private {
  export function describe(error: unknown): DashboardModel.IError {
    if (error instanceof JelaiRequestError) {
      return { status: error.status, message: error.message };
    }
    return {
      status: null,
      message: error instanceof Error ? error.message : String(error)
    };
  }

  export function collect(
    into: Set<string>,
    summaries: Array<IAnalytics | null>
  ): void {
    for (const summary of summaries) {
      for (const student of summary?.students ?? []) {
        for (const row of student.notebooks) {
          if (row.notebook) {
            into.add(row.notebook);
          }
        }
      }
    }
  }
}
