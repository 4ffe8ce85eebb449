import { describePowerCuts } from './power-cut-suite.js';

/**
 * The io-uring engine's writes and fdatasyncs run in the kernel's io_uring workers, which write
 * through FUSE to crashfs like any other writer. 40 cuts by default, so the suite's run stays
 * short; STRATA_POWER_CUTS=200 for the full count by hand.
 */
const CUTS = Number(process.env.STRATA_POWER_CUTS ?? 40);

// acknowledged as crash-writer.ts does: the append's promise for a durableAppend engine
describePowerCuts('io-uring', { ack: 'flush' }, undefined, CUTS);
