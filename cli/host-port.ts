/** HOST:PORT option values (`--to`, `--listen`); IPv6 hosts in brackets: [::1]:9400. */
import { StrataError } from '../core/errors.js';

export function parseHostPort(value: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new StrataError('INVALID_ARGUMENT', `${flag} "${value}" is not HOST:PORT (e.g. 127.0.0.1:9400)`);
  }
  return { host: m[1] ?? m[2]!, port };
}
