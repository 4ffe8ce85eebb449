/** Built-in caches by name. */
import { noneCache, type Cache } from '../../core/cache.js';
import { PageCache } from './page-cache.js';
import { UserLruCache } from './user-lru.js';

export const builtinCaches: Record<string, (options: { bytesMax?: number }) => Cache> = {
  none: () => noneCache,
  'page-cache': () => new PageCache(),
  'user-lru': (options) => new UserLruCache({ bytesMax: options.bytesMax }),
};
