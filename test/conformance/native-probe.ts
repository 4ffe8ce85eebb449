/**
 * The child process of the conformance suite's native test, run with STRATA_NATIVE=0 (the addon
 * treated as not built): opens a segment file through the engine, appends, reads back and closes,
 * and prints one JSON line: {"ok":true} or {"ok":false,"code":...,"message":...}.
 *
 * argv: engineModuleOrName dir
 */
import { join } from 'node:path';
import { loadEngine } from '../../engines/index.js';

const [engineSpec, dir] = process.argv.slice(2);
try {
  const engine = await loadEngine(engineSpec!);
  const file = await engine.open(join(dir!, '00000000000000000000.log'), { preallocateBytes: 4096 });
  const data = Buffer.from('without the native addon');
  await file.append([data], data.length);
  const back = await file.read(0, data.length);
  await file.close();
  if (!back.equals(data)) throw new Error('read back different bytes');
  process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  process.stdout.write(`${JSON.stringify({ ok: false, code: e.code, message: e.message })}\n`);
}
