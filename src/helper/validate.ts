// Request validation for the root helper: every parameter is checked for type, range and form
// before anything touches the kernel or the file system. Throws HelperError('INVALID_PARAMS').
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HelperError } from './errors';

export const BPFFS_ROOT = '/sys/fs/bpf';
export const BPF_FS_MAGIC = 0xcafe4a11;
const MAX_PATH = 4096;

function invalid(message: string, fix?: string): HelperError {
  return new HelperError('INVALID_PARAMS', message, { fix });
}

/** The params object, with no keys beyond `allowed` (a typo should not be silently ignored). */
export function params(raw: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalid('params must be an object');
  const obj = raw as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw invalid(`unknown parameter "${k}"`, `allowed: ${allowed.join(', ') || 'none'}`);
  }
  return obj;
}

export function int(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(`${name} must be an integer`);
  if (value < min || value > max) throw invalid(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function optionalInt(value: unknown, name: string, min: number, max: number, dflt: number): number {
  return value === undefined ? dflt : int(value, name, min, max);
}

/** Kernel object ids are u32 and never 0. */
export function id(value: unknown, name = 'id'): number {
  return int(value, name, 1, 0xffffffff);
}

export function bool(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalid(`${name} must be true or false`);
  return value;
}

export function oneOf<T extends string>(value: unknown, name: string, choices: readonly T[]): T {
  if (typeof value !== 'string' || !choices.includes(value as T)) throw invalid(`${name} must be one of ${choices.join(', ')}`);
  return value as T;
}

/** A string of at most maxChars characters. */
export function text(value: unknown, name: string, maxChars: number): string {
  if (typeof value !== 'string') throw invalid(`${name} must be a string`);
  if (value.length > maxChars) throw invalid(`${name} is longer than ${maxChars} characters`);
  return value;
}

/** A C type name: "event", "struct event", "event_t". */
export function identifier(value: unknown, name: string): string {
  if (typeof value !== 'string' || !/^\s*(?:(?:struct|union)\s+)?[A-Za-z_]\w{0,127}\s*$/.test(value)) {
    throw invalid(`${name} must be a C type name like "event" or "struct event"`);
  }
  return value.trim();
}

/** A kernel or ELF symbol, tracepoint or probe name ("do_unlinkat", "sched:sched_process_exec", "libc:malloc", "0x1a2b"). */
export function symbol(value: unknown, name: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.:@/+-]{1,256}$/.test(value))
    throw invalid(`${name} must be a symbol name (letters, digits, _ . : @ / + -)`);
  return value;
}

/** Distinct kernel object ids, at most `max`. */
export function idList(value: unknown, name: string, max: number): number[] {
  if (!Array.isArray(value)) throw invalid(`${name} must be an array of ids`);
  if (value.length > max) throw invalid(`${name} holds at most ${max} ids`);
  return [...new Set(value.map((x, i) => id(x, `${name}[${i}]`)))];
}

/** Decodes base64 with a size bound (measured before decoding, so a huge string costs nothing). */
export function base64(value: unknown, name: string, maxBytes: number): Buffer {
  if (typeof value !== 'string') throw invalid(`${name} must be a base64 string`);
  if (value.length > Math.ceil((maxBytes * 4) / 3) + 4) throw invalid(`${name} is larger than ${maxBytes} bytes`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 === 1) throw invalid(`${name} is not valid base64`);
  return Buffer.from(value, 'base64');
}

/** An absolute, normalized path without NUL bytes or `..` tricks. */
export function absolutePath(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid(`${name} must be a non-empty string`);
  if (value.length > MAX_PATH) throw invalid(`${name} is longer than ${MAX_PATH} characters`);
  if (value.includes('\0')) throw invalid(`${name} contains a NUL byte`);
  if (!path.posix.isAbsolute(value)) throw invalid(`${name} must be an absolute path, got "${value}"`);
  const trimmed = value.length > 1 ? value.replace(/\/+$/, '') : value;
  if (path.posix.normalize(trimmed) !== trimmed) {
    throw invalid(`${name} must be normalized (no "..", "." or "//"), got "${value}"`);
  }
  return trimmed;
}

/** A path strictly below /sys/fs/bpf (pure check; see onBpffs for the file-system check). */
export function bpffsPath(value: unknown, name: string): string {
  const p = absolutePath(value, name);
  if (!p.startsWith(BPFFS_ROOT + '/')) {
    throw new HelperError('PATH_OUTSIDE_BPFFS', `${name} "${p}" is outside ${BPFFS_ROOT}`, {
      fix: `pin paths must be below ${BPFFS_ROOT}/, e.g. ${BPFFS_ROOT}/myapp/my_map`,
    });
  }
  return p;
}

/**
 * Resolves symlinks in the deepest existing ancestor of `p` and checks it is on a bpffs mount
 * below /sys/fs/bpf, so a symlink cannot send a pin elsewhere.
 */
export function onBpffs(p: string, name: string): void {
  let dir = p;
  while (!fs.existsSync(dir)) dir = path.posix.dirname(dir);
  const real = fs.realpathSync(dir);
  if (real !== BPFFS_ROOT && !real.startsWith(BPFFS_ROOT + '/')) {
    throw new HelperError('PATH_OUTSIDE_BPFFS', `${name} "${p}" resolves to "${real}", outside ${BPFFS_ROOT}`, {
      fix: `use a path below ${BPFFS_ROOT}/ that does not go through a symbolic link`,
    });
  }
  if (fs.statfsSync(real).type !== BPF_FS_MAGIC) {
    throw new HelperError('PATH_OUTSIDE_BPFFS', `${real} is not a BPF file system`, {
      fix: `mount it: mount -t bpf bpf ${BPFFS_ROOT}`,
    });
  }
}

/** An existing regular file no larger than maxBytes; returns its size. */
export function regularFile(p: string, name: string, maxBytes: number): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new HelperError('FILE_NOT_FOUND', `${name} ${p} does not exist`, { fix: 'build the object first, or check the path' });
    throw new HelperError('NOT_A_FILE', `${name} ${p} cannot be read: ${code}`);
  }
  if (!st.isFile()) throw new HelperError('NOT_A_FILE', `${name} ${p} is not a regular file`);
  if (st.size > maxBytes) throw invalid(`${name} ${p} is larger than ${maxBytes} bytes`);
  return st.size;
}
