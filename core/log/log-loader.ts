/**
 * Loading one partition directory into segments (Kafka's LogLoader). The decisions — which files
 * are segments, which are leftovers of an interrupted delete, which segments must be re-validated —
 * are pure functions of the directory listing and the checkpoints (planLoad, testable without an
 * engine); LogLoader.load carries them out through the engine.
 *
 * After a clean shutdown segments are trusted after an index sanity check, and the tail of each (from
 * its last index entry) is still validated: a marker must not let a damaged tail through. Otherwise
 * every segment from the one holding the recovery point is re-read, indexes rebuilt, and the log
 * truncated at the first torn or corrupt batch, with a log line saying what was cut and why.
 */
import fs from 'node:fs';
import { dirname, join } from 'node:path';
import type { LogConfig } from '../config/log-config.js';
import { ensureDir } from '../dirs.js';
import { syncDirAsync } from './dir-sync.js';
import { DELETED_SUFFIX, parseSegmentLogName } from './file-names.js';
import { LogSegment, type SegmentDeps } from './log-segment.js';
import { rebuildTransactionIndexes, type TxnBatch } from './txn-index-recovery.js';

export interface LoadOptions {
  /** The log dir held a clean-shutdown marker (LogManager reads it). Default false: recover. */
  hadCleanShutdown?: boolean;
  /** Offsets below this were flushed: segments wholly below it are trusted. Default 0. */
  recoveryPoint?: number;
  /** The log start offset of the root checkpoint, when it has one for this log. */
  logStartOffset?: number;
  /**
   * Makes a new log's directory entry durable: a sync of the parent that starts after the call
   * (a LogManager shares one among the logs it creates together, dir-sync.ts). Default: its own.
   */
  syncParentDir?: () => Promise<void>;
}

export interface LoadedLog {
  /** Oldest first; the last is active. Never empty. */
  segments: LogSegment[];
  /** The log end: offset the next append gets. */
  nextOffset: number;
  recoveryPoint: number;
  /**
   * The log start offset: the checkpointed one (DeleteRecords may have put it inside the first
   * segment) or the first segment's base, whichever is larger, never past the log end.
   */
  logStartOffset: number;
}

export interface LoadPlan {
  /** Segment base offsets, ascending. */
  baseOffsets: number[];
  /** Files to remove before loading: leftovers of an interrupted delete, compaction or swap. */
  leftovers: string[];
  /** Per segment: re-validate it (true) or trust it after a sanity check (false). */
  recover: boolean[];
}

const LEFTOVER_SUFFIXES = [DELETED_SUFFIX, '.cleaned', '.swap', '.tmp'];

/**
 * What loading `names` (a partition directory's listing) means. Segment i may hold offsets at or
 * past the recovery point when the next segment starts above it (or it is the last): it is
 * recovered unless the shutdown was clean.
 */
export function planLoad(names: readonly string[], options: LoadOptions): LoadPlan {
  const baseOffsets: number[] = [];
  const leftovers: string[] = [];
  for (const name of names) {
    if (LEFTOVER_SUFFIXES.some((suffix) => name.endsWith(suffix))) leftovers.push(name);
    else {
      const base = parseSegmentLogName(name);
      if (base !== undefined) baseOffsets.push(base);
    }
  }
  baseOffsets.sort((a, b) => a - b);
  const recoveryPoint = options.recoveryPoint ?? 0;
  const recover = baseOffsets.map((_, i) => {
    if (options.hadCleanShutdown) return false;
    const nextBase = baseOffsets[i + 1];
    return nextBase === undefined || nextBase > recoveryPoint;
  });
  return { baseOffsets, leftovers, recover };
}

export class LogLoader {
  private readonly segments: LogSegment[] = [];
  /** Per loaded segment: the offset after its last record (its base when it holds none). */
  private readonly ends: number[] = [];
  /** Offsets below this are in earlier segments: a batch must not go back before it. */
  private expectedOffsetMin = 0;
  /** The segments recovery re-read, by base offset, with their transactional batches: their `.txnindex` is rebuilt. */
  private readonly recovered = new Map<number, readonly TxnBatch[]>();

