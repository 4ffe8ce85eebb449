import { pwriteEngine } from '../../engines/pwrite.js';
import { runConformance } from './suite.js';

runConformance({ engine: pwriteEngine, engineModule: 'pwrite' });
