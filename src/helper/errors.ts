// HelperError: a failure with everything a user needs (cause and fix), turned into a JSON-RPC
// error with structured data by main.ts.
import { constants } from 'node:os';
import type { ErrorCode, ErrorData } from '../protocol/errors';

const ERRNO_NAMES = new Map<number, string>([
  ...Object.entries(constants.errno).map(([name, n]): [number, string] => [n, name]),
  [524, 'ENOTSUPP'], // kernel-internal "not supported", seen from BPF syscalls
]);

export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

/** The fix we can suggest for an errno whatever the operation was. */
function fixForErrno(errno: number): string | undefined {
  switch (errno) {
    case constants.errno.EPERM:
    case constants.errno.EACCES:
      return 'the helper needs CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN on kernels before 5.8): run it as root or allow it through sudo; kernel lockdown also blocks some program types';
    case constants.errno.ENOMEM:
      return 'the kernel ran out of memory for BPF (or RLIMIT_MEMLOCK on kernels before 5.11): free maps or raise the limit';
    case constants.errno.E2BIG:
      return 'the object is larger than the kernel allows (program size, map size or key/value size)';
    case constants.errno.EOPNOTSUPP:
    case constants.errno.EINVAL:
      return undefined;
    default:
      return undefined;
  }
}

export class HelperError extends Error {
  readonly code: ErrorCode;
  readonly errno?: number;
  readonly fix?: string;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, opts: { errno?: number; fix?: string; details?: unknown } = {}) {
    super(message);
    this.code = code;
    this.errno = opts.errno;
    this.fix = opts.fix;
    this.details = opts.details;
  }

  /** An errno from the kernel or libbpf while doing `what`. */
  static errno(errno: number, what: string, code?: ErrorCode): HelperError {
    const perm = errno === constants.errno.EPERM || errno === constants.errno.EACCES;
    return new HelperError(code ?? (perm ? 'PERMISSION' : 'KERNEL'), `${what}: ${errnoName(errno)} (${errnoMessage(errno)})`, {
      errno,
      fix: fixForErrno(errno),
    });
  }

  toData(): ErrorData {
    const data: ErrorData = { code: this.code, message: this.message };
    if (this.errno !== undefined) {
      data.errno = this.errno;
      data.errnoName = errnoName(this.errno);
    }
    if (this.fix) data.fix = this.fix;
    if (this.details !== undefined) data.details = this.details;
    return data;
  }
}

/** strerror-like text without another FFI call. */
function errnoMessage(errno: number): string {
  const texts: Record<string, string> = {
    EPERM: 'operation not permitted',
    ENOENT: 'no such file or object',
    ESRCH: 'no such process',
    EINTR: 'interrupted',
    EIO: 'I/O error',
    E2BIG: 'argument list too long',
    ENOEXEC: 'exec format error',
    EBADF: 'bad file descriptor',
    EAGAIN: 'try again',
    ENOMEM: 'out of memory',
    EACCES: 'permission denied',
    EFAULT: 'bad address',
    EBUSY: 'device or resource busy',
    EEXIST: 'already exists',
    ENOTDIR: 'not a directory',
    EINVAL: 'invalid argument',
    ENOSPC: 'no space left (buffer too small)',
    ERANGE: 'out of range',
    ENOTSUP: 'not supported',
    EOPNOTSUPP: 'operation not supported',
    ENOTSUPP: 'operation not supported',
    ESTALE: 'stale handle',
  };
  return texts[errnoName(errno)] ?? (errno === 524 ? 'operation not supported by the kernel' : 'error');
}
