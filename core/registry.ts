/**
 * The one registry of plug-in components: engines, transfers, caches and codecs, each by name.
 *
 * A component is what fio calls an ioengine: a small table of operations plus a `supports`
 * manifest (abstract-level's word), and nothing else in the system asks which one it holds. A
 * registration adds how to make one from options (options are data: `{ bytesMax: 268435456 }`,
 * never a subclass) and, when it cannot work on this machine, why (the native addon not built).
 * Built-ins (engines/index.ts registerBuiltins) and third-party modules (`--engine ./my-engine.js`)
 * register through the same `register` call; the CLI, the harness and the broker resolve through
 * the same `resolve`, so an unknown name gets the same error everywhere, listing what is known.
 *
 * Why an object bound to a token (TOKENS.Registry, core/container.ts) and not one inversify
 * binding per component with `whenNamed`: inversify cannot list the names bound to a token (the
 * error for an unknown name must), a `get` carries no options (a cache's bytesMax is chosen per
 * cell), its dynamic values cannot say "unavailable, because ..." without throwing from deep inside
 * the resolver, and a third-party module is loaded asynchronously after the container exists. The
 * container still composes the process: a composition binds the components resolved from here
 * under TOKENS.StorageEngine / Cache / Codecs / Transfer, which is what the LogManager and the
 * broker inject.
 */
import type { Cache } from './cache.js';
import type { Codec } from './codec.js';
import type { StorageEngine } from './engine.js';
import { StrataError, type StrataErrorCode } from './errors.js';
import type { Transfer } from './transfer.js';

export interface ComponentTypes {
  engine: StorageEngine;
  transfer: Transfer;
  cache: Cache;
  codec: Codec;
}
export type ComponentKind = keyof ComponentTypes;
export const COMPONENT_KINDS: readonly ComponentKind[] = ['engine', 'transfer', 'cache', 'codec'];

/** Component options are data (key to value), as Kafka's configs are. */
export type ComponentOptions = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Registration<K extends ComponentKind = ComponentKind> {
  readonly name: string;
  /** Where it comes from: 'built-in', or the module specifier it was loaded from. */
  readonly origin: string;
  /** Its supports manifest, readable without making one (engines; a transfer's is on the instance). */
  readonly supports?: Readonly<object>;
  /** Why it cannot be made on this machine (e.g. "unavailable: native addon not built (...)"), or undefined. */
  unavailable?(): string | undefined;
  create(options: ComponentOptions): ComponentTypes[K];
}

/** What resolving a name gives when the caller wants a reason instead of an exception (the harness). */
export type Resolution<K extends ComponentKind> = { ok: true; component: ComponentTypes[K] } | { ok: false; reason: string };

const UNKNOWN_CODE: Record<ComponentKind, StrataErrorCode> = {
  engine: 'UNKNOWN_ENGINE',
  transfer: 'UNKNOWN_TRANSFER',
  cache: 'UNKNOWN_CACHE',
  codec: 'UNKNOWN_CODEC',
};

/** Registrations of one kind at most: a bound, and a sign of a loop registering modules. */
export const REGISTRATIONS_PER_KIND_MAX = 1024;

/** The error for a name nothing registered, the same for every kind and every caller. */
export function unknownComponentError(kind: ComponentKind, name: string, known: readonly string[], hint?: string): StrataError {
  const list = known.length > 0 ? known.join(', ') : 'none registered';
  return new StrataError(UNKNOWN_CODE[kind], `unknown ${kind} "${name}" (known: ${list}${hint ? `; ${hint}` : ''})`);
}

export class ComponentRegistry {
  private readonly kinds: { [K in ComponentKind]: Map<string, Registration<K>> } = {
    engine: new Map(),
    transfer: new Map(),
    cache: new Map(),
    codec: new Map(),
  };

  /** Adds a component. A name is registered once per kind: two engines both called "pwrite" would make results ambiguous. */
  register<K extends ComponentKind>(kind: K, registration: Registration<K>): void {
    if (!COMPONENT_KINDS.includes(kind)) throw new StrataError('INVALID_ARGUMENT', `unknown component kind "${String(kind)}" (known: ${COMPONENT_KINDS.join(', ')})`);
    const map = this.kinds[kind] as Map<string, Registration<K>>;
    if (typeof registration.name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(registration.name)) {
      throw new StrataError('INVALID_ARGUMENT', `${kind} from ${registration.origin}: name ${JSON.stringify(registration.name)} is not 1-64 characters of [A-Za-z0-9._-]`);
    }
    const existing = map.get(registration.name);
    if (existing) {
      throw new StrataError('INVALID_ARGUMENT', `${kind} "${registration.name}" from ${registration.origin} is already registered (from ${existing.origin})`);
    }
    if (map.size >= REGISTRATIONS_PER_KIND_MAX) {
      throw new StrataError('INVALID_ARGUMENT', `cannot register ${kind} "${registration.name}": ${REGISTRATIONS_PER_KIND_MAX} ${kind}s are registered already`);
    }
    map.set(registration.name, registration);
  }

  /** Registered names of a kind, in registration order (built-ins first). */
  names(kind: ComponentKind): string[] {
    return [...this.kinds[kind].keys()];
  }

  /** The registration with this name, or the one loaded from this module specifier; undefined when none. */
  find<K extends ComponentKind>(kind: K, nameOrOrigin: string): Registration<K> | undefined {
    const map = this.kinds[kind] as Map<string, Registration<K>>;
    const byName = map.get(nameOrOrigin);
    if (byName) return byName;
    for (const r of map.values()) if (r.origin === nameOrOrigin) return r;
    return undefined;
  }

  /** The registration, or the unknown-name error listing what is registered. */
  get<K extends ComponentKind>(kind: K, nameOrOrigin: string, hint?: string): Registration<K> {
    const r = this.find(kind, nameOrOrigin);
    if (!r) throw unknownComponentError(kind, nameOrOrigin, this.names(kind), hint);
    return r;
  }

  /** Makes the named component; throws when the name is unknown or the component is unavailable here. */
  resolve<K extends ComponentKind>(kind: K, name: string, options: ComponentOptions = {}): ComponentTypes[K] {
    const r = this.get(kind, name);
    const why = r.unavailable?.();
    // the reason names the component already ("unavailable: native addon not built (the mmap engine needs it; ...)")
    if (why !== undefined) throw new StrataError('ENGINE_UNAVAILABLE', why);
    return r.create(options);
  }

  /** resolve(), with a reason in place of the exception (unknown, unavailable, or bad options). */
  tryResolve<K extends ComponentKind>(kind: K, name: string, options: ComponentOptions = {}): Resolution<K> {
    try {
      return { ok: true, component: this.resolve(kind, name, options) };
    } catch (err) {
      return { ok: false, reason: `${kind} "${name}" is not available: ${(err as Error).message}` };
    }
  }

  /** One of each available component of a kind (every codec the process can decode with). */
  all<K extends ComponentKind>(kind: K, options: ComponentOptions = {}): ComponentTypes[K][] {
    const out: ComponentTypes[K][] = [];
    for (const r of (this.kinds[kind] as Map<string, Registration<K>>).values()) {
      if (r.unavailable?.() === undefined) out.push(r.create(options));
    }
    return out;
  }
}
