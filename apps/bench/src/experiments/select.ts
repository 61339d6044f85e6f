import { UsageError } from '../args.js';
import type { AnyExperiment, Mode } from './types.js';

/** Which experiments a command runs, and which registered ones it leaves out (the quick run's). */
export interface Selection {
  selected: AnyExperiment[];
  skipped: AnyExperiment[];
}

/**
 * The experiments to run. Ids named on the command line run as given, in that order and in the
 * requested mode (`experiments e5 --quick` runs E5's quick config); ids match case-insensitively
 * and a repeated id runs once. Without ids, --full runs every registered experiment, while --quick
 * runs only those marked `inQuickRun` (the others' quick configs are smoke tests whose verdicts
 * mean little) and reports the rest as skipped.
 */
export function selectExperiments(
  list: readonly AnyExperiment[],
  ids: readonly string[],
  mode: Mode,
): Selection {
  if (ids.length === 0) {
    if (mode === 'full') return { selected: [...list], skipped: [] };
    return {
      selected: list.filter((e) => e.inQuickRun === true),
      skipped: list.filter((e) => e.inQuickRun !== true),
    };
  }
  const selected: AnyExperiment[] = [];
  for (const id of ids) {
    const e = list.find((x) => x.id.toLowerCase() === id.toLowerCase());
    if (!e) {
      throw new UsageError(
        `unknown experiment ${JSON.stringify(id)} (registered: ${list.map((x) => x.id).join(', ') || 'none'})`,
      );
    }
    if (!selected.includes(e)) selected.push(e);
  }
  return { selected, skipped: [] };
}

/** The one line telling what the quick run left out and how to run it; null when nothing was. */
export function skippedLine(skipped: readonly AnyExperiment[]): string | null {
  if (skipped.length === 0) return null;
  const ids = skipped.map((e) => e.id);
  return (
    `experiments not in the quick run: ${ids.join(', ')} ` +
    `(run them with \`normkit-bench experiments ${ids.join(' ')} --quick\`, or every experiment with --full)`
  );
}
