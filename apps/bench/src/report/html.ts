import { isNormkit } from '../kernels/backends.js';
import { NO_BACKWARD_PEER } from '../kernels/table.js';
import type { KernelRow, KernelSection, Results } from '../results.js';
import type { ExperimentResult } from '../runner/runner.js';
import { fmt, fmtDiff } from '../table.js';
import { matmulCharts, normCharts } from './kernel-charts.js';
import { escapeXml as esc, renderChart } from './svg.js';

/**
 * The self-contained report: one HTML file, inline CSS, charts as inline SVG, no script and no
 * external resource, so it opens offline and can be attached to an issue as is. It is a pure
 * function of results.json (the `report DIR` command re-renders it from the file).
 */
const CSS = `body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:1em 0}th,td{border:1px solid #ddd;padding:3px 7px}
th{background:#f4f4f4;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.normkit td{background:#f3f8ff}.verdict{display:inline-block;padding:2px 8px;border-radius:4px;color:#fff}
.reproduced{background:#2e7d32}.not-reproduced{background:#c62828}.inconclusive{background:#8d6e00}
.bad{color:#c62828;font-weight:bold}svg.chart{max-width:100%;height:auto;display:block;margin:1em 0}
code,pre{background:#f6f6f6}pre{padding:.6em;overflow:auto;font-size:12px}`;

function kernelTable(rows: KernelRow[], matmul: boolean): string {
  const head = [
    'kernel',
    'layout',
    'impl',
    'median ms',
    'min ms',
    matmul ? 'GFLOP/s' : 'GB/s',
    't/copy',
    't/normkit',
    'maxdiff',
    'note',
  ];
  const body = rows.map((r) => {
    const cells = [
      `<td>${esc(r.kernel)}</td>`,
      `<td>${esc(r.layout)}</td>`,
      `<td>${esc(r.impl)}</td>`,
      `<td class="n">${fmt(r.medianMs)}</td>`,
      `<td class="n">${fmt(r.minMs)}</td>`,
      `<td class="n">${fmt(matmul ? r.gflops : r.gbps)}</td>`,
      `<td class="n">${fmt(r.xCopy)}</td>`,
      `<td class="n">${r.vsNormkit === null && isNormkit(r.impl) ? '' : fmt(r.vsNormkit)}</td>`,
      `<td class="n${r.ok === false ? ' bad' : ''}">${fmtDiff(r.maxdiff)}</td>`,
      `<td>${esc(r.note)}</td>`,
    ];
    return `<tr class="${isNormkit(r.impl) ? 'normkit' : 'peer'}">${cells.join('')}</tr>`;
  });
  return `<table class="kernels"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>\n${body.join('\n')}\n</tbody></table>`;
}

function peerList(section: KernelSection): string {
  if (section.peers.length === 0) return '<p>Peers: none requested.</p>';
  const items = section.peers.map(
    (p) =>
      `<li>${esc(p.name)}: ${p.available ? `version ${esc(p.version)}` : 'not available'}${p.note ? ` (${esc(p.note)})` : ''}</li>`,
  );
  return `<ul>${items.join('')}</ul>`;
}

export function samplesText(s: KernelSection): string {
  const budget = Number.isFinite(s.budgetMs)
    ? ` (fewer, down to one, for a call slower than ${fmt(s.budgetMs / s.reps)} ms: ${fmt(s.budgetMs / 1000)} s per implementation and case)`
    : '';
  return `Median of ${s.reps} samples${budget}.`;
}

function kernelSection(title: string, section: KernelSection, matmul: boolean): string {
  const charts = (matmul ? matmulCharts(section) : normCharts(section)).map(renderChart);
  return [
    `<section id="${matmul ? 'matmul' : 'kernels'}"><h2>${title}</h2>`,
    `<p>${samplesText(section)} Every implementation was checked against the float64 reference before it was timed (maxdiff column).</p>`,
    peerList(section),
    matmul ? '' : `<p>${esc(NO_BACKWARD_PEER)}</p>`,
    ...charts,
    kernelTable(section.rows, matmul),
    '</section>',
  ].join('\n');
}

function experimentSection(e: ExperimentResult): string {
  const cls = e.verdict.verdict.replace(' ', '-');
  const failed = e.runs.filter((r) => r.error);
  return [
    `<section class="experiment" id="exp-${esc(e.id)}"><h2>${esc(e.title)}</h2>`,
    `<p><b>Claim.</b> ${esc(e.claim)}</p>`,
    `<p><span class="verdict ${cls}">${esc(e.verdict.verdict)}</span> ${esc(e.verdict.summary)}</p>`,
    ...e.charts.map(renderChart),
    `<p>${e.runs.length} runs (${esc(e.mode)} configuration)${failed.length ? `, <span class="bad">${failed.length} failed</span>` : ''}.</p>`,
    ...failed.map((r) => `<p class="bad">${esc(`${r.variant} seed ${r.seed}: ${r.error}`)}</p>`),
    `<details><summary>configuration</summary><pre>${esc(JSON.stringify(e.config, null, 1))}</pre></details>`,
    '</section>',
  ].join('\n');
}

export function renderReport(r: Results): string {
  const env = r.environment;
  const parts = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>normkit bench ${esc(r.createdAt)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<h1>normkit bench, ${esc(r.mode)} run</h1>`,
    `<p>${esc(r.createdAt)} &#183; <code>normkit-bench ${esc(r.command.join(' '))}</code> &#183; seed ${r.seed} &#183; ${fmt(r.durationMs / 1000)} s</p>`,
    `<p>Node ${esc(env.node)} (V8 ${esc(env.v8)}), ${esc(env.platform)}/${esc(env.arch)}, ${esc(env.cpuModel)}, ${env.cores} cores, ${env.memoryGB} GB.` +
      `${r.text ? ` Training text: ${esc(r.text.path)} (${r.text.bytes} bytes).` : ''}</p>`,
    "<p>GB/s = (bytes read + bytes written) / median time. t/copy = time / time of Float32Array.set moving the same traffic in this run (1 = memory-bound optimum). t/normkit = time / normkit's time on the same case (above 1: normkit is faster).</p>",
  ];
  if (r.kernels) parts.push(kernelSection('Norm kernels (float32)', r.kernels, false));
  if (r.matmul) parts.push(kernelSection('Matmul (float32)', r.matmul, true));
  if (r.experiments) {
    if (r.experiments.length === 0)
      parts.push(
        '<section id="experiments"><h2>Experiments</h2><p>No experiments registered yet.</p></section>',
      );
    else parts.push(...r.experiments.map(experimentSection));
  }
  parts.push('</body></html>');
  return `${parts.join('\n')}\n`;
}
