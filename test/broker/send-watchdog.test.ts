/** SendWatchdog: fires one idle period after the last progress, never while progress keeps coming, never after stop. */
import { expect, it } from 'vitest';
import { SendWatchdog } from '../../broker/send-watchdog.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('fires an idle period after the last progress, not before, and not after stop()', async () => {
  let firedAt = 0;
  const w = new SendWatchdog(200, () => (firedAt = performance.now()));
  w.start();
  for (let i = 0; i < 10; i++) {
    await sleep(50);
    w.progress();
  }
  const lastProgress = performance.now();
  expect(firedAt).toBe(0);
  await sleep(600);
  expect(firedAt).toBeGreaterThanOrEqual(lastProgress + 195);

  let fired = false;
  const stopped = new SendWatchdog(100, () => (fired = true));
  stopped.start();
  stopped.stop();
  await sleep(250);
  expect(fired).toBe(false);
});
