import { mmapEngine } from '../../engines/mmap.js';
import { runConformance } from './suite.js';

await runConformance({ engine: mmapEngine, engineModule: 'mmap' });
