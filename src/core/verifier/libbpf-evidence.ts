// The evidence in a libbpf warning: the errno it ends with (in any of the forms libbpf versions
// print it) and the map, program, section or file it names in quotes.

export interface Errno {
  name: string;
  code: number;
  /** What it usually means when libbpf reports it, for a BPF developer. */
  meaning: string;
}

/** The errnos libbpf warnings carry, with what each usually means around BPF. */
const ERRNOS: [name: string, code: number, text: string, meaning: string][] = [
  [
    'EPERM',
    1,
    'Operation not permitted',
    'the kernel refused the caller: not root and without CAP_BPF (plus CAP_PERFMON / CAP_NET_ADMIN for tracing and networking), kernel lockdown, kernel.unprivileged_bpf_disabled, or — on kernels before 5.11 — a locked-memory limit (RLIMIT_MEMLOCK) too low for the maps',
  ],
  [
    'ENOENT',
    2,
    'No such file or directory',
    'something named does not exist: the file or path, the kernel function or tracepoint, or the BTF type',
  ],
  [
    'ESRCH',
    3,
    'No such process',
    'libbpf (or the kernel) found no such object: the attach target is not in the kernel BTF, or the process is gone',
  ],
  ['EIO', 5, 'Input/output error', 'reading the file or talking to the kernel failed'],
  [
    'E2BIG',
    7,
    'Argument list too long',
    'something is larger than the kernel allows — or the kernel is older than the libbpf and refuses attribute fields it does not know (they must be zero)',
  ],
  ['ENOEXEC', 8, 'Exec format error', 'the file is not an object libbpf can read'],
  ['EBADF', 9, 'Bad file descriptor', 'a program, map or link was used without a valid fd: not loaded yet, or already closed'],
  ['EAGAIN', 11, 'Resource temporarily unavailable', 'the kernel asked to retry: a transient failure'],
  ['ENOMEM', 12, 'Cannot allocate memory', 'an allocation failed: a map too large, or — on kernels before 5.11 — the locked-memory limit'],
  [
    'EACCES',
    13,
    'Permission denied',
    'for a program load the verifier rejected the program (its log says why); otherwise a file permission, SELinux/AppArmor or a security module denied it',
  ],
  ['EFAULT', 14, 'Bad address', 'the kernel could not read memory the loader passed it'],
  [
    'EBUSY',
    16,
    'Device or resource busy',
    'the place is taken: another program is already attached there (XDP on this interface, an exclusive cgroup or perf attachment), or the object is in use',
  ],
  ['EEXIST', 17, 'File exists', 'it exists already: a pin path, an attachment or a map element'],
  ['EXDEV', 18, 'Invalid cross-device link', 'the objects are in different places (a pin path outside the BPF filesystem)'],
  ['ENODEV', 19, 'No such device', 'the network interface or device does not exist (or has no driver support)'],
  ['ENOTDIR', 20, 'Not a directory', 'a component of the path is not a directory'],
  [
    'EINVAL',
    22,
    'Invalid argument',
    'the kernel (or libbpf) refused an attribute: a type, flag, size or attach point this kernel does not accept for this object, or a program type that cannot attach there',
  ],
  ['EMFILE', 24, 'Too many open files', 'the process ran out of file descriptors (ulimit -n)'],
  ['ENOSPC', 28, 'No space left on device', 'a buffer or table is full: for a program load, the verifier log buffer was too small'],
  ['ERANGE', 34, 'Numerical result out of range', 'a value does not fit the range the kernel allows'],
  ['ENOSYS', 38, 'Function not implemented', 'the kernel has no bpf() system call (CONFIG_BPF_SYSCALL off) or a seccomp filter hides it'],
  ['ENOTEMPTY', 39, 'Directory not empty', 'the pin directory still holds pins'],
  ['ELOOP', 40, 'Too many levels of symbolic links', 'a path loops, or the object refers back to itself'],
  ['ENODATA', 61, 'No data available', 'the data asked for is not there (no BTF, no info of that kind)'],
  ['EPROTO', 71, 'Protocol error', 'the kernel answered with something libbpf did not expect'],
  ['EOVERFLOW', 75, 'Value too large for defined data type', 'a value does not fit the field it goes into'],
  ['EBADMSG', 74, 'Bad message', 'the data (BTF, ELF) is malformed'],
  [
    'EOPNOTSUPP',
    95,
    'Operation not supported',
    'this kernel, driver or configuration does not support the operation (an XDP mode the driver lacks, a link type the kernel does not have)',
  ],
  ['EADDRNOTAVAIL', 99, 'Cannot assign requested address', 'the address or queue asked for is not available'],
  [
    'ENOTSUPP',
    524,
    'Unknown error 524',
    'the kernel does not support this program, attach or map type, or this helper, on this architecture or configuration (ENOTSUPP is kernel-internal: user space only sees the number)',
  ],
];

