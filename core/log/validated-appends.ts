/**
 * The way of validated batches into the log's writer (the first half of Kafka's UnifiedLog.append):
 * in call order (AppendOrder), after the producer state is loaded when an append carries producer
 * ids, recompressed for compression.type and stamped for message.timestamp.type=LogAppendTime,
 * then handed to the LogAppender with the idempotent batches the sequencer checks at placement.
 */
import type { CodecRegistry } from '../codec.js';
import type { LogConfig } from '../config/log-config.js';
import { stampLogAppendTime, type ValidatedBatches } from '../format/batch-cursor.js';
import { applyCompressionType } from '../format/compression-type.js';
import { AppendOrder } from './append-order.js';
import type { LogAppender, LogAppendInfo } from './log-appender.js';
import type { LogProducerState } from './log-producer-state.js';
import { RecordsValidation, validateRecords, validateRecordsNow, type ValidatedRecords } from './log-validator.js';

/** 'assign' (a leader: the log gives offsets) or 'keep' (a copy: the batches keep theirs). */
export type OffsetsMode = 'assign' | 'keep';

export class ValidatedAppends {
  private readonly order = new AppendOrder();

  constructor(
    private readonly config: LogConfig,
    private readonly codecs: CodecRegistry,
    private readonly appender: LogAppender,
    private readonly producerState: LogProducerState,
    private readonly now: () => number,
  ) {}

  /** LogValidator with this log's codecs and message.max.bytes; ValidatedBatches have their CRCs checked already. */
  validate(batches: Buffer | ValidatedBatches, source?: string): Promise<ValidatedRecords> {
    return validateRecords(batches, { codecs: this.codecs, messageMaxBytes: this.config.messageMaxBytes, source });
  }

  /**
   * Validates and appends raw batches. Not async: plain batches that are short to walk are
   * validated and placed in the call when no earlier append still waits, so an append the engine
   * writes at once is acknowledged before this returns; problems still arrive as a rejection.
   */
  appendBytes(batches: Buffer, mode: OffsetsMode): Promise<LogAppendInfo> {
    if (this.order.busy) return this.inOrder(this.validate(batches), mode);
    let now: ValidatedRecords | RecordsValidation;
    try {
      now = validateRecordsNow(batches, { codecs: this.codecs, messageMaxBytes: this.config.messageMaxBytes });
    } catch (err) {
      return Promise.reject(err);
    }
    return now instanceof RecordsValidation ? this.inOrder(now.finish(), mode) : this.append(now, mode);
  }

  /** Appends `validated` at once when nothing called before still waits; otherwise behind those. */
  append(validated: ValidatedRecords, mode: OffsetsMode): Promise<LogAppendInfo> {
    if (!this.order.busy && !this.needsProducerState(validated, mode)) return this.place(validated, mode);
    return this.inOrder(Promise.resolve(validated), mode);
  }

  /** Places appends in call order once each is validated (and the producer state loaded if it needs it). */
  inOrder(validation: Promise<ValidatedRecords>, mode: OffsetsMode): Promise<LogAppendInfo> {
    const ready = validation.then(async (v) => {
      if (this.needsProducerState(v, mode)) await this.producerState.load();
      return v;
    });
    return this.order.run(ready, (v) => this.place(v, mode));
  }

  private needsProducerState(validated: ValidatedRecords, mode: OffsetsMode): boolean {
    return validated.producerBatches.length > 0 && mode === 'assign' && this.producerState.manager === undefined;
  }

  private place(validated: ValidatedRecords, mode: OffsetsMode): Promise<LogAppendInfo> {
    // batches that keep their offsets (a copy) are not checked as a producer's: the state is rebuilt from the log
    if (mode === 'keep' && validated.producerBatches.length > 0) this.producerState.invalidate();
    const producers = mode === 'keep' ? [] : validated.producerBatches;
    // the default compression.type (`producer`) keeps batches as sent: no await on the hot path
    if (this.config.compressionType !== 'producer') {
      return applyCompressionType(validated, this.config, this.codecs).then((converted) => this.write(converted, mode, producers));
    }
    return this.write(validated, mode, producers);
  }

  private write(batches: ValidatedBatches, mode: OffsetsMode, producers: ValidatedRecords['producerBatches']): Promise<LogAppendInfo> {
    // LogAppendTime: a leader stamps the batches with the time of this append, and the producer
    // state keeps that time (a retry is answered with it); a copy keeps its stamps
    if (this.config.messageTimestampType === 'LogAppendTime' && mode === 'assign') {
      batches = stampLogAppendTime(batches, this.now());
      const stampedMs = batches.layout.maxTimestamp;
      if (producers.length > 0) producers = producers.map((b) => ({ ...b, maxTimestamp: stampedMs }));
    }
    return this.appender.appendChunks([batches.buffer], batches.buffer.length, batches.layout, mode, producers);
  }
}
