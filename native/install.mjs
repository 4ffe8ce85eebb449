#!/usr/bin/env node
/**
 * Builds the native addon (native/binding.gyp) at `npm install` (the package's install script) and
 * by hand (`npm run build:native`, which passes --strict so a failure exits 1).
 *
 * Why a script and not a bare `node-gyp rebuild`: node-gyp needs Node's headers, and without a
 * `nodedir` it downloads them, which fails offline; a `nodedir` from someone's ~/.npmrc may not
 * exist on the next machine. So the headers are looked for here, in order:
 *   1. npm's `nodedir` config (npm passes it as npm_config_nodedir), when it holds the headers;
 *   2. /usr (a distribution's Node with its headers in /usr/include/node);
 *   3. the prefix of the running node (official tarballs ship include/node beside bin/node).
 * When node-gyp cannot run there (no python3 or make, no headers anywhere), the same targets are
 * compiled directly with the C/C++ compiler against the Node-API headers (those found above, or the
 * node-api-headers package): a Node-API addon links against nothing, so that is all node-gyp does.
 *
 * npm hides an install script's output, and a failed build must not fail the install (everything
 * else works without the addon). So a failure writes one line to stderr AND leaves a marker file,
 * native/build/strata-build-failed.txt, that native/index.ts quotes in every "unavailable" error,
 * with the fix from native/build-fix.json (the one place that text lives).
 */
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const nativeDir = dirname(fileURLToPath(import.meta.url));
const releaseDir = join(nativeDir, 'build', 'Release');
const marker = join(nativeDir, 'build', 'strata-build-failed.txt');
const { fix, without } = JSON.parse(readFileSync(join(nativeDir, 'build-fix.json'), 'utf8'));
const strict = process.argv.includes('--strict');
const require = createRequire(import.meta.url);
/** A build that takes longer than this is stuck (it takes ~1 min on a loaded 2-core machine). */
const BUILD_TIMEOUT_MS = 10 * 60 * 1000;

const hasNapiHeaders = (includeDir) => existsSync(join(includeDir, 'node_api.h'));

/** nodedir candidates node-gyp can use: they need common.gypi too, not only the headers. */
function nodeDirs() {
  const candidates = [process.env.npm_config_nodedir, '/usr', resolve(dirname(process.execPath), '..')].filter(Boolean);
  return [...new Set(candidates)].filter((d) => hasNapiHeaders(join(d, 'include', 'node')) && existsSync(join(d, 'include', 'node', 'common.gypi')));
}

/** Include dirs with node_api.h for the direct build. */
function napiIncludeDirs() {
  const dirs = [process.env.npm_config_nodedir, '/usr', resolve(dirname(process.execPath), '..')].filter(Boolean).map((d) => join(d, 'include', 'node'));
  try {
    dirs.push(require('node-api-headers').include_dir);
  } catch {
    // not installed: only the system's headers
  }
  return [...new Set(dirs)].filter(hasNapiHeaders);
}

/** node-gyp as npm runs it (npm_config_node_gyp), else the copy bundled with npm, else a local one. */
function nodeGypJs() {
  const candidates = [process.env.npm_config_node_gyp, join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a dependency
  }
  return candidates.find((p) => p && existsSync(p));
}

/** The last lines that say what went wrong (gyp's "ERR!" lines, a compiler's "error:"). */
function lastError(output) {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => /error|ERR!|not found|No such file/i.test(l) && !/^gyp ERR! (cwd|node -v|node-gyp -v|System|command|stack|not ok)/.test(l));
  return (errors.length ? errors : lines).slice(-2).join(' / ').slice(0, 400) || 'no output';
}