/** libbpf's own error codes (LIBBPF_ERRNO__*, libbpf.h), which older versions return for object problems. */
const LIBBPF_ERRNOS: Record<number, [string, string]> = {
  4000: ['LIBBPF_ERRNO__LIBELF', 'libelf could not read the file'],
  4001: ['LIBBPF_ERRNO__FORMAT', 'the object is not a BPF object libbpf understands'],
  4002: ['LIBBPF_ERRNO__KVERSION', 'the object has no or a wrong "version" section'],
  4003: ['LIBBPF_ERRNO__ENDIAN', 'the object was built for the other byte order'],
  4004: ['LIBBPF_ERRNO__INTERNAL', 'libbpf hit an internal error'],
  4005: ['LIBBPF_ERRNO__RELOC', 'a relocation in the object could not be applied'],
  4006: ['LIBBPF_ERRNO__LOAD', 'the program load failed for a reason the kernel did not say'],
  4007: ['LIBBPF_ERRNO__VERIFY', 'the verifier rejected the program'],
  4008: ['LIBBPF_ERRNO__PROG2BIG', 'the program has more instructions than the kernel allows'],
  4009: ['LIBBPF_ERRNO__KVER', 'the kernel version the object declares does not match the running kernel'],
  4010: ['LIBBPF_ERRNO__PROGTYPE', 'the kernel does not support this program type'],
};

const byCode = new Map(ERRNOS.map(([name, code, text, meaning]) => [code, { name, code, text, meaning }]));
const byName = new Map(ERRNOS.map(([name, code, text, meaning]) => [name, { name, code, text, meaning }]));
const byText = ERRNOS.map(([name, code, text, meaning]) => ({ name, code, text: text.toLowerCase(), meaning }));

/**
 * The errno a libbpf message reports: `Invalid argument(-22)`, `-EINVAL` (libbpf 1.6+), `err -22`,
 * `: -22`, or the bare strerror text (`: Operation not permitted`).
 */
