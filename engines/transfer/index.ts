/** Built-in transfers by name. */
import type { Transfer } from '../../core/transfer.js';
import { bufferedTransfer } from './buffered.js';
import { createSendfileTransfer } from './sendfile.js';

export const builtinTransfers: Record<string, () => Transfer> = {
  buffered: () => bufferedTransfer,
  sendfile: () => createSendfileTransfer(),
};
