import { pwriteBlockingEngine } from '../../engines/pwrite-blocking.js';
import { runConformance } from './suite.js';

runConformance({ engine: pwriteBlockingEngine, engineModule: 'pwrite-blocking' });
