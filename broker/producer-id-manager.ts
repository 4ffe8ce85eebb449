/**
 * Hands out producer ids for InitProducerId, unique across restarts: a producer id reused after a
 * restart would meet the old producer's state (epoch 0, a high sequence) in every partition and be
 * refused with OUT_OF_ORDER_SEQUENCE_NUMBER. Kafka's controller allocates blocks of 1000 ids
 * (ProducerIdManager, PRODUCER_ID_BLOCK_SIZE) and records each block in its metadata log before
 * any id of it is used; strata records the end of the block in DATA_DIR/strata-producer-ids.json
 * (temp file, fsync, rename) before handing out the first id of a block.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { StrataError } from '../core/errors.js';

export const PRODUCER_IDS_FILE = 'strata-producer-ids.json';
export const PRODUCER_ID_BLOCK_SIZE = 1000;

export class ProducerIdManager {
  private readonly file: string;
  private next: number;
  /** First id not covered by the block recorded on disk. */
  private blockEnd: number;

  constructor(dataDir: string) {
    this.file = join(dataDir, PRODUCER_IDS_FILE);
    this.blockEnd = 0;
    if (fs.existsSync(this.file)) {
      let saved: { nextBlockStart?: unknown };
      try {
        saved = JSON.parse(fs.readFileSync(this.file, 'utf8')) as { nextBlockStart?: unknown };
      } catch (err) {
        throw new StrataError('STORAGE_ERROR', `${this.file} is not valid JSON: ${(err as Error).message}`);
      }
      if (!Number.isSafeInteger(saved.nextBlockStart) || (saved.nextBlockStart as number) < 0) {
        throw new StrataError('STORAGE_ERROR', `${this.file}: nextBlockStart must be a non-negative integer, got ${JSON.stringify(saved.nextBlockStart)}`);
      }
      this.blockEnd = saved.nextBlockStart as number;
    }
    // ids of a block recorded but not all used before a restart are skipped, never reused
    this.next = this.blockEnd;
  }

  generateProducerId(): number {
    if (this.next >= this.blockEnd) {
      const end = this.next + PRODUCER_ID_BLOCK_SIZE;
      this.save(end);
      this.blockEnd = end;
    }
    return this.next++;
  }

  private save(nextBlockStart: number): void {
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify({ nextBlockStart }) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
  }
}
