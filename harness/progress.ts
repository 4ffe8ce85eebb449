/**
 * Progress: a cli-progress bar on an interactive terminal, plain lines elsewhere (CI, pipes, tests),
 * all on stderr so stdout stays for results.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  start(total: number): void;
  advance(by: number, message: string): void;
  log(message: string): void;
  stop(): void;
}

/**
 * One repetition's line, as kafka-producer-perf-test prints its own: records/s, MB/s and the
 * append latency percentiles (MB = 10^6 bytes).
 */
export function repetitionLine(cellId: string, rep: number, reps: number, m: Readonly<Record<string, number>>): string {
  const n = (v: number | undefined, digits = 0) => (v ?? 0).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return `${cellId} rep ${rep}/${reps}: ${n(m['produce.recordsPerSec'])} records/s (${n(m['produce.mbPerSec'], 2)} MB/s), append p50 ${n(m['produce.appendLatency.usP50'], 1)} us, p99 ${n(m['produce.appendLatency.usP99'], 1)} us, max ${n(m['produce.appendLatency.usMax'], 1)} us`;
}

/** "ETA 1m05s" from the time the done part took (repetitions take about as long as each other). */
export function etaText(elapsedMs: number, done: number, total: number): string {
  if (done <= 0 || done >= total) return done >= total ? 'done' : 'ETA unknown';
  const s = Math.round(((elapsedMs / done) * (total - done)) / 1000);
  return `ETA ${s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`}`;
}

export function plainProgress(write: (line: string) => void = (l) => process.stderr.write(`${l}\n`), now: () => number = Date.now): Progress {
  let total = 0;
  let done = 0;
  let started = 0;
  return {
    start: (t) => {
      total = t;
      done = 0;
      started = now();
    },
    advance: (by, message) => {
      done += by;
      write(`[${done}/${total}] ${message}; ${etaText(now() - started, done, total)}`);
    },
    log: (message) => write(message),
    stop: () => {},
  };
}

export function barProgress(): Progress {
  const bar = new cliProgress.SingleBar(
    { format: 'strata bench |{bar}| {value}/{total} reps | ETA {eta_formatted} | {message}', hideCursor: true, clearOnComplete: false, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (total) => bar.start(total, 0, { message: 'starting' }),
    advance: (by, message) => bar.increment(by, { message }),
    log: (message) => {
      // print above the bar without tearing it
      process.stderr.write(`\r\x1b[K${message}\n`);
      bar.render();
    },
    stop: () => bar.stop(),
  };
}

/** A bar only when stderr is a terminal and not in CI. */
export function defaultProgress(): Progress {
  return process.stderr.isTTY && !process.env.CI ? barProgress() : plainProgress();
}

export const silentProgress: Progress = { start: () => {}, advance: () => {}, log: () => {}, stop: () => {} };
