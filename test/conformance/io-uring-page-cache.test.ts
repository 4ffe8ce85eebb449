import { ioUringPageCacheEngine } from '../../engines/io-uring.js';
import { runConformance } from './suite.js';

await runConformance({ engine: ioUringPageCacheEngine, engineModule: 'io-uring-page-cache' });
