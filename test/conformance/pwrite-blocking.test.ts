import { pwriteBlockingEngine } from '../../engines/pwrite-blocking.js';
import { runConformance } from './suite.js';

await runConformance({ engine: pwriteBlockingEngine, engineModule: 'pwrite-blocking' });
