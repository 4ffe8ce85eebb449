/**
 * Expanding a workload's matrix into cells: the cartesian product of every axis, in a fixed order
 * (engine outermost, then transfer, cache, codec, record size, batch size, then config keys sorted),
 * so the same workload always gives the same cell ids.
 */
import { StrataError } from '../core/errors.js';
import { LIMITS, type MatrixAxes, type Workload } from './workload.js';

export interface Cell {
  /** Stable, readable id: engine/transfer/cache/codec/r<recordBytes>/b<batchRecords>[/key=value...]. */
  id: string;
  engine: string;
  transfer: string;
  cache: string;
  codec: string;
  recordBytes: number;
  batchRecords: number;
  /** Kafka log config overrides for this cell. */
  config: Record<string, string>;
}

export function cellId(c: Omit<Cell, 'id'>): string {
  const parts = [c.engine, c.transfer, c.cache, c.codec, `r${c.recordBytes}`, `b${c.batchRecords}`];
  for (const key of Object.keys(c.config).sort()) parts.push(`${key}=${c.config[key]}`);
  return parts.join('/');
}

export function expandMatrix(axes: MatrixAxes): Cell[] {
  const configKeys = Object.keys(axes.config).sort();
  let count = axes.engine.length * axes.transfer.length * axes.cache.length * axes.codec.length * axes.recordBytes.length * axes.batchRecords.length;
  for (const key of configKeys) count *= axes.config[key]!.length;
  if (count > LIMITS.cellsMax) {
    throw new StrataError('INVALID_ARGUMENT', `matrix expands to ${count} cells, more than the limit of ${LIMITS.cellsMax}`);
  }
  let configs: Record<string, string>[] = [{}];
  for (const key of configKeys) {
    configs = configs.flatMap((base) => axes.config[key]!.map((value) => ({ ...base, [key]: value })));
  }
  const cells: Cell[] = [];
  for (const engine of axes.engine)
    for (const transfer of axes.transfer)
      for (const cache of axes.cache)
        for (const codec of axes.codec)
          for (const recordBytes of axes.recordBytes)
            for (const batchRecords of axes.batchRecords)
              for (const config of configs) {
                const cell = { engine, transfer, cache, codec, recordBytes, batchRecords, config };
                cells.push({ id: cellId(cell), ...cell });
              }
  return cells;
}

/** Overrides from the command line (`--engine a,b` ...): each replaces that axis entirely. */
export interface AxisOverrides {
  engine?: string[];
  transfer?: string[];
  cache?: string[];
  codec?: string[];
  recordBytes?: number[];
  batchRecords?: number[];
  config?: Record<string, string[]>;
}

export function applyOverrides(workload: Workload, overrides: AxisOverrides): Workload {
  const m = workload.matrix;
  return {
    ...workload,
    matrix: {
      engine: overrides.engine ?? m.engine,
      transfer: overrides.transfer ?? m.transfer,
      cache: overrides.cache ?? m.cache,
      codec: overrides.codec ?? m.codec,
      recordBytes: overrides.recordBytes ?? m.recordBytes,
      batchRecords: overrides.batchRecords ?? m.batchRecords,
      config: { ...m.config, ...(overrides.config ?? {}) },
    },
  };
}
