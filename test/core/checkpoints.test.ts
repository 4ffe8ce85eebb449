/**
 * The root checkpoint files on their own, against real files, in the format Kafka writes and reads
 * them (server-common CheckpointFile, storage OffsetCheckpointFile, CleanShutdownFileHandler):
 * "0\n<count>\n" then "topic partition offset" lines; an empty file or a version line alone reads
 * as empty; fields split on runs of whitespace; a malformed file is refused naming file and line.
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CLEAN_SHUTDOWN_FILE,
  deleteCleanShutdownFile,
  hasCleanShutdownFile,
  readOffsetCheckpoint,
  writeCleanShutdownFile,
  writeOffsetCheckpoint,
} from '../../core/log/checkpoints.js';

let dir: string;
let path: string;
beforeEach(() => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'strata-checkpoints-'));
  path = join(dir, 'recovery-point-offset-checkpoint');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const read = (text: string) => {
  fs.writeFileSync(path, text);
  return readOffsetCheckpoint(path);
};

describe('offset checkpoint files', () => {
  it('writes Kafka bytes: version, count, one "topic partition offset" line each, newline-terminated; topics with dashes split at the last one', () => {
    writeOffsetCheckpoint(path, new Map([['orders-0', 42], ['my-topic-v2-11', 7], ['a.b_c-3', 0]]));
    expect(fs.readFileSync(path, 'utf8')).toBe('0\n3\na.b_c 3 0\nmy-topic-v2 11 7\norders 0 42\n');
    expect(fs.existsSync(`${path}.tmp`)).toBe(false);
    expect(readOffsetCheckpoint(path)).toEqual(new Map([['orders-0', 42], ['my-topic-v2-11', 7], ['a.b_c-3', 0]]));
    writeOffsetCheckpoint(path, new Map());
    expect(fs.readFileSync(path, 'utf8')).toBe('0\n0\n');
    expect(readOffsetCheckpoint(path).size).toBe(0);
  });

  it('reads what Kafka reads as empty: a missing file, an empty file (Kafka creates it so), a version line alone', () => {
    expect(readOffsetCheckpoint(join(dir, 'missing')).size).toBe(0);
    expect(read('').size).toBe(0);
    expect(read('0\n').size).toBe(0);
    expect(read('0').size).toBe(0);
  });

  it('reads entries as Kafka splits them: runs of spaces or tabs, trailing blanks, CRLF line ends, offsets past 2^32', () => {
    expect(read('0\n2\norders  0\t17  \nlogs 12 4294967297\n')).toEqual(new Map([['orders-0', 17], ['logs-12', 4294967297]]));
    expect(read('0\r\n1\r\norders 0 5\r\n')).toEqual(new Map([['orders-0', 5]]));
  });

  it('refuses a malformed file naming the file and the line', () => {
    const cases: [string, RegExp][] = [
      ['1\n0\n', /line 1: version "1", expected 0/],
      ['x\n', /line 1: version "x"/],
      ['0\nmany\n', /line 2: entry count "many" is not a number/],
      ['0\n2\norders 0 5\n', /line 2: says 2 entries, the file has 1/],
      ['0\n1\norders 0 5\nextra 1 1\n', /line 2: says 1 entries, the file has 2/],
      ['0\n1\norders 0\n', /line 3: "orders 0" is not "topic partition offset"/],
      ['0\n1\norders zero 5\n', /line 3: "orders zero 5"/],
      ['0\n1\norders 0 -5\n', /line 3/],
      ['0\n2\norders 0 5\norders 1 x\n', /line 4: "orders 1 x"/],
    ];
    for (const [text, message] of cases) {
      let error: unknown;
      try {
        read(text);
      } catch (err) {
        error = err;
      }
      expect(error, JSON.stringify(text)).toMatchObject({ code: 'CORRUPT_CHECKPOINT' });
      expect((error as Error).message, JSON.stringify(text)).toContain(`checkpoint ${path} `);
      expect((error as Error).message, JSON.stringify(text)).toMatch(message);
    }
  });

  it('a write replaces the file whole: a stale temp file of a crashed write is overwritten, never read', () => {
    fs.writeFileSync(`${path}.tmp`, 'garbage of a crashed write');
    writeOffsetCheckpoint(path, new Map([['t-0', 1]]));
    expect(readOffsetCheckpoint(path)).toEqual(new Map([['t-0', 1]]));
    expect(fs.existsSync(`${path}.tmp`)).toBe(false);
  });

  it('refuses a checkpoint that is not a regular file, naming it', () => {
    fs.mkdirSync(path);
    expect(() => readOffsetCheckpoint(path)).toThrow(new RegExp(path));
  });
});

describe('the clean-shutdown marker', () => {
  it("is Kafka's CleanShutdownFileHandler content, at the log dir root, and goes away durably", () => {
    expect(hasCleanShutdownFile(dir)).toBe(false);
    writeCleanShutdownFile(dir, 17);
    expect(JSON.parse(fs.readFileSync(join(dir, CLEAN_SHUTDOWN_FILE), 'utf8'))).toEqual({ version: 0, brokerEpoch: 17 });
    writeCleanShutdownFile(dir);
    expect(fs.readFileSync(join(dir, CLEAN_SHUTDOWN_FILE), 'utf8')).toBe('{"version":0,"brokerEpoch":-1}');
    expect(hasCleanShutdownFile(dir)).toBe(true);
    deleteCleanShutdownFile(dir);
    expect(hasCleanShutdownFile(dir)).toBe(false);
    deleteCleanShutdownFile(dir); // nothing there: no error
  });

  it('a marker that is not a regular file is refused, naming it', () => {
    fs.mkdirSync(join(dir, CLEAN_SHUTDOWN_FILE));
    expect(() => hasCleanShutdownFile(dir)).toThrow(new RegExp(CLEAN_SHUTDOWN_FILE));
  });
});
