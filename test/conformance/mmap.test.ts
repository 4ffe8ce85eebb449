import { mmapEngine } from '../../engines/mmap.js';
import { runConformance } from './suite.js';

runConformance({ engine: mmapEngine, engineModule: 'mmap' });
