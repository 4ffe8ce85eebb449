/** Built-in codecs. The container registers all of them in one CodecRegistry. */
import { noneCodec, type Codec } from '../core/codec.js';

export const builtinCodecs: Codec[] = [noneCodec];
