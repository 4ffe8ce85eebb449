/**
 * The environment a run measured: enough to tell two results files apart for a reason other than
 * the code (kernel, CPU, memory, file system and its mount options, block device, its I/O
 * scheduler and write-cache mode, Node and package versions, git commit, workload hash, seed).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import os from 'node:os';
import { promisify } from 'node:util';
import { probeMethod } from './os-probes.js';

const execFileAsync = promisify(execFile);

export interface Fingerprint {
  hostname: string;
  kernel: string;
  platform: string;
  cpuModel: string;
  cpuCount: number;
  memoryBytes: number;
  dataDir: string;
  fileSystem: { type: string; source: string; mountOptions: string };
  blockDevice: { name: string; scheduler: string; writeCache: string; rotational: string } | null;
  node: string;
  packages: Record<string, string>;
  tools: { fio: string | null; iperf3: string | null };
  /** How page-cache residency is read and pages dropped (native addon or fincore + dd). */
  pageCacheProbe: string;
  git: { commit: string; dirty: boolean } | null;
  workloadHash: string;
  seed: number;
  startedAt: string;
}

async function run(cmd: string, args: string[], cwd?: string): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync(cmd, args, { cwd, timeout: 10_000 });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

function readSys(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** The whole-disk name under /sys/block for a device like /dev/vda1 or /dev/nvme0n1p2. */
async function diskOf(source: string): Promise<string | undefined> {
  if (!source.startsWith('/dev/')) return undefined;
  const parent = await run('lsblk', ['-no', 'PKNAME', source]);
  const name = parent && parent.split('\n')[0]!.trim() ? parent.split('\n')[0]!.trim() : basename(source);
  return name;
}

/** Versions of the packages whose code is on the measured path. */
const MEASURED_PACKAGES = ['hdr-histogram-js', 'lz4-napi', 'snappy', '@mongodb-js/zstd', '@node-rs/crc32', 'inversify', 'vega', 'vega-lite'];

function packageVersions(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const require = createRequire(join(root, 'package.json'));
  try {
    out.strata = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    out.strata = 'unknown';
  }
  for (const name of MEASURED_PACKAGES) {
    // node_modules/<name>/package.json directly: packages with an `exports` map often do not export it
    let version = 'not installed';
    for (const candidate of [join(root, 'node_modules', name, 'package.json')]) {
      try {
        version = (JSON.parse(readFileSync(candidate, 'utf8')) as { version: string }).version;
      } catch {
        try {
          version = (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
        } catch {
          // not installed
        }
      }
    }
    out[name] = version;
  }
  return out;
}

/** The repository root: the nearest ancestor of this file holding package.json named strata-log. */
export function repoRoot(): string {
  let dir = dirname(new URL(import.meta.url).pathname);
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'strata-log') return dir;
    } catch {
      // keep walking up
    }
    dir = dirname(dir);
  }
  return process.cwd();
}

export async function fingerprint(dataDir: string, workloadHash: string, seed: number, tools: { fio?: string; iperf3?: string }): Promise<Fingerprint> {
  const root = repoRoot();
  const cpus = os.cpus();
  let fileSystem = { type: 'unknown', source: 'unknown', mountOptions: 'unknown' };
  const fm = await run('findmnt', ['-T', dataDir, '-J', '-o', 'SOURCE,FSTYPE,OPTIONS']);
  if (fm) {
    const f = (JSON.parse(fm) as { filesystems: { source: string; fstype: string; options: string }[] }).filesystems[0];
    if (f) fileSystem = { type: f.fstype, source: f.source, mountOptions: f.options };
  }
  let blockDevice: Fingerprint['blockDevice'] = null;
  const disk = await diskOf(fileSystem.source);
  if (disk) {
    const q = `/sys/block/${disk}/queue`;
    blockDevice = { name: disk, scheduler: readSys(`${q}/scheduler`), writeCache: readSys(`${q}/write_cache`), rotational: readSys(`${q}/rotational`) };
  }
  const commit = await run('git', ['rev-parse', 'HEAD'], root);
  const status = commit ? await run('git', ['status', '--porcelain', '--untracked-files=no'], root) : undefined;
  return {
    hostname: os.hostname(),
    kernel: os.release(),
    platform: `${os.platform()} ${os.arch()}`,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    memoryBytes: os.totalmem(),
    dataDir,
    fileSystem,
    blockDevice,
    node: process.version,
    packages: packageVersions(root),
    tools: { fio: tools.fio ?? null, iperf3: tools.iperf3 ?? null },
    pageCacheProbe: probeMethod(),
    git: commit ? { commit, dirty: (status ?? '') !== '' } : null,
    workloadHash,
    seed,
    startedAt: new Date().toISOString(),
  };
}
