import { describePowerCuts } from './power-cut-suite.js';

/**
 * The direct engine (O_DIRECT through crashfs, which sees each direct write as a write of its own
 * and keeps it volatile until an fdatasync). 50 cuts in the suite; STRATA_POWER_CUTS=200 by hand.
 */
const CUTS = Number(process.env.STRATA_POWER_CUTS ?? 50);

// acknowledged when the append's promise resolves (durableAppend: after the fdatasync that covers it)
describePowerCuts('direct', { ack: 'flush' }, undefined, CUTS);