function run(cmd, args, cwd, env = process.env) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: BUILD_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`.trim() || `${cmd} exited with status ${r.status}`;
  return { ok: r.status === 0, output };
}

function viaNodeGyp(nodedir) {
  const gyp = nodeGypJs();
  if (!gyp) return { ok: false, output: 'node-gyp not found (it comes with npm)' };
  // node-gyp prefers npm's environment (npm_config_nodedir) over its own --nodedir flag
  return run(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`], nativeDir, { ...process.env, npm_config_nodedir: nodedir });
}

/** binding.gyp's targets compiled by hand: the same sources, defines and flags. */
function direct(includeDir) {
  const gyp = JSON.parse(readFileSync(join(nativeDir, 'binding.gyp'), 'utf8'));
  rmSync(join(nativeDir, 'build'), { recursive: true, force: true });
  mkdirSync(releaseDir, { recursive: true });
  for (const t of gyp.targets) {
    const includes = (t.include_dirs ?? []).map((d) => {
      const m = /^<!\((.*)\)$/.exec(d);
      return m ? execSync(m[1], { cwd: nativeDir, encoding: 'utf8' }).trim() : d;
    });
    const defines = [...(t.defines ?? []), ...(process.platform === 'linux' ? [] : ['STRATA_NOT_LINUX'])];
    const sources = t.sources.map((s) => join(nativeDir, s));
    const cxx = sources.some((s) => s.endsWith('.cc'));
    const flags = [...(cxx ? t.cflags_cc ?? [] : t.cflags ?? []), ...defines.map((d) => `-D${d}`), ...includes.map((d) => `-I${resolve(nativeDir, d)}`)];
    const out = t.type === 'executable' ? join(releaseDir, t.target_name) : join(releaseDir, `${t.target_name}.node`);
    const compiler = cxx ? process.env.CXX || 'c++' : process.env.CC || 'cc';
    const args = t.type === 'executable'
      ? [...flags, ...sources, '-o', out, ...(t.libraries ?? [])]
      : ['-shared', '-fPIC', `-I${includeDir}`, `-DNODE_GYP_MODULE_NAME=${t.target_name}`, '-DBUILDING_NODE_EXTENSION', ...flags, ...sources, '-o', out, ...(t.libraries ?? [])];
    const r = run(compiler, args, nativeDir);
    if (!r.ok) return r;
  }
  return { ok: true, output: '' };
}

/** A build "succeeded" only if the addon loads in this Node. */
function loads() {
  try {
    require(join(releaseDir, 'strata_native.node'));
    return '';
  } catch (err) {
    return `built but does not load: ${err.message.split('\n')[0]}`;
  }
}

function build() {
  const attempts = [];
  for (const dir of nodeDirs()) {
    const r = viaNodeGyp(dir);
    if (r.ok) return { ok: true, how: `node-gyp --nodedir=${dir}` };
    attempts.push(`node-gyp --nodedir=${dir}: ${lastError(r.output)}`);
  }
  if (nodeDirs().length === 0) attempts.push('node-gyp: no Node headers (include/node/common.gypi) in npm\'s nodedir, /usr or beside node');
  const includes = napiIncludeDirs();
  if (includes.length === 0) attempts.push('direct build: no node_api.h (no Node headers, no node-api-headers package)');
  else {
    const r = direct(includes[0]);
    if (r.ok) return { ok: true, how: [...attempts, `built by ${process.env.CXX || 'c++'} against ${includes[0]}`].join('; ') };
    attempts.push(`direct build: ${lastError(r.output)}`);
  }
  return { ok: false, why: attempts.join('; ') };
}

let result = build();
if (result.ok) {
  const why = loads();
  if (why) result = { ok: false, why };
}
if (result.ok) {
  rmSync(marker, { force: true });
  process.stdout.write(`strata: native addon built (${result.how})\n`);
} else {
  mkdirSync(dirname(marker), { recursive: true });
  writeFileSync(marker, `${result.why}\n`);
  process.stderr.write(`strata: native addon not built (${result.why}); fix: ${fix}; ${without}\n`);
  if (strict) process.exit(1);
}