  constructor(
    private readonly dir: string,
    private readonly config: LogConfig,
    private readonly deps: SegmentDeps,
    private readonly options: LoadOptions,
  ) {}

  async load(): Promise<LoadedLog> {
    // off the event loop when only the partition's own directory is missing (a new log);
    // ensureDir for anything else, and for the error naming the directory
    await fs.promises.mkdir(this.dir).catch(() => ensureDir(this.dir));
    const plan = planLoad(fs.readdirSync(this.dir), this.options);
    for (const name of plan.leftovers) this.removeLeftover(join(this.dir, name));
    await this.applyLogStartOffset(plan);
    this.expectedOffsetMin = plan.baseOffsets[0] ?? 0;
    for (let i = 0; i < plan.baseOffsets.length; i++) {
      let truncated = await this.loadSegment(plan.baseOffsets[i]!, i === plan.baseOffsets.length - 1, plan.recover[i]!);
      if (!truncated && !plan.recover[i] && this.overlapsNext(plan.baseOffsets[i + 1])) {
        // its last offset runs past the next segment's base (a base offset flipped outside the CRC)
        const segment = this.segments.pop()!;
        this.ends.pop();
        this.deps.logger.warn(`segment ${segment.file.path} ends past the next segment's base ${plan.baseOffsets[i + 1]}; recovering it`);
        await segment.close();
        this.expectedOffsetMin = this.ends[this.ends.length - 1] ?? plan.baseOffsets[0]!;
        truncated = await this.loadSegment(plan.baseOffsets[i]!, i === plan.baseOffsets.length - 1, true);
      }
      if (truncated) {
        // everything after a damaged segment is after the damage: drop it (Kafka does the same)
        await this.deleteSegments(plan.baseOffsets.slice(i + 1), 'after the truncation point');
        break;
      }
    }
    await this.dropStrayEmptyTail();
    await this.rebuildTxnIndexes();
    if (this.segments.length === 0) {
      // a new log: its directory and first segment file must be durable names before any append
      this.segments.push(await this.openSegment(0, true, false));
      await syncDirAsync(this.dir);
      await (this.options.syncParentDir?.() ?? syncDirAsync(dirname(this.dir)));
    }
    await this.ensureLastIsActive();
    const nextOffset = Math.max(this.expectedOffsetMin, this.segments[this.segments.length - 1]!.baseOffset);
    const recoveryPoint = Math.min(this.options.hadCleanShutdown ? nextOffset : (this.options.recoveryPoint ?? 0), nextOffset);
    const logStartOffset = Math.min(Math.max(this.options.logStartOffset ?? 0, this.segments[0]!.baseOffset), nextOffset);
    return { segments: this.segments, nextOffset, recoveryPoint, logStartOffset };
  }

  /**
   * The checkpointed log start offset against the segments: segments wholly below it are what a
   * retention delete interrupted by a crash left (removed now); a first segment above it means
   * offsets are missing (a deleted segment), said in a warning naming the range.
   */
  private async applyLogStartOffset(plan: LoadPlan): Promise<void> {
    const start = this.options.logStartOffset;
    if (start === undefined || plan.baseOffsets.length === 0) return;
    let below = 0;
    while (below + 1 < plan.baseOffsets.length && plan.baseOffsets[below + 1]! <= start) below++;
    if (below > 0) {
      await this.deleteSegments(plan.baseOffsets.slice(0, below), `below the log start offset ${start}`);
      plan.baseOffsets.splice(0, below);
      plan.recover.splice(0, below);
    }
    if (plan.baseOffsets[0]! > start) {
      this.deps.logger.warn(`${this.dir}: the log starts at ${start} (log-start-offset-checkpoint) but its first segment at ${plan.baseOffsets[0]}: offsets ${start}..${plan.baseOffsets[0]! - 1} are missing`);
    }
  }

