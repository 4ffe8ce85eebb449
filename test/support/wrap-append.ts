/**
 * A real engine whose segment files' append goes through `wrap`: how tests watch what reaches the
 * engine, or make one append fail, while every byte still goes to a real file.
 */
import type { SegmentFile, StorageEngine } from '../../core/engine.js';

export type AppendFn = SegmentFile['append'];

export function wrapAppend(base: StorageEngine, wrap: (append: AppendFn) => AppendFn): StorageEngine {
  return {
    ...base,
    open: async (path, options) => {
      const file = await base.open(path, options);
      return Object.assign(file, { append: wrap(file.append.bind(file)) });
    },
  };
}
