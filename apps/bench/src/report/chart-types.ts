/**
 * Charts are data in results.json (not code), so `normkit-bench report DIR` redraws them from the
 * file alone. Three kinds cover the experiments: loss curves (line, often log-y), comparisons (bar)
 * and per-layer profiles (gradient or activation norms by layer, one series per model).
 */
export interface LineChart {
  kind: 'line';
  title: string;
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  series: { name: string; points: [number, number][] }[];
}

export interface BarChart {
  kind: 'bar';
  title: string;
  yLabel: string;
  logY?: boolean;
  /** One group of bars per category; one bar per series in each group (null: no value). */
  categories: string[];
  series: { name: string; values: (number | null)[] }[];
}

export interface ProfileChart {
  kind: 'profile';
  title: string;
  yLabel: string;
  logY?: boolean;
  /** Layer names in depth order (x axis); each series has one value per layer. */
  layers: string[];
  series: { name: string; values: (number | null)[] }[];
}

export type Chart = LineChart | BarChart | ProfileChart;
