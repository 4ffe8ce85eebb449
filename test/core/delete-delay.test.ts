/**
 * Segments deleted by retention leave the log at once but keep their descriptor open for
 * file.delete.delay.ms, so a slice handed to a transfer before the deletion still reads the right
 * bytes (a closed, reused descriptor would send another file's bytes).
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Log, logConfigFrom, silentLogger, validateBatch } from '../../core/index.js';
import { pwriteEngine } from '../../engines/pwrite.js';

describe('file.delete.delay.ms', () => {
  it('keeps a deleted segment readable through slices already handed out, then removes it', async () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-delay-'));
    const config = logConfigFrom({ 'segment.bytes': '3000', 'retention.ms': '-1', 'file.delete.delay.ms': '300' });
    const log = await Log.open(dir, config, { engine: pwriteEngine, logger: silentLogger });
    for (let i = 0; i < 30; i++) await log.appendRecords([{ value: Buffer.alloc(300, i) }]);
    const slice = (await log.read(0, 1000)).slices[0]!;
    const expected = fs.readFileSync(slice.path).subarray(slice.position, slice.position + slice.length);
    (log.config as { retentionBytes: number }).retentionBytes = 3000;
    expect(await log.deleteOldSegments()).toBeGreaterThan(0);
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(fs.existsSync(slice.path)).toBe(false);
    expect(fs.existsSync(`${slice.path}.deleted`)).toBe(true);
    const viaFd = Buffer.alloc(slice.length);
    fs.readSync(slice.fd, viaFd, 0, slice.length, slice.position); // what a transfer would send
    expect(viaFd.equals(expected)).toBe(true);
    expect(validateBatch(viaFd, 0)).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 600));
    expect(fs.existsSync(`${slice.path}.deleted`)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.deleted'))).toEqual([]);
    await log.close();
  });
});
