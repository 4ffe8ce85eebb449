import { directEngine } from '../../engines/direct/direct.js';
import { runConformance } from './suite.js';

await runConformance({ engine: directEngine, engineModule: 'direct' });
