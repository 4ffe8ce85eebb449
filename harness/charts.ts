/**
 * SVG charts drawn with Vega-Lite (compiled to Vega, rendered headless by vega's View.toSVG with
 * the `none` renderer: no browser, no canvas, no native module). See docs/harness.md for why.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { BenchResults } from './results.js';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** One bar of a range chart: `y` the row, `series` the colour within it. */
export interface RangeBar {
  y: string;
  series: string;
  median: number;
  min: number;
  max: number;
}

/** A bar per row and series at its median, a black rule from min to max: how every throughput chart is drawn. */
export function rangeBarSpec(title: string, axis: string, rows: RangeBar[], o: { log?: boolean; labelLimit?: number; legendColumns?: number } = {}): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start' },
    data: { values: rows },
    width: 520,
    height: { step: 14 },
    encoding: {
      y: { field: 'y', type: 'nominal', sort: null, title: null, axis: { labelLimit: o.labelLimit ?? 420 } },
      yOffset: { field: 'series', type: 'nominal' },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 420, ...(o.legendColumns ? { columns: o.legendColumns } : {}) } },
    },
    layer: [
      { mark: 'bar', encoding: { x: { field: 'median', type: 'quantitative', title: axis, ...(o.log ? { scale: { type: 'log' } } : {}) } } },
      { mark: { type: 'rule', color: 'black' }, encoding: { x: { field: 'min', type: 'quantitative' }, x2: { field: 'max' } } },
    ],
  } as TopLevelSpec;
}

export function throughputSpec(results: BenchResults): TopLevelSpec | undefined {
  const rows: RangeBar[] = [];
  for (const c of results.cells) {
    if (c.status !== 'ok') continue;
    for (const [key, label] of [['produce.diskMbPerSec', 'produce (disk MB/s)'], ['warmRead.mbPerSec', 'warm read'], ['coldRead.mbPerSec', 'cold read'], ['ship.mbPerSec', 'ship to receiver']] as const) {
      const s = c.summary[key];
      if (s) rows.push({ y: c.id, series: label, ...s });
    }
  }
  if (rows.length === 0) return undefined;
  return rangeBarSpec(`${results.workload.name}: throughput per cell (median, min–max)`, 'MB/s (10^6 B/s)', rows);
}

const PERCENTILES = [['usP50', 'p50'], ['usP90', 'p90'], ['usP99', 'p99'], ['usP999', 'p99.9'], ['usMax', 'max']] as const;

export function latencySpec(results: BenchResults, prefix: string, title: string): TopLevelSpec | undefined {
  const rows: { cell: string; percentile: string; order: number; us: number }[] = [];
  for (const c of results.cells) {
    if (c.status !== 'ok') continue;
    PERCENTILES.forEach(([key, label], order) => {
      const s = c.summary[`${prefix}.${key}`];
      if (s) rows.push({ cell: c.id, percentile: label, order, us: Math.max(1, s.median) });
    });
  }
  if (rows.length === 0) return undefined;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${results.workload.name}: ${title} (median of repetitions)`, anchor: 'start' },
    data: { values: rows },
    width: 420,
    height: 300,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'percentile', type: 'ordinal', sort: PERCENTILES.map(([, l]) => l), title: 'percentile' },
      y: { field: 'us', type: 'quantitative', scale: { type: 'log' }, title: 'microseconds (log scale)' },
      color: { field: 'cell', type: 'nominal', legend: { orient: 'right', labelLimit: 360 } },
    },
  } as TopLevelSpec;
}

/**
 * Produce records/s against a numeric axis (batchRecords or recordBytes) when the matrix has at
 * least three values of it: the batching curve. One line per combination of the other axes.
 */
export function axisCurveSpec(results: BenchResults, axis: 'batchRecords' | 'recordBytes'): TopLevelSpec | undefined {
  if (results.workload.matrix[axis].length < 3) return undefined;
  const rows: { series: string; x: number; median: number; min: number; max: number }[] = [];
  for (const c of results.cells) {
    const s = c.summary['produce.recordsPerSec'];
    if (c.status !== 'ok' || !s) continue;
    const series = c.id.split('/').filter((part) => part !== (axis === 'batchRecords' ? `b${c.batchRecords}` : `r${c.recordBytes}`)).join('/');
    rows.push({ series, x: c[axis], ...s });
  }
  if (rows.length === 0) return undefined;
  const label = axis === 'batchRecords' ? 'records per batch' : 'record bytes';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${results.workload.name}: produce records/s against ${label} (median, min–max)`, anchor: 'start' },
    data: { values: rows },
    width: 420,
    height: 300,
    encoding: {
      x: { field: 'x', type: 'quantitative', scale: { type: 'log' }, title: `${label} (log scale)` },
      color: { field: 'series', type: 'nominal', legend: { orient: 'bottom', labelLimit: 420 } },
    },
    layer: [
      { mark: { type: 'line', point: true }, encoding: { y: { field: 'median', type: 'quantitative', scale: { type: 'log' }, title: 'records/s (log scale)' } } },
      { mark: 'rule', encoding: { y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' } } },
    ],
  } as TopLevelSpec;
}

/** Writes the charts next to results.json; returns their file names. */
export async function writeCharts(results: BenchResults, outDir: string): Promise<string[]> {
  const written: string[] = [];
  const charts: [string, TopLevelSpec | undefined][] = [
    ['throughput.svg', throughputSpec(results)],
    ['append-latency.svg', latencySpec(results, 'produce.appendLatency', 'append latency percentiles')],
    ['end-to-end-latency.svg', latencySpec(results, 'endToEnd.latency', 'end-to-end latency percentiles')],
    ['batch-curve.svg', axisCurveSpec(results, 'batchRecords')],
    ['record-size-curve.svg', axisCurveSpec(results, 'recordBytes')],
  ];
  for (const [name, spec] of charts) {
    if (!spec) continue;
    await writeFile(join(outDir, name), await renderSvg(spec));
    written.push(name);
  }
  return written;
}
