/** Whether strace runs here (the strace tests skip with one line saying how to install it, without). */
import { execFileSync } from 'node:child_process';

export function hasStrace(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
