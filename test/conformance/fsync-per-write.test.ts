import { fsyncPerWriteEngine } from '../../engines/fsync-per-write.js';
import { runConformance } from './suite.js';

await runConformance({ engine: fsyncPerWriteEngine, engineModule: 'fsync-per-write' });
