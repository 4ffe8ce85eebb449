/**
 * Driving crashfs (test/crashfs/crashfs.c) from the tests: build it, mount it over a backing
 * directory, read its counters, cut the power, unmount ("reboot") and mount again.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE_DIR = fileURLToPath(new URL('.', import.meta.url));
export const CRASHFS_BINARY = join(SOURCE_DIR, 'build', 'crashfs');
/** How long a mount or an unmount may take before the test fails (a hang guard on a loaded VM). */
const MOUNT_TIMEOUT_MS = 15_000;

/** Why crashfs cannot run here, or undefined when it can. */
export function crashFsUnavailable(): string | undefined {
  if (!fs.existsSync('/dev/fuse')) return 'no /dev/fuse';
  if (spawnSync('fusermount3', ['-V']).status !== 0) return 'fusermount3 missing (apt-get install fuse3)';
  if (spawnSync('pkg-config', ['--exists', 'fuse3']).status !== 0) return 'libfuse3 headers missing (apt-get install libfuse3-dev pkg-config)';
  return undefined;
}

/**
 * Whether the power-cut tests run: they skip with the reason where FUSE is missing, except where
 * STRATA_REQUIRE_CRASHFS=1 (set by .ci/run), where a missing FUSE fails them instead.
 */
export function crashFsSkipReason(): string | undefined {
  const why = crashFsUnavailable();
  if (why && process.env.STRATA_REQUIRE_CRASHFS === '1') throw new Error(`crashfs required (STRATA_REQUIRE_CRASHFS=1) but ${why}`);
  if (why) console.warn(`power-cut tests skipped: ${why}`);
  return why;
}

/** Builds the daemon (make is a no-op when it is up to date). */
export function buildCrashFs(): string {
  execFileSync('make', ['-s', '-C', SOURCE_DIR], { stdio: ['ignore', 'pipe', 'pipe'] });
  return CRASHFS_BINARY;
}

export type CrashFsStats = Record<
  | 'writes' | 'bytes_written' | 'dsync_writes' | 'fsyncs' | 'fdatasyncs' | 'dirsyncs' | 'synced_bytes' | 'dirty_bytes'
  | 'pending_ops' | 'cuts' | 'dropped_bytes' | 'torn_bytes' | 'undone_ops' | 'eio_after_cut',
  number
>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class CrashFs {
  private constructor(
    readonly backing: string,
    readonly mountpoint: string,
    private readonly flags: readonly string[],
    private readonly daemon: ChildProcess,
    private readonly exited: Promise<number | null>,
    private readonly stderr: { text: string },
  ) {}

  /** Mounts crashfs (a fresh daemon: nothing volatile from an earlier mount) and waits until it serves. */
  static async mount(backing: string, mountpoint: string, flags: readonly string[] = []): Promise<CrashFs> {
    fs.mkdirSync(backing, { recursive: true });
    fs.mkdirSync(mountpoint, { recursive: true });
    const daemon = spawn(CRASHFS_BINARY, [...flags, backing, mountpoint], { stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr = { text: '' };
    daemon.stderr!.on('data', (b: Buffer) => (stderr.text += b.toString()));
    const exited = new Promise<number | null>((resolve) => daemon.on('exit', (code) => resolve(code)));
    const mounted = new CrashFs(backing, mountpoint, flags, daemon, exited, stderr);
    // the control file exists only on the mounted file system, never in the bare mountpoint
    const deadline = Date.now() + MOUNT_TIMEOUT_MS;
    while (!fs.existsSync(mounted.controlPath)) {
      if (daemon.exitCode !== null || Date.now() > deadline) {
        daemon.kill('SIGKILL');
        throw new Error(`crashfs did not mount ${mountpoint} over ${backing}: ${stderr.text || `exit ${daemon.exitCode}`}`);
      }
      await sleep(2);
    }
    return mounted;
  }

  get controlPath(): string {
    return join(this.mountpoint, '.crashfs');
  }

  stats(): CrashFsStats {
    const out: Record<string, number> = {};
    for (const line of fs.readFileSync(this.controlPath, 'utf8').trim().split('\n')) {
      const [key, value] = line.split(' ');
      out[key!] = Number(value);
    }
    return out as CrashFsStats;
  }

  /** The power cut: everything not durable is gone, every later call fails with EIO. `tornSeed`: some dirty pages reach the disk first. */
  cut(tornSeed?: number): void {
    fs.writeFileSync(this.controlPath, tornSeed === undefined ? 'cut\n' : `cut torn ${tornSeed}\n`);
  }

  /** Everything durable (what a clean shutdown's sync does). */
  sync(): void {
    fs.writeFileSync(this.controlPath, 'sync\n');
  }

  /**
   * Unmounts (a power cut for anything still volatile) and waits for the daemon to exit cleanly;
   * a daemon that broke an invariant aborts, and this throws with what it said.
   */
  async unmount(): Promise<void> {
    const deadline = Date.now() + MOUNT_TIMEOUT_MS;
    for (;;) {
      const r = spawnSync('fusermount3', ['-u', this.mountpoint], { encoding: 'utf8' });
      if (r.status === 0) break;
      // busy: a killed process's files are still being released
      if (Date.now() > deadline) throw new Error(`fusermount3 -u ${this.mountpoint} failed: ${r.stderr}`);
      await sleep(5);
    }
    const code = await this.exited;
    if (code !== 0) throw new Error(`crashfs on ${this.mountpoint} exited with ${code}: ${this.stderr.text}`);
  }

  /** Unmount and mount again: the reboot after a power cut (the kernel's caches of the mount go with it). */
  async remount(): Promise<CrashFs> {
    await this.unmount();
    return CrashFs.mount(this.backing, this.mountpoint, this.flags);
  }

  /** For afterAll: unmount whatever state things are in (lazily if something still holds files). */
  async forceUnmount(): Promise<void> {
    if (this.daemon.exitCode !== null) return;
    if (spawnSync('fusermount3', ['-u', this.mountpoint]).status !== 0) spawnSync('fusermount3', ['-u', '-z', this.mountpoint]);
    await Promise.race([this.exited, sleep(MOUNT_TIMEOUT_MS)]);
    if (this.daemon.exitCode === null) this.daemon.kill('SIGKILL');
  }

  /** What the daemon wrote to stderr so far (limit messages, invariant failures). */
  get messages(): string {
    return this.stderr.text;
  }
}
