import { describePowerCuts } from './power-cut-suite.js';

// acknowledged as crash-writer.ts does: the append's promise for a durableAppend engine, after log.flush() otherwise
describePowerCuts('mmap', { ack: 'flush' });
