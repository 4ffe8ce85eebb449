/** Built-in caches by name. */
import { noneCache, type Cache } from '../../core/cache.js';

export const builtinCaches: Record<string, (options: { bytesMax?: number }) => Cache> = {
  none: () => noneCache,
};
