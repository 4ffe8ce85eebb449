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

export function plainProgress(write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Progress {
  let total = 0;
  let done = 0;
  return {
    start: (t) => {
      total = t;
      done = 0;
    },
    advance: (by, message) => {
      done += by;
      write(`[${done}/${total}] ${message}`);
    },
    log: (message) => write(message),
    stop: () => {},
  };
}

export function barProgress(): Progress {
  const bar = new cliProgress.SingleBar(
    { format: 'strata bench |{bar}| {value}/{total} reps | {message}', hideCursor: true, clearOnComplete: false, stream: process.stderr },
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
