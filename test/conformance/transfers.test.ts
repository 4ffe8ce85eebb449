/** Every built-in transfer runs the transfer conformance suite (sendfile only with the addon built). */
import { builtinTransfers } from '../../engines/transfer/index.js';
import { loadNative } from '../../native/index.js';
import { runTransferConformance } from './transfer-suite.js';

for (const [name, make] of Object.entries(builtinTransfers)) {
  if (name === 'sendfile' && !loadNative()) {
    process.stderr.write('transfer conformance: sendfile skipped: native addon not built\n');
    continue;
  }
  await runTransferConformance({ transfer: make() });
}
