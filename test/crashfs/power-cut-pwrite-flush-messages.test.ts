import { describePowerCuts } from './power-cut-suite.js';

// acknowledged when the append resolves: with flush.messages=1 the Log flushes before that
describePowerCuts('pwrite', { ack: 'append', config: ['flush.messages=1'] });
