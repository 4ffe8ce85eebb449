/** Built-in transfers by name. */
import type { Transfer } from '../../core/transfer.js';

export const builtinTransfers: Record<string, () => Transfer> = {
};
