/** Every built-in cache runs the cache conformance suite. */
import { builtinCaches } from '../../engines/cache/index.js';
import { runCacheConformance } from './cache-suite.js';

for (const [name, make] of Object.entries(builtinCaches)) {
  await runCacheConformance({ cache: () => make({ bytesMax: name === 'user-lru' ? 8 << 20 : undefined }) });
}
