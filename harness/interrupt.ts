/**
 * Stopping a run on SIGINT / SIGTERM (`strata bench`): the command aborts an AbortSignal, the run
 * stops waiting for the cell in progress, and what finished is written, marked interrupted. A cell
 * in progress cannot be cancelled from outside (its appends and reads are promises in flight), so
 * it is abandoned: the process exits right after the results are written and its run directory is
 * removed, which ends it.
 */

/** The run was stopped by a signal; `signal` names it (SIGINT, SIGTERM). */
export class Interrupted extends Error {
  constructor(readonly signal: string) {
    super(`interrupted by ${signal}`);
    this.name = 'Interrupted';
  }
}

/** The signal's name an AbortSignal was aborted with ('SIGINT' when the reason is not a string). */
export function signalName(signal: AbortSignal): string {
  return typeof signal.reason === 'string' ? signal.reason : 'SIGINT';
}

/** `work`, or an Interrupted rejection as soon as `signal` aborts; abandoned work's failure is dropped. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(new Interrupted(signalName(signal)));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => {});
      reject(new Interrupted(signalName(signal)));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Exit codes of a process ended by a signal, as a shell reports them (128 + the signal's number). */
export function signalExitCode(signal: string): number {
  return signal === 'SIGTERM' ? 143 : 130;
}
