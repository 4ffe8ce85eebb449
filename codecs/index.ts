/** Built-in codecs. The container registers all of them in one CodecRegistry. */
import { noneCodec, type Codec } from '../core/codec.js';
import { gzipCodec } from './gzip.js';
import { lz4Codec } from './lz4.js';
import { snappyCodec } from './snappy.js';
import { zstdCodec } from './zstd.js';

export const builtinCodecs: Codec[] = [noneCodec, gzipCodec, snappyCodec, lz4Codec, zstdCodec];
