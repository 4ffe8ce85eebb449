import { pwriteEngine } from '../../engines/pwrite.js';
import { runConformance } from './suite.js';

await runConformance({ engine: pwriteEngine, engineModule: 'pwrite' });
