/**
 * The RecordBatch v2 byte format, the package's `format` namespace (`import { format } from
 * 'strata-log'`): header offsets and masks, building, decoding and validating batches, varints,
 * CRC-32C. Kept out of the top level so that the top level is the log and its plug-ins.
 */
export * from './record-batch.js';
export * from './records.js';
export * from './batch-cursor.js';
export * from './batch-stream.js';
export * from './compression-type.js';
export * from './varint.js';
export * from './int64.js';
export * from './crc32c.js';
export { OFFSET_INDEX_ENTRY_BYTES } from '../index/offset-index.js';
export { TIME_INDEX_ENTRY_BYTES } from '../index/time-index.js';
export * from '../log/file-names.js';
