/** Every CLI command, one line each. */
import type { Command } from 'commander';
import { register as consume } from './consume.js';
import { register as demo } from './demo.js';
import { register as dump } from './dump.js';
import { register as produce } from './produce.js';
import { register as receive } from './receive.js';
import { register as send } from './send.js';
import { register as serve } from './serve.js';
import { register as users } from './users.js';
import { register as verify } from './verify.js';
import { register as bench } from './bench.js';
import { register as compare } from './compare.js';

type Register = (program: Command) => void;

const commands: Register[] = [
  produce,
  consume,
  dump,
  verify,
  demo,
  send,
  receive,
  serve,
  users,
  bench,
  compare,
];

export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