  /** A leftover file goes; a directory by such a name is not ours to remove (unlinking a link removes the link only). */
  private removeLeftover(path: string): void {
    if (fs.lstatSync(path, { throwIfNoEntry: false })?.isDirectory()) {
      this.deps.logger.warn(`${path} is a directory named like a leftover file: left alone`);
      return;
    }
    fs.rmSync(path, { force: true });
  }

  /** Opens one segment, trusting or recovering it; true when recovery cut bytes off it. */
  private async loadSegment(base: number, isLast: boolean, recover: boolean): Promise<boolean> {
    const segment = await this.openSegment(base, isLast, !recover);
    this.segments.push(segment);
    let lastOffset: number | undefined;
    if (!recover) {
      try {
        lastOffset = (await segment.loadState())?.lastOffset;
        const damage = await segment.validateTail();
        if (damage) throw new Error(damage);
      } catch (err) {
        this.deps.logger.warn(`segment ${segment.file.path} failed its check on open (${(err as Error).message}); recovering it`);
        recover = true;
      }
    }
    let truncated = false;
    if (recover) {
      const result = await segment.recover(Math.max(this.expectedOffsetMin, base));
      this.recovered.set(base, result.txnBatches);
      lastOffset = result.lastOffset;
      if (result.reason) {
        this.deps.logger.warn(`recovery of ${segment.file.path}: cut ${result.truncatedBytes} bytes at position ${result.validBytes}: ${result.reason}`);
        truncated = true;
      }
    }
    this.expectedOffsetMin = lastOffset !== undefined ? lastOffset + 1 : Math.max(this.expectedOffsetMin, base);
    this.ends.push(this.expectedOffsetMin);
    return truncated;
  }

  /** The `.txnindex` of every recovered segment, rebuilt from the log (txn-index-recovery.ts). */
  private async rebuildTxnIndexes(): Promise<void> {
    const recovered = new Map<LogSegment, readonly TxnBatch[]>();
    for (const s of this.segments) {
      const batches = this.recovered.get(s.baseOffset);
      if (batches) recovered.set(s, batches);
    }
    const entries = await rebuildTransactionIndexes(this.dir, this.segments, recovered, this.deps.logger);
    if (entries > 0) this.deps.logger.info(`${this.dir}: rebuilt ${entries} aborted-transaction index entries`);
  }

  /** A trusted segment that runs past the next one's base overlaps it: damage, recovered. */
  private overlapsNext(nextBase: number | undefined): boolean {
    return nextBase !== undefined && this.expectedOffsetMin > nextBase;
  }

  /**
   * An empty segment after the first whose base offset lies past the end of the data before it
   * holds nothing and would move the log end forward (a stray file, or a roll to an offset gap
   * whose first append never landed): it is removed, with a log line.
   */
  private async dropStrayEmptyTail(): Promise<void> {
    while (this.segments.length > 1) {
      const last = this.segments[this.segments.length - 1]!;
      const previousEnd = this.ends[this.segments.length - 2]!;
      if (last.committedBytes > 0 || last.baseOffset <= previousEnd) return;
      this.deps.logger.warn(`segment ${last.file.path} is empty and starts at ${last.baseOffset}, past the log end ${previousEnd}: removing it`);
      this.segments.pop();
      this.ends.pop();
      await last.delete();
      this.expectedOffsetMin = previousEnd;
    }
  }

  /** The last segment must be open as the active one (it may have been opened as a closed one). */
  private async ensureLastIsActive(): Promise<void> {
    const last = this.segments[this.segments.length - 1]!;
    if (last.isActive) return;
    await last.close();
    const reopened = await this.openSegment(last.baseOffset, true, true);
    await reopened.loadState();
    this.segments[this.segments.length - 1] = reopened;
  }

  private async deleteSegments(baseOffsets: readonly number[], why: string): Promise<void> {
    for (const base of baseOffsets) {
      const doomed = await this.openSegment(base, false, false);
      this.deps.logger.warn(`deleting segment ${doomed.file.path} ${why}`);
      await doomed.delete();
    }
  }

  private openSegment(base: number, active: boolean, loadIndexes: boolean): Promise<LogSegment> {
    return LogSegment.open(this.dir, base, this.config, this.deps, active, loadIndexes);
  }
}
