import type { IEvent } from '../tokens';
import type { ICellSnapshot } from './types';

/**
 * An event with its time parsed, in milliseconds since the epoch.
 */
export interface ITimedEvent {
  event: IEvent;
  t: number;
}

/**
 * The events of one notebook up to `now`: deduplicated by id, sorted by time.
 */
export function prepareEvents(
  events: readonly IEvent[],
  notebook: string,
  now: Date
): ITimedEvent[] {
  const limit = now.getTime();
  let timed: ITimedEvent[] = [];
  let breaks = 0;
  let firstBreak = -1;
  for (const event of events) {
    if (event.notebook !== notebook) {
      continue;
    }
    const t = parseTime(event.time);
    if (!(t <= limit)) {
      continue; // after `now`, or not a time
    }
    if (timed.length && t < timed[timed.length - 1].t) {
      breaks += 1;
      firstBreak = firstBreak < 0 ? timed.length : firstBreak;
    }
    timed.push({ event, t });
  }
  if (breaks === 1) {
    // The usual case: the stored log, then the live stream overlapping its end.
    timed = Private.merge(timed, firstBreak);
  } else if (breaks > 1) {
    timed.sort((a, b) => a.t - b.t); // stable: ties keep arrival order
  }
  // A repeated event has the same id and time, so once sorted its copies sit
  // among the events of that same millisecond: no set of every id is needed.
  const out: ITimedEvent[] = [];
  for (const item of timed) {
    let repeated = false;
    for (let j = out.length - 1; j >= 0 && out[j].t === item.t; j--) {
      if (out[j].event.id === item.event.id) {
        repeated = true;
        break;
      }
    }
    if (!repeated) {
      out.push(item);
    }
  }
  return out;
}

/**
 * Milliseconds since the epoch of an ISO time; fast for the envelope's own
 * `YYYY-MM-DDTHH:MM:SS.sssZ`, `Date.parse` for anything else.
 */
export function parseTime(iso: string): number {
  const t = iso.length === 24 ? Private.canonical(iso) : NaN;
  return Number.isNaN(t) ? Date.parse(iso) : t;
}

/**
 * The 1-based number of each cell as the student sees it now, by cell id.
 */
export function cellNumbers(
  cells: readonly ICellSnapshot[]
): Map<string, number> {
  const numbers = new Map<string, number>();
  cells.forEach((cell, index) => numbers.set(cell.id, index + 1));
  return numbers;
}

/**
 * The number a student would use for the cell of an event: its place now,
 * else its place when the event happened, else null.
 */
export function eventCellNumber(
  event: IEvent,
  numbers: ReadonlyMap<string, number>
): number | null {
  const cell = event.cell;
  if (!cell) {
    return null;
  }
  const now = numbers.get(cell.id);
  if (now !== undefined) {
    return now;
  }
  return typeof cell.index === 'number' ? cell.index + 1 : null;
}

/**
 * Gaps between events longer than this count as idle, not as time spent.
 */
export const IDLE_GAP_MS = 5 * 60 * 1000;

/**
 * Time spent on the notebook: the gaps between its events up to `now`,
 * leaving out idle gaps and the time after it was hidden or closed.
 */
export function activeTime(events: readonly ITimedEvent[], now: Date): number {
  let total = 0;
  for (let i = 1; i <= events.length; i++) {
    const previous = events[i - 1];
    const type = previous.event.type;
    if (type === 'notebook.hidden' || type === 'notebook.close') {
      continue;
    }
    const next = i < events.length ? events[i].t : now.getTime();
    const gap = next - previous.t;
    if (gap <= IDLE_GAP_MS) {
      total += gap;
    }
  }
  return total;
}

/**
 * A clock that writes times as the student reads them: `14:02`, or with the
 * date when it is not today.
 */
export function makeClock(
  now: Date,
  timeZone?: string
): (ms: number) => string {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone: Private.validZone(timeZone),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23'
  });
  const parts = (ms: number): { day: string; time: string } => {
    const p: Record<string, string> = {};
    for (const part of format.formatToParts(ms)) {
      p[part.type] = part.value;
    }
    return {
      day: `${p.year}-${p.month}-${p.day}`,
      time: `${p.hour}:${p.minute}`
    };
  };
  const today = parts(now.getTime()).day;
  return (ms: number) => {
    const { day, time } = parts(ms);
    return day === today ? time : `${day} ${time}`;
  };
}

namespace Private {
  /** The zone if the runtime knows it, else undefined (the runtime's own). */
  export function validZone(zone: string | undefined): string | undefined {
    try {
      return zone
        ? new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions()
            .timeZone
        : undefined;
    } catch {
      return undefined;
    }
  }

  /** Two sorted runs, `[0, at)` and `[at, end)`, merged stably. */
  export function merge(items: ITimedEvent[], at: number): ITimedEvent[] {
    const out: ITimedEvent[] = [];
    let i = 0;
    let j = at;
    while (i < at && j < items.length) {
      out.push(items[j].t < items[i].t ? items[j++] : items[i++]);
    }
    while (i < at) {
      out.push(items[i++]);
    }
    while (j < items.length) {
      out.push(items[j++]);
    }
    return out;
  }

  /** Positions of the separators of `YYYY-MM-DDTHH:MM:SS.sssZ`, by character code. */
  const SEPARATORS: [number, number][] = [
    [4, 45],
    [7, 45],
    [10, 84],
    [13, 58],
    [16, 58],
    [19, 46],
    [23, 90]
  ];

  /** The time of a canonical envelope time, or NaN when it is not one. */
  export function canonical(iso: string): number {
    for (const [at, code] of SEPARATORS) {
      if (iso.charCodeAt(at) !== code) {
        return NaN;
      }
    }
    const year = digits(iso, 0, 4);
    const month = digits(iso, 5, 7);
    const day = digits(iso, 8, 10);
    const hour = digits(iso, 11, 13);
    const minute = digits(iso, 14, 16);
    const second = digits(iso, 17, 19);
    const ms = digits(iso, 20, 23);
    // NaN (not digits) fails every comparison below.
    if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23)) {
      return NaN;
    }
    if (!(minute <= 59 && second <= 59 && year >= 0 && ms >= 0)) {
      return NaN;
    }
    return Date.UTC(year, month - 1, day, hour, minute, second, ms);
  }

  /** The number written in `text[from, to)`, or NaN if a character is not a digit. */
  export function digits(text: string, from: number, to: number): number {
    let value = 0;
    for (let i = from; i < to; i++) {
      const digit = text.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) {
        return NaN;
      }
      value = value * 10 + digit;
    }
    return value;
  }
}
