import { fsyncGroupEngine } from '../../engines/fsync-group.js';
import { runConformance } from './suite.js';

await runConformance({ engine: fsyncGroupEngine, engineModule: 'fsync-group' });
