/** Shared pieces of the broker tests: an in-process broker on an ephemeral port, kcat, segment checks. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { validateBatch } from '../../core/format/record-batch.js';
import type { Logger } from '../../core/tokens.js';
import { startBroker, type StartBrokerOptions } from '../../broker/start.js';
import type { KafkaServer } from '../../broker/server.js';

export interface TestBroker {
  server: KafkaServer;
  port: number;
  dataDir: string;
  bootstrap: string;
  lines: string[];
  close(): Promise<void>;
}

export function captureLogger(lines: string[]): Logger {
  return {
    info: (m) => lines.push(`INFO ${m}`),
    warn: (m) => lines.push(`WARN ${m}`),
    error: (m) => lines.push(`ERROR ${m}`),
  };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `strata-broker-${prefix}-`));
}

/** tempDir(`PREFIX-TAG`) for one test file; every directory it made is removed after the file's last test. */
export function tempDirsRemovedAfterAll(prefix: string): (tag: string) => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  return (tag) => {
    const d = tempDir(`${prefix}-${tag}`);
    dirs.push(d);
    return d;
  };
}

export async function startTestBroker(opts: Partial<StartBrokerOptions> = {}): Promise<TestBroker> {
  const lines: string[] = [];
  const dataDir = opts.dataDir ?? tempDir('data');
  const server = await startBroker({
    dataDir,
    host: '127.0.0.1',
    port: 0,
    autoCreateTopics: true,
    logger: captureLogger(lines),
    ...opts,
    config: { 'group.initial.rebalance.delay.ms': '0', ...opts.config },
  });
  return {
    server,
    port: server.port,
    dataDir,
    bootstrap: `127.0.0.1:${server.port}`,
    lines,
    close: async () => {
      await server.close();
      // a data dir the helper made is removed; one the caller passed is the caller's
      if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a command (kcat) with optional stdin, killing it after timeoutMs. */
export function run(cmd: string, args: readonly string[], input?: Buffer | string, timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.on('error', () => {});
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** Every batch of every segment of a partition directory passes core validateBatch; returns the batch count. */
export function validateSegments(partitionDir: string): { batches: number; segments: number } {
  let batches = 0;
  let segments = 0;
  for (const name of fs.readdirSync(partitionDir).filter((n) => n.endsWith('.log')).sort()) {
    segments++;
    const buf = fs.readFileSync(join(partitionDir, name));
    let position = 0;
    while (position < buf.length) {
      position += validateBatch(buf, position);
      batches++;
    }
  }
  return { batches, segments };
}
