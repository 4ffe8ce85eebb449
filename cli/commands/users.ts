/**
 * `strata users`: the SASL credentials file (`sasl.credentials.file` of `strata serve`). `add`
 * reads the password from stdin (its first line), salts and hashes it as SCRAM does, and stores
 * only that: StoredKey and ServerKey, never the password. PLAIN logins are checked against the
 * same stored credential. The broker reads the file when it starts.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { StrataError } from '../../core/errors.js';
import { CredentialStore } from '../../broker/auth/credentials.js';
import { SCRAM_ITERATIONS_MAX, SCRAM_ITERATIONS_MIN, SCRAM_MECHANISMS, isScramMechanism, makeScramCredential } from '../../broker/auth/scram.js';

/** A password is a line; more than this on stdin is not one. */
const PASSWORD_BYTES_MAX = 4096;

async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    if (bytes > PASSWORD_BYTES_MAX) throw new StrataError('INVALID_ARGUMENT', `stdin: more than ${PASSWORD_BYTES_MAX} bytes; the password is the first line`);
  }
  const password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (password === '') throw new StrataError('INVALID_ARGUMENT', 'stdin: no password (give it as the first line, e.g. `echo "$PW" | strata users add ...`)');
  return password;
}

function loadOrEmpty(file: string): CredentialStore {
  return existsSync(file) ? CredentialStore.load(file) : new CredentialStore();
}

function mechanismsOf(text: string): ('SCRAM-SHA-256' | 'SCRAM-SHA-512')[] {
  const names = text.split(',').map((m) => m.trim());
  for (const m of names) {
    if (!isScramMechanism(m)) throw new StrataError('INVALID_ARGUMENT', `--mechanism "${m}": not a SCRAM mechanism (known: ${SCRAM_MECHANISMS.join(', ')}; PLAIN logins use these credentials)`);
  }
  return names as ('SCRAM-SHA-256' | 'SCRAM-SHA-512')[];
}

export function register(program: Command): void {
  const users = program.command('users').description('manage SASL users in a credentials file (salted SCRAM hashes, no passwords)');
  users
    .command('add <name>')
    .description('add or replace a user; the password is read from stdin (first line)')
    .requiredOption('--credentials <file>', 'credentials file (sasl.credentials.file); created if missing')
    .option('--mechanism <names>', `SCRAM mechanism(s), comma-separated: ${SCRAM_MECHANISMS.join(', ')}`, SCRAM_MECHANISMS.join(','))
    .option('--iterations <n>', `PBKDF2 iterations (${SCRAM_ITERATIONS_MIN}-${SCRAM_ITERATIONS_MAX})`, String(SCRAM_ITERATIONS_MIN))
    .action(async (name: string, opts: { credentials: string; mechanism: string; iterations: string }) => {
      const iterations = Number(opts.iterations);
      if (!/^\d+$/.test(opts.iterations) || iterations < SCRAM_ITERATIONS_MIN || iterations > SCRAM_ITERATIONS_MAX) {
        throw new StrataError('INVALID_ARGUMENT', `--iterations must be an integer from ${SCRAM_ITERATIONS_MIN} to ${SCRAM_ITERATIONS_MAX}, got "${opts.iterations}"`);
      }
      if (name === '') throw new StrataError('INVALID_ARGUMENT', 'a username cannot be empty');
      const mechanisms = mechanismsOf(opts.mechanism);
      const store = loadOrEmpty(opts.credentials);
      const password = await readPassword();
      for (const m of mechanisms) store.set(name, m, makeScramCredential(m, password, iterations));
      store.save(opts.credentials);
      process.stdout.write(`user ${name}: ${mechanisms.join(', ')} (${iterations} iterations) in ${opts.credentials}\n`);
    });
  users
    .command('remove <name>')
    .description('remove a user (every mechanism, or those given)')
    .requiredOption('--credentials <file>', 'credentials file')
    .option('--mechanism <names>', 'only these SCRAM mechanisms')
    .action((name: string, opts: { credentials: string; mechanism?: string }) => {
      const store = CredentialStore.load(opts.credentials);
      const removed = opts.mechanism === undefined ? store.remove(name) : mechanismsOf(opts.mechanism).map((m) => store.remove(name, m)).some(Boolean);
      if (!removed) throw new StrataError('INVALID_ARGUMENT', `${opts.credentials}: no user "${name}"${opts.mechanism ? ` with ${opts.mechanism}` : ''}`);
      store.save(opts.credentials);
      process.stdout.write(`removed ${name} from ${opts.credentials}\n`);
    });
  users
    .command('list')
    .description('list users and their mechanisms')
    .requiredOption('--credentials <file>', 'credentials file')
    .action((opts: { credentials: string }) => {
      for (const u of CredentialStore.load(opts.credentials).list()) {
        process.stdout.write(`${u.username}\t${u.mechanisms.map((m) => `${m.mechanism}(${m.iterations})`).join(' ')}\n`);
      }
    });
}
