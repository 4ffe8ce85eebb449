/**
 * The package as a user gets it: `npm pack`, installed into an empty project (the registry for the
 * dependencies, the tarball for strata; its install script builds the addon there), then used the
 * way the README says: import the library, run the conformance suite on a third-party engine under
 * node:test (no vitest in that project), `strata --version`, produce and consume, `require` from
 * CommonJS, an embedded broker, and every TypeScript snippet of the docs compiled against it.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };

const run = promisify(execFile);
// children print plain text whatever the runner's environment asks (vitest's workers may carry
// FORCE_COLOR, and coloured output holds ANSI escapes the assertions would have to see through)
const plainEnv = (() => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  return env;
})();
const root = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'strata-tarball-'));
const project = join(work, 'project');
let files: string[] = [];
let installLog = '';

beforeAll(async () => {
  // prepare (tsup) runs as part of pack, so the tarball carries a fresh dist/
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, env: plainEnv, maxBuffer: 64 << 20, timeout: 300_000 });
  // tsup's lines come first on stdout, coloured when the environment asks for it (ANSI escapes hold
  // '['): npm's JSON is the array that starts on a line of its own
  const jsonStart = stdout.search(/^\[$/m);
  if (jsonStart < 0) throw new Error(`npm pack --json printed no JSON array:\n${stdout.slice(-2000)}`);
  const packed = JSON.parse(stdout.slice(jsonStart)) as { filename: string; files: { path: string }[] }[];
  files = packed[0]!.files.map((f) => f.path);
  const tarball = join(work, packed[0]!.filename);
  await run('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }));
  // --foreground-scripts: the install script's own lines (what npm otherwise hides) reach the log
  const r = await run('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts', tarball], { cwd: project, env: plainEnv, maxBuffer: 64 << 20, timeout: 600_000 });
  installLog = r.stdout + r.stderr;
  copyFileSync(join(import.meta.dirname, 'fixtures/tiny-engine.mjs'), join(project, 'tiny-engine.mjs'));
}, 900_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const inProject = (cmd: string, args: string[], input?: string) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(cmd, args, { cwd: project, env: plainEnv, timeout: 300_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    child.stdin!.end(input ?? '');
  });

describe('the npm tarball', () => {
  test('ships dist, bin, the native sources, the workloads and schemas, README and LICENSE; not tests or results', () => {
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/conformance.js', 'dist/cli/main.js', 'bin/strata.js', 'native/binding.gyp', 'native/install.mjs', 'native/build-fix.json',
      'native/src/addon.cc', 'native/src/syscall_baseline.c', 'native/src/discard_sink.c', 'harness/workloads/default.yaml', 'harness/schema/results.schema.json', 'README.md', 'LICENSE']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(test|results|\.ci)\//.test(f) || f.startsWith('native/build/'))).toEqual([]);
  });

  test('installs into an empty project and builds the addon there', () => {
    expect(installLog).toMatch(/strata: native addon built \(/);
    expect(existsSync(join(project, 'node_modules/strata-log/native/build/Release/strata_native.node'))).toBe(true);
    expect(existsSync(join(project, 'node_modules/strata-log/native/build/Release/strata_baseline'))).toBe(true);
    expect(existsSync(join(project, 'node_modules/vitest'))).toBe(false);
  });

  test('import, grouped exports, require from CommonJS', async () => {
    const esm = await inProject(process.execPath, ['--input-type=module', '-e',
      "import * as s from 'strata-log'; console.log(typeof s.Log, typeof s.LogManager, typeof s.startBroker, typeof s.KafkaServer, s.format.MAGIC_V2, 'MAGIC_V2' in s, s.loadNative() !== undefined)"]);
    expect(esm.stderr).toBe('');
    expect(esm.stdout).toBe('function function function function 2 false true\n');
    const cjs = await inProject(process.execPath, ['-e', "const s = require('strata-log'); const c = require('strata-log/conformance'); console.log(typeof s.Log, typeof c.runConformance)"]);
    expect(cjs.stderr).toBe('');
    expect(cjs.stdout).toBe('function function\n');
  });

  test('the conformance suite passes on a third-party engine under node:test, without vitest', async () => {
    writeFileSync(join(project, 'tiny.test.mjs'), `import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runConformance } from 'strata-log/conformance';
import tinyEngine from './tiny-engine.mjs';
await runConformance({
  engine: tinyEngine,
  engineModule: fileURLToPath(new URL('./tiny-engine.mjs', import.meta.url)),
  modules: ['manifest', 'segment-file', 'durable-append', 'native', 'round-trip', 'recovery', 'close-in-flight'],
  test: { describe, test: (name, fn, timeoutMs) => test(name, { timeout: timeoutMs }, fn) },
});
`);
    const r = await inProject(process.execPath, ['--test', '--test-reporter=tap', 'tiny.test.mjs']);
    expect(r.stdout).toMatch(/engine conformance: tiny/);
    expect(r.stdout).toMatch(/^# fail 0$/m);
    expect(r.stdout).toMatch(/^# pass [1-9]\d*$/m);
    expect(r.code).toBe(0);
  });

  test('the bin: --version, produce and consume, a third-party engine by path', async () => {
    expect(await inProject('npx', ['--no-install', 'strata', '--version'])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    const data = join(work, 'data');
    const p = await inProject('npx', ['--no-install', 'strata', 'produce', '--data-dir', data, '--topic', 'events', '--engine', './tiny-engine.mjs'], 'one\ntwo\nthree\n');
    expect(p.stderr).toBe('');
    expect(p.stdout).toBe('wrote 3 records in 1 batches to events-0 (offsets 0..2)\n');
    const c = await inProject('npx', ['--no-install', 'strata', 'consume', '--data-dir', data, '--topic', 'events', '--from', '1']);
    expect(c).toMatchObject({ code: 0, stdout: 'two\nthree\n' });
    expect(await inProject('npx', ['--no-install', 'strata', 'verify', '--data-dir', data])).toMatchObject({ code: 0 });
  });

  test('an embedded broker from the installed package serves kcat', async () => {
    const script = `import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startBroker, silentLogger } from 'strata-log';
const kcat = promisify(execFile);
const server = await startBroker({ dataDir: ${JSON.stringify(join(work, 'broker-data'))}, port: 0, logger: silentLogger });
const b = '127.0.0.1:' + server.port;
const producer = kcat('kcat', ['-P', '-b', b, '-t', 'embedded', '-X', 'acks=1']);
producer.child.stdin.end('x\\ny\\n');
await producer;
const { stdout } = await kcat('kcat', ['-C', '-b', b, '-t', 'embedded', '-o', 'beginning', '-e', '-q']);
console.log(JSON.stringify(stdout));
await server.close();`;
    const r = await inProject(process.execPath, ['--input-type=module', '-e', script]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('"x\\ny\\n"\n');
  });

  test('every snippet of the docs that imports the package type-checks: tsc --strict, skipLibCheck off', async () => {
    // ```ts / ```js blocks of the README and docs/*.md that import strata-log, one file each (a
    // block ends at the first fence: a lazy match alone would run on into the next block)
    const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    const snippets = docs.flatMap((doc) =>
      [...readFileSync(join(root, doc), 'utf8').matchAll(/```(?:ts|js)\n((?:(?!```)[\s\S])*)```/g)]
        .map((m) => m[1]!)
        .filter((code) => /from 'strata-log(\/[\w.-]+)?'/.test(code))
        .map((code, i) => ({ name: `${doc.replace(/\W/g, '_')}_${i + 1}.ts`, code })));
    expect(snippets.length).toBeGreaterThanOrEqual(6);
    // the engine module the snippets import, typed by its JSDoc (allowJs)
    copyFileSync(join(import.meta.dirname, 'fixtures/tiny-engine.mjs'), join(project, 'my-engine.js'));
    for (const s of snippets) writeFileSync(join(project, s.name), s.code.replace("'./test/package/fixtures/tiny-engine.mjs'", "'./tiny-engine.mjs'"));
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, skipLibCheck: false, noEmit: true, allowJs: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022',
        types: ['node'], typeRoots: [join(root, 'node_modules/@types')],
      },
      files: snippets.map((s) => s.name),
    }));
    const r = await inProject(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

