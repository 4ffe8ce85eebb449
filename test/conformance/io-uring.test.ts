import { ioUringEngine } from '../../engines/io-uring.js';
import { runConformance } from './suite.js';

await runConformance({ engine: ioUringEngine, engineModule: 'io-uring' });
