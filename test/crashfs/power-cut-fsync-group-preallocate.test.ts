import { describePowerCuts } from './power-cut-suite.js';

// preallocated segments: fallocate reserves segment.bytes ahead; roll and close trim the reservation
describePowerCuts('fsync-group', { ack: 'flush', config: ['preallocate=true'] });
