/**
 * Console progress: a bar with ETA plus one live line per running job, redrawn in place when the
 * output is a terminal; plain, throttled lines otherwise (CI logs, pipes), so a log file stays short
 * and readable.
 */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  /** terminal width; 0 or absent (a pty without a size) means 100 */
  columns?: number;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** ETA from the fraction done so far, assuming the remaining work goes at the same average rate. */
export function eta(elapsedMs: number, fraction: number): number {
  if (fraction <= 0) return Number.NaN;
  if (fraction >= 1) return 0;
  return (elapsedMs * (1 - fraction)) / fraction;
}

export function bar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

interface Task {
  label: string;
  /** Work units (weights): the fraction done and the ETA come from these. */
  total: number;
  done: number;
  /** Items (cases, jobs) for the "7/22" counter. */
  items: number;
  itemsDone: number;
  started: number;
  /** Fraction of the current unit(s) already done (training steps of running jobs). */
  partial: number;
  lastPlain: number;
  lastPlainFraction: number;
}

export class Progress {
  private task: Task | null = null;
  private readonly live = new Map<string, { text: string; lastPlain: number }>();
  private drawnLines = 0;
  private lastDraw = 0;
  readonly tty: boolean;

  constructor(
    private readonly out: Output,
    private readonly now: () => number = () => performance.now(),
    /** Plain mode: minimum time between progress lines (ms). */
    private readonly plainIntervalMs = 10_000,
  ) {
    this.tty = out.isTTY === true;
  }

  /**
   * Start a task of `items` items weighing `total` units together (default one unit per item).
   * Weights keep the ETA honest when items differ in cost (a [8192,768] case vs a [512,768] one).
   */
  start(label: string, items: number, total = items): void {
    const t = this.now();
    this.task = {
      label,
      total,
      done: 0,
      items,
      itemsDone: 0,
      started: t,
      partial: 0,
      lastPlain: t,
      lastPlainFraction: 0,
    };
    this.redraw(true);
  }

  /** Mark one item of `units` weight done; `partial`: units of in-flight items already done. */
  advance(units = 1, partial = 0): void {
    if (!this.task) return;
    this.task.done += units;
    this.task.itemsDone += 1;
    this.task.partial = partial;
    this.redraw(false);
  }

  setPartial(partial: number): void {
    if (!this.task) return;
    this.task.partial = partial;
    this.redraw(false);
  }

  /** Set (or clear, with null) the live line of a job. */
  setLive(id: string, text: string | null): void {
    if (text === null) {
      this.live.delete(id);
    } else {
      const entry = this.live.get(id);
      if (entry) entry.text = text;
      else this.live.set(id, { text, lastPlain: Number.NEGATIVE_INFINITY });
    }
    this.redraw(false);
    if (!this.tty && text !== null) {
      const entry = this.live.get(id)!;
      const t = this.now();
      if (t - entry.lastPlain >= this.plainIntervalMs) {
        entry.lastPlain = t;
        this.out.write(`  ${text}\n`);
      }
    }
  }

  /** A permanent line (kept in the output above the live block). */
  log(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
    this.redraw(true);
  }

  finish(): void {
    if (this.task && !this.tty) {
      const t = this.task;
      this.out.write(
        `${t.label}: ${t.itemsDone}/${t.items} done in ${formatDuration(this.now() - t.started)}\n`,
      );
    }
    this.clear();
    this.task = null;
    this.live.clear();
  }

  statusLine(): string {
    const t = this.task;
    if (!t) return '';
    const fraction = t.total > 0 ? Math.min(1, (t.done + t.partial) / t.total) : 1;
    const elapsed = this.now() - t.started;
    const width = Math.max(10, Math.min(30, (this.out.columns || 100) - 60));
    return (
      `${t.label} ${bar(fraction, width)} ${t.itemsDone}/${t.items} ${(fraction * 100).toFixed(0)}% ` +
      `elapsed ${formatDuration(elapsed)} ETA ${formatDuration(eta(elapsed, fraction))}`
    );
  }

  private redraw(force: boolean): void {
    const t = this.now();
    if (!this.tty) {
      this.plainProgress(t);
      return;
    }
    if (!force && t - this.lastDraw < 100) return;
    this.lastDraw = t;
    this.clear();
    const cols = Math.max(20, (this.out.columns || 100) - 1);
    const lines = [this.statusLine(), ...[...this.live.values()].map((l) => `  ${l.text}`)]
      .filter((l) => l.length > 0)
      .map((l) => l.slice(0, cols));
    if (lines.length > 0) this.out.write(`${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }

  /** Plain mode: a progress line every 10% or plainIntervalMs, whichever comes first. */
  private plainProgress(t: number): void {
    const task = this.task;
    if (!task || task.total === 0) return;
    const fraction = (task.done + task.partial) / task.total;
    if (fraction - task.lastPlainFraction >= 0.1 - 1e-9 || t - task.lastPlain >= this.plainIntervalMs) {
      if (fraction >= 1 || fraction === task.lastPlainFraction) return;
      task.lastPlain = t;
      task.lastPlainFraction = fraction;
      this.out.write(`${this.statusLine()}\n`);
    }
  }

  private clear(): void {
    if (!this.tty || this.drawnLines === 0) return;
    // cursor up to the first drawn line, then clear to the end of the screen
    this.out.write(`\x1b[${this.drawnLines}F\x1b[0J`);
    this.drawnLines = 0;
  }
}
