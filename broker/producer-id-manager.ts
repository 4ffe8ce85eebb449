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
import { readBrokerJsonFile } from './broker-file.js';
import { openRegularFileSync } from '../core/regular-file.js';

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
    const saved = readBrokerJsonFile(this.file) as { nextBlockStart?: unknown } | undefined;
    if (saved !== undefined) {
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
    // a stray link or directory named like the temp file is refused, never written through
    const fd = openRegularFileSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC);
    try {
      fs.writeSync(fd, JSON.stringify({ nextBlockStart }) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
  }
}