export function errnoOf(message: string): Errno | undefined {
  const named = /(?:^|[\s(:=])-?(E[A-Z0-9]{2,14})\b/.exec(message);
  if (named && byName.has(named[1])) return pick(byName.get(named[1])!);
  const numbers = [
    ...message.matchAll(
      /\((-\d+)\)|\berr(?:no)?[ =:]+(-?\d+)\b|\berror:? (-\d+)\b|: (-\d+)\b|\bret(?:urned)? (-\d+)\b|\bUnknown error (\d+)\b/g,
    ),
  ];
  for (const m of numbers) {
    const code = Math.abs(Number(m.slice(1).find((x) => x !== undefined)));
    const e = byCode.get(code);
    if (e) return pick(e);
    const lib = LIBBPF_ERRNOS[code];
    if (lib) return { name: lib[0], code, meaning: lib[1] };
  }
  const lower = message.toLowerCase();
  for (const e of byText) if (lower.includes(e.text)) return pick(e);
  return undefined;
}

const pick = (e: { name: string; code: number; meaning: string }): Errno => ({ name: e.name, code: e.code, meaning: e.meaning });

/** `EINVAL (-22): the kernel refused ...` */
export function errnoWords(e: Errno): string {
  return `${e.name} (-${e.code}): ${e.meaning}`;
}

/** The names a libbpf warning quotes: map, program, section, file, extern. */
export function quotedNames(message: string): { map?: string; program?: string; section?: string; file?: string; name?: string } {
  const out: { map?: string; program?: string; section?: string; file?: string; name?: string } = {};
  out.map = /\bmap ?[('"]([^'")]+)['")]|\bmap '([^']+)'/.exec(message)?.slice(1).find(Boolean);
  out.program = /\bprog(?:ram)? '([^']+)'/.exec(message)?.[1];
  out.section = /\b(?:sec(?:tion)?|SEC\()\s*['"(]?([.\w/+:-]+)['")]/.exec(message)?.[1];
  out.file =
    /(?:^|[\s'"(])((?:\/|\.\.?\/)[^\s'":]+|[\w.+-]+\.(?:bpf\.)?o)\b/.exec(message)?.[1] ??
    /\b(?:open|read|parse|statfs|mkdir)\w* (?:file )?'?([^\s':]+)'?:/.exec(message)?.[1];
  out.name = /'([^']+)'/.exec(message)?.[1];
  return out;
}

/**
 * What a libbpf warning that no pattern knows is about, from the nouns of libbpf's own parts
 * (relocation, extern, pinning, buffers, attaching, maps, ELF): the entry that explains that part.
 * Most specific part first: `map 'x': failed to pin` is about pinning. Not BTF: its parser's
 * complaints are debug lines, and libbpf warns separately when a BTF problem stops the load.
 */
const SUBJECTS: [RegExp, string][] = [
  [/\bstruct_ops\b/, 'libbpf-struct-ops'],
  [/\bCO-RE\b|\bcore_relo|\brelo #|\bcand(?:idate)?s?\b|\baccess(?:or)? spec\b|\bfield relo\b/, 'libbpf-core-relo'],
  [/\bextern\b|\bksym\b|\bkcfg\b|\bKconfig\b|\bkfunc\b/i, 'libbpf-extern'],
  [/\b(?:un)?pin(?:s|ned|ning)?\b|\bbpffs\b|\bBPF FS\b/i, 'libbpf-pin'],
  [/\bring ?buf|\bperf[ _]buffer\b|\bcpu_buf\b/i, 'libbpf-buffer'],
  [
    /\battach|\blink\b|\bperf[ _]event|\b[ku](?:ret)?probe|\busdt\b|\btracepoint\b|\bnetlink\b|\bqdisc\b|\btc hook\b|\bifindex\b/i,
    'libbpf-attach',
  ],
  [/\blinker\b|\bglobal\/extern\b/, 'libbpf-linker'],
  [
    /\bmaps?\b|\bDATASEC\b|\.(?:data|bss|rodata|kconfig)\b|\barena\b|\bvalue_size\b|\bkey_size\b|\bmax_entries\b|\binner map\b/i,
    'libbpf-map-definition',
  ],
  [/\belf\b|\bELF\b|\bsection\b|\bsymtab\b|\bsymbol\b|\brelocations?\b|\bsubprog\b|\binsns?\b|\bobject file\b/i, 'libbpf-object-file'],
];

export function libbpfSubject(message: string): string | undefined {
  // Type information first: a BTF message about a map or a section is about its BTF. (Not the
  // BTF parser's own reports, `Invalid BTF ...`, `... in .BTF.ext`: libbpf prints those at debug
  // level and goes on without BTF.)
  if (/\bBTF\b/.test(message)) return /^[A-Z]|\.BTF\.ext\b/.test(message) ? undefined : 'libbpf-btf';
  return SUBJECTS.find(([re]) => re.test(message))?.[1];
}
