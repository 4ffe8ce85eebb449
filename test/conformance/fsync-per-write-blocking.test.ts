import { fsyncPerWriteBlockingEngine } from '../../engines/fsync-per-write-blocking.js';
import { runConformance } from './suite.js';

await runConformance({ engine: fsyncPerWriteBlockingEngine, engineModule: 'fsync-per-write-blocking' });
