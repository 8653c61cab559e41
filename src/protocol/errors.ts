// Structured errors shared by helper and clients. A helper failure travels as a JSON-RPC error
// whose `data` is an ErrorData: the `code` is stable for programs, `message` and `fix` are for people.

export type ErrorCode =
  | 'INVALID_PARAMS' // a request parameter has the wrong type, range or form
  | 'INVALID_MESSAGE' // the JSON-RPC message itself is malformed or too large
  | 'FILE_NOT_FOUND'
  | 'NOT_A_FILE'
  | 'NOT_ELF'
  | 'BAD_OBJECT' // an ELF libbpf cannot open (truncated, not BPF, bad sections)
  | 'VERIFIER_REJECTED' // the kernel refused a program; details carry the log
  | 'LOAD_FAILED' // load failed before or outside verification (maps, BTF, relocations)
  | 'NO_SUCH_MAP'
  | 'NOT_A_MAP' // a pin (or fd) that is a program or link where a map was asked for
  | 'NO_SUCH_PROGRAM'
  | 'NO_SUCH_OBJECT'
  | 'MAP_GONE' // the map disappeared while we were walking it
  | 'NOT_COUNTABLE' // queue, stack, bloom filter: no way to count from user space
  | 'METHOD_UNSUPPORTED' // a forced count method does not apply to this map or kernel
  | 'PATH_OUTSIDE_BPFFS'
  | 'PERMISSION' // EPERM/EACCES from the kernel
  | 'LIBBPF_MISSING'
  | 'NO_BTF'
  | 'HELPER_UNAVAILABLE' // client side: could not start the helper
  | 'HELPER_EXITED' // client side: the helper died with requests pending
  | 'BUSY' // someone else holds what was asked for (the tracing pipe takes one reader)
  | 'CANCELLED' // the client cancelled the request ($/cancelRequest)
  | 'TIMEOUT' // the request ran past its time bound and was stopped
  | 'KERNEL'; // any other errno from the kernel or libbpf

export interface ErrorData {
  code: ErrorCode;
  /** Positive errno value when the failure came from a syscall. */
  errno?: number;
  /** Symbolic errno, e.g. "EPERM". */
  errnoName?: string;
  /** What went wrong, in words a user understands. */
  message: string;
  /** What the user can do about it. */
  fix?: string;
  /** false: only the user can fix it (a login, a host key, a missing program), so retrying by itself
   *  cannot help; true: it may go away (a network drop). Absent: decided by `code`. */
  retryable?: boolean;
  /** Method-specific details, e.g. a load failure's verifier log. */
  details?: unknown;
}

/** JSON-RPC error codes used on the wire (ErrorData.code is the precise one). */
export const RpcErrorCodes = {
  ParseError: -32700,
  InvalidRequest: -32600,
  InvalidParams: -32602,
  /** The client cancelled the request (the LSP convention). */
  RequestCancelled: -32800,
  HelperFailure: -32000,
} as const;

export function isErrorData(x: unknown): x is ErrorData {
  return typeof x === 'object' && x !== null && typeof (x as ErrorData).code === 'string' && typeof (x as ErrorData).message === 'string';
}
