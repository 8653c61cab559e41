// The only FFI file: koffi bindings of the system's libbpf.so.1 and the few libc calls the helper
// needs. Every other helper file calls these typed wrappers and never touches koffi directly.
//
// libbpf >= 1.0 returns -errno from int functions and NULL (with errno set) from pointer ones.
import koffi from 'koffi';
import { HelperError } from './errors';

type Ptr = unknown; // an opaque native pointer owned by libbpf

function openLibrary(names: string[], fix: string): ReturnType<typeof koffi.load> {
  for (const n of names) {
    try {
      return koffi.load(n);
    } catch {
      /* try the next name */
    }
  }
  throw new HelperError('LIBBPF_MISSING', `${names[0]} not found`, { fix });
}

const lib = openLibrary(['libbpf.so.1'], 'install libbpf 1.0 or newer: apt install libbpf1 (Debian/Ubuntu) or dnf install libbpf (Fedora)');
const libc = openLibrary(['libc.so.6'], 'the helper needs glibc (libc.so.6)');

koffi.opaque('bpf_object');
koffi.opaque('bpf_program');
koffi.opaque('bpf_map');
koffi.opaque('bpf_link');
koffi.opaque('btf');
koffi.opaque('btf_dump');
koffi.opaque('perf_buffer');

// va_list is passed by pointer on the ABIs we support (x86_64, aarch64 passes a struct by
// reference too), so the print callbacks receive it as a void* that vsnprintf consumes once.
const PrintFn = koffi.proto('int libbpf_print_fn(int level, void *fmt, void *args)');
const DumpPrintFn = koffi.proto('void btf_dump_printf_fn(void *ctx, void *fmt, void *args)');
const PerfSampleFn = koffi.proto('void perf_buffer_sample_fn(void *ctx, int cpu, void *data, uint32 size)');
const PerfLostFn = koffi.proto('void perf_buffer_lost_fn(void *ctx, int cpu, uint64 cnt)');

const TestRunOpts = koffi.struct('bpf_test_run_opts', {
  sz: 'size_t',
  data_in: 'void *',
  data_out: 'void *',
  data_size_in: 'uint32',
  data_size_out: 'uint32',
  ctx_in: 'void *',
  ctx_out: 'void *',
  ctx_size_in: 'uint32',
  ctx_size_out: 'uint32',
  retval: 'uint32',
  repeat: 'int',
  duration: 'uint32',
  flags: 'uint32',
  cpu: 'uint32',
  batch_size: 'uint32',
});

/** The head of struct bpf_object_open_opts; libbpf accepts a shorter sz (fields past it are unset). */
const ObjectOpenOpts = koffi.struct('bpf_object_open_opts', { sz: 'size_t', object_name: 'const char *' });

koffi.struct('bpf_ksyscall_opts', { sz: 'size_t', bpf_cookie: 'uint64', retprobe: 'bool' });
koffi.struct('bpf_kprobe_multi_opts', {
  sz: 'size_t',
  syms: 'void *',
  addrs: 'void *',
  cookies: 'void *',
  cnt: 'size_t',
  retprobe: 'bool',
});
koffi.struct('bpf_uprobe_opts', {
  sz: 'size_t',
  ref_ctr_offset: 'size_t',
  bpf_cookie: 'uint64',
  retprobe: 'bool',
  func_name: 'const char *',
});
const BatchOpts = koffi.struct('bpf_map_batch_opts', { sz: 'size_t', elem_flags: 'uint64', flags: 'uint64' });

const DumpDataOpts = koffi.struct('btf_dump_type_data_opts', {
  sz: 'size_t',
  indent_str: 'const char *',
  indent_level: 'int',
  compact: 'bool',
  skip_names: 'bool',
  emit_zeroes: 'bool',
});

/** uapi struct bpf_map_info (linux/bpf.h); the kernel only appends fields. */
const MapInfoType = koffi.struct('bpf_map_info', {
  type: 'uint32',
  id: 'uint32',
  key_size: 'uint32',
  value_size: 'uint32',
  max_entries: 'uint32',
  map_flags: 'uint32',
  name: koffi.array('char', 16, 'String'),
  ifindex: 'uint32',
  btf_vmlinux_value_type_id: 'uint32',
  netns_dev: 'uint64',
  netns_ino: 'uint64',
  btf_id: 'uint32',
  btf_key_type_id: 'uint32',
  btf_value_type_id: 'uint32',
  pad: 'uint32',
  map_extra: 'uint64',
});

/** uapi struct bpf_prog_info; pointers to user buffers are __aligned_u64 addresses. */
const ProgInfoType = koffi.struct('bpf_prog_info', {
  type: 'uint32',
  id: 'uint32',
  tag: koffi.array('uint8', 8),
  jited_prog_len: 'uint32',
  xlated_prog_len: 'uint32',
  jited_prog_insns: 'uint64',
  xlated_prog_insns: 'uint64',
  load_time: 'uint64',
  created_by_uid: 'uint32',
  nr_map_ids: 'uint32',
  map_ids: 'uint64',
  name: koffi.array('char', 16, 'String'),
  ifindex: 'uint32',
  gpl_compatible: 'uint32',
  netns_dev: 'uint64',
  netns_ino: 'uint64',
  nr_jited_ksyms: 'uint32',
  nr_jited_func_lens: 'uint32',
  jited_ksyms: 'uint64',
  jited_func_lens: 'uint64',
  btf_id: 'uint32',
  func_info_rec_size: 'uint32',
  func_info: 'uint64',
  nr_func_info: 'uint32',
  nr_line_info: 'uint32',
  line_info: 'uint64',
  jited_line_info: 'uint64',
  nr_jited_line_info: 'uint32',
  line_info_rec_size: 'uint32',
  jited_line_info_rec_size: 'uint32',
  nr_prog_tags: 'uint32',
  prog_tags: 'uint64',
  run_time_ns: 'uint64',
  run_cnt: 'uint64',
  recursion_misses: 'uint64',
  verified_insns: 'uint32',
  attach_btf_obj_id: 'uint32',
  attach_btf_id: 'uint32',
  pad: 'uint32',
});

/**
 * uapi struct bpf_link_info (linux/bpf.h): type, id, prog_id, then a per-type union at offset 16
 * (its first member holds an __aligned_u64). libbpf 1.1's header stops at struct_ops; newer
 * kernels append members (tcx, netkit, netfilter, uprobe_multi, perf_event details) whose largest
 * is 48 bytes, so the union is declared as raw bytes and decoded by offset in linkInfo().
 * A larger buffer than the kernel's struct is fine as long as the tail is zero.
 */
const LinkInfoType = koffi.struct('bpf_link_info', {
  type: 'uint32',
  id: 'uint32',
  prog_id: 'uint32',
  pad: 'uint32',
  u: koffi.array('uint8', 48),
});
const LINK_INFO_SIZE = 64;
const LINK_UNION = 16;
if (koffi.sizeof(LinkInfoType) !== LINK_INFO_SIZE || koffi.offsetof(LinkInfoType, 'u') !== LINK_UNION) {
  throw new Error('struct bpf_link_info layout does not match linux/bpf.h');
}

export interface MapInfo {
  type: number;
  id: number;
  key_size: number;
  value_size: number;
  max_entries: number;
  map_flags: number;
  name: string;
  btf_id: number;
  btf_key_type_id: number;
  btf_value_type_id: number;
  btf_vmlinux_value_type_id: number;
  map_extra: bigint | number;
}

export interface ProgInfo {
  type: number;
  id: number;
  tag: number[];
  name: string;
  nr_map_ids: number;
  map_ids: bigint | number;
  created_by_uid: number;
  load_time: bigint | number;
  btf_id: number;
  gpl_compatible: number;
  run_time_ns: bigint | number;
  run_cnt: bigint | number;
  recursion_misses: bigint | number;
  verified_insns: number;
  xlated_prog_len: number;
  jited_prog_len: number;
}

/** The counts bpf_prog_info reports for its variable-length arrays (what a second call can fill). */
export interface ProgInfoCounts {
  xlated_prog_len: number;
  jited_prog_len: number;
  nr_jited_ksyms: number;
  nr_jited_func_lens: number;
  nr_func_info: number;
  func_info_rec_size: number;
  nr_line_info: number;
  line_info_rec_size: number;
  nr_jited_line_info: number;
  jited_line_info_rec_size: number;
}

const f = {
  libbpf_major_version: lib.func('uint32 libbpf_major_version(void)'),
  libbpf_minor_version: lib.func('uint32 libbpf_minor_version(void)'),
  libbpf_set_print: lib.func('void *libbpf_set_print(libbpf_print_fn *fn)'),
  libbpf_num_possible_cpus: lib.func('int libbpf_num_possible_cpus(void)'),
  libbpf_probe_bpf_map_type: lib.func('int libbpf_probe_bpf_map_type(int type, const void *opts)'),

  bpf_object__open_file: lib.func('bpf_object *bpf_object__open_file(const char *path, const void *opts)'),
  bpf_object__open_mem: lib.func('bpf_object *bpf_object__open_mem(const void *buf, size_t size, const bpf_object_open_opts *opts)'),
  bpf_object__load: lib.func('int bpf_object__load(bpf_object *obj)'),
  bpf_object__close: lib.func('void bpf_object__close(bpf_object *obj)'),
  bpf_object__pin_maps: lib.func('int bpf_object__pin_maps(bpf_object *obj, const char *path)'),
  bpf_object__pin_programs: lib.func('int bpf_object__pin_programs(bpf_object *obj, const char *path)'),
  bpf_object__next_program: lib.func('bpf_program *bpf_object__next_program(bpf_object *obj, bpf_program *prev)'),
  bpf_object__next_map: lib.func('bpf_map *bpf_object__next_map(bpf_object *obj, bpf_map *prev)'),

  bpf_program__name: lib.func('const char *bpf_program__name(bpf_program *prog)'),
  bpf_program__section_name: lib.func('const char *bpf_program__section_name(bpf_program *prog)'),
  bpf_program__type: lib.func('int bpf_program__type(bpf_program *prog)'),
  bpf_program__fd: lib.func('int bpf_program__fd(bpf_program *prog)'),
  bpf_program__insn_cnt: lib.func('size_t bpf_program__insn_cnt(bpf_program *prog)'),
  bpf_program__autoload: lib.func('bool bpf_program__autoload(bpf_program *prog)'),
  bpf_program__set_log_buf: lib.func('int bpf_program__set_log_buf(bpf_program *prog, void *buf, size_t size)'),
  bpf_program__set_log_level: lib.func('int bpf_program__set_log_level(bpf_program *prog, uint32 level)'),
  bpf_program__attach_iter: lib.func('bpf_link *bpf_program__attach_iter(bpf_program *prog, const void *opts)'),
  bpf_program__attach: lib.func('bpf_link *bpf_program__attach(bpf_program *prog)'),
  bpf_program__attach_kprobe: lib.func('bpf_link *bpf_program__attach_kprobe(bpf_program *prog, bool retprobe, const char *func)'),
  bpf_program__attach_ksyscall: lib.func(
    'bpf_link *bpf_program__attach_ksyscall(bpf_program *prog, const char *name, const bpf_ksyscall_opts *opts)',
  ),
  bpf_program__attach_kprobe_multi_opts: lib.func(
    'bpf_link *bpf_program__attach_kprobe_multi_opts(bpf_program *prog, const char *pattern, const bpf_kprobe_multi_opts *opts)',
  ),
  bpf_program__attach_uprobe_opts: lib.func(
    'bpf_link *bpf_program__attach_uprobe_opts(bpf_program *prog, int pid, const char *binary, size_t func_offset, const bpf_uprobe_opts *opts)',
  ),
  bpf_program__attach_usdt: lib.func(
    'bpf_link *bpf_program__attach_usdt(bpf_program *prog, int pid, const char *binary, const char *provider, const char *name, const void *opts)',
  ),
  bpf_program__attach_tracepoint: lib.func(
    'bpf_link *bpf_program__attach_tracepoint(bpf_program *prog, const char *category, const char *name)',
  ),
  bpf_program__attach_raw_tracepoint: lib.func('bpf_link *bpf_program__attach_raw_tracepoint(bpf_program *prog, const char *name)'),
  bpf_program__attach_cgroup: lib.func('bpf_link *bpf_program__attach_cgroup(bpf_program *prog, int cgroup_fd)'),
  bpf_program__attach_netns: lib.func('bpf_link *bpf_program__attach_netns(bpf_program *prog, int netns_fd)'),
  bpf_program__attach_perf_event: lib.func('bpf_link *bpf_program__attach_perf_event(bpf_program *prog, int pfd)'),
  bpf_program__expected_attach_type: lib.func('int bpf_program__expected_attach_type(bpf_program *prog)'),
  bpf_map__attach_struct_ops: lib.func('bpf_link *bpf_map__attach_struct_ops(bpf_map *map)'),

  bpf_map__name: lib.func('const char *bpf_map__name(bpf_map *map)'),
  bpf_map__fd: lib.func('int bpf_map__fd(bpf_map *map)'),
  bpf_map__reuse_fd: lib.func('int bpf_map__reuse_fd(bpf_map *map, int fd)'),
  bpf_map__set_pin_path: lib.func('int bpf_map__set_pin_path(bpf_map *map, const char *path)'),

  bpf_link__fd: lib.func('int bpf_link__fd(bpf_link *link)'),
  bpf_link__pin: lib.func('int bpf_link__pin(bpf_link *link, const char *path)'),
  bpf_link__destroy: lib.func('int bpf_link__destroy(bpf_link *link)'),
  bpf_iter_create: lib.func('int bpf_iter_create(int link_fd)'),

  bpf_prog_get_next_id: lib.func('int bpf_prog_get_next_id(uint32 start, _Out_ uint32 *next)'),
  bpf_map_get_next_id: lib.func('int bpf_map_get_next_id(uint32 start, _Out_ uint32 *next)'),
  bpf_prog_get_fd_by_id: lib.func('int bpf_prog_get_fd_by_id(uint32 id)'),
  bpf_map_get_fd_by_id: lib.func('int bpf_map_get_fd_by_id(uint32 id)'),
  bpf_obj_get_info_by_fd: lib.func('int bpf_obj_get_info_by_fd(int fd, void *info, _Inout_ uint32 *len)'),
  bpf_map_get_next_key: lib.func('int bpf_map_get_next_key(int fd, const void *key, void *next)'),
  bpf_map_lookup_elem: lib.func('int bpf_map_lookup_elem(int fd, const void *key, void *value)'),
  bpf_map_update_elem: lib.func('int bpf_map_update_elem(int fd, const void *key, const void *value, uint64 flags)'),
  bpf_map_lookup_batch: lib.func(
    'int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values, _Inout_ uint32 *count, const bpf_map_batch_opts *opts)',
  ),
  bpf_prog_test_run_opts: lib.func('int bpf_prog_test_run_opts(int fd, _Inout_ bpf_test_run_opts *opts)'),
  bpf_enable_stats: lib.func('int bpf_enable_stats(int type)'),
  bpf_obj_pin: lib.func('int bpf_obj_pin(int fd, const char *path)'),
  bpf_obj_get: lib.func('int bpf_obj_get(const char *path)'),
  bpf_link_get_next_id: lib.func('int bpf_link_get_next_id(uint32 start, _Out_ uint32 *next)'),
  bpf_link_get_fd_by_id: lib.func('int bpf_link_get_fd_by_id(uint32 id)'),

  perf_buffer__new: lib.func(
    'perf_buffer *perf_buffer__new(int map_fd, size_t page_cnt, perf_buffer_sample_fn *sample_cb, perf_buffer_lost_fn *lost_cb, void *ctx, const void *opts)',
  ),
  perf_buffer__consume: lib.func('int perf_buffer__consume(perf_buffer *pb)'),
  perf_buffer__epoll_fd: lib.func('int perf_buffer__epoll_fd(perf_buffer *pb)'),
  perf_buffer__free: lib.func('void perf_buffer__free(perf_buffer *pb)'),
  bpf_map_delete_elem: lib.func('int bpf_map_delete_elem(int fd, const void *key)'),
  bpf_map_lookup_and_delete_elem: lib.func('int bpf_map_lookup_and_delete_elem(int fd, const void *key, void *value)'),

  btf__load_vmlinux_btf: lib.func('btf *btf__load_vmlinux_btf(void)'),
  btf__load_from_kernel_by_id: lib.func('btf *btf__load_from_kernel_by_id(uint32 id)'),
  btf__free: lib.func('void btf__free(btf *btf)'),
  btf__type_cnt: lib.func('uint32 btf__type_cnt(btf *btf)'),
  btf__raw_data: lib.func('const void *btf__raw_data(btf *btf, _Out_ uint32 *size)'),
  btf__name_by_offset: lib.func('const char *btf__name_by_offset(btf *btf, uint32 offset)'),
  btf__type_by_id: lib.func('const void *btf__type_by_id(btf *btf, uint32 id)'),
  btf_dump__new: lib.func('btf_dump *btf_dump__new(btf *btf, btf_dump_printf_fn *fn, void *ctx, const void *opts)'),
  btf_dump__free: lib.func('void btf_dump__free(btf_dump *d)'),
  btf_dump__dump_type: lib.func('int btf_dump__dump_type(btf_dump *d, uint32 id)'),
  btf_dump__dump_type_data: lib.func(
    'int btf_dump__dump_type_data(btf_dump *d, uint32 id, const void *data, size_t size, const btf_dump_type_data_opts *opts)',
  ),

  vsnprintf: libc.func('int vsnprintf(void *buf, size_t size, void *fmt, void *args)'),
  close: libc.func('int close(int fd)'),
  read: libc.func('intptr_t read(int fd, void *buf, size_t count)'),
  mmap: libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64 offset)'),
  munmap: libc.func('int munmap(void *addr, size_t len)'),
  sysconf: libc.func('long sysconf(int name)'),
  poll: libc.func('int poll(void *fds, uint64 nfds, int timeout)'),
  eventfd: libc.func('int eventfd(uint32 initval, int flags)'),
  write: libc.func('intptr_t write(int fd, const void *buf, size_t count)'),
  syscall: libc.func('long syscall(long number, ...)'),
  prctl: libc.func('int prctl(int option, ...)'),
  mount: libc.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
};

// ---------- errors ----------

/** libbpf int results: >= 0 is success, otherwise -errno. */
function check(ret: number, what: string): number {
  if (ret < 0) throw HelperError.errno(-ret, what);
  return ret;
}

function checkPtr<T>(p: T | null, what: string): T {
  if (p === null || p === undefined) throw HelperError.errno(koffi.errno() || 22, what);
  return p;
}

// ---------- formatting of va_list callbacks ----------

const fmtBuf = Buffer.alloc(64 * 1024);
function vformat(fmt: Ptr, args: Ptr): string {
  const n = f.vsnprintf(fmtBuf, fmtBuf.length, fmt, args);
  if (n <= 0) return '';
  return fmtBuf.toString('utf8', 0, Math.min(n, fmtBuf.length - 1));
}

// libbpf's global print hook. We keep the callback registered for the helper's lifetime and
// route its messages to whoever is currently listening (an object load collects them).
let printSink: ((level: number, text: string) => void) | undefined;
const printCallback = koffi.register((level: number, fmt: Ptr, args: Ptr) => {
  const text = vformat(fmt, args);
  printSink?.(level, text);
  printMirror?.(text);
  return text.length;
}, koffi.pointer(PrintFn));
f.libbpf_set_print(printCallback);

const LIBBPF_DEBUG = 2;

/** Also hands every libbpf message to `fn` as it is printed (an object host mirrors them to stderr). */
let printMirror: ((text: string) => void) | undefined;
export function mirrorLibbpfOutput(fn: ((text: string) => void) | undefined): void {
  printMirror = fn;
}

/** Runs fn while collecting libbpf's printed messages verbatim: warnings and info, debug on request. */
export function collectLibbpfOutput<T>(fn: () => T, debug = false): { value?: T; error?: unknown; output: string } {
  const parts: string[] = [];
  const prev = printSink;
  printSink = (level, text) => {
    if (debug || level < LIBBPF_DEBUG) parts.push(text);
  };
  try {
    return { value: fn(), output: parts.join('') };
  } catch (error) {
    return { error, output: parts.join('') };
  } finally {
    printSink = prev;
  }
}

// ---------- versions and probes ----------

export function libbpfVersion(): string {
  return `${f.libbpf_major_version()}.${f.libbpf_minor_version()}`;
}

export function probeMapType(type: number): boolean {
  return f.libbpf_probe_bpf_map_type(type, null) === 1;
}

// ---------- objects ----------

export type BpfObject = { readonly __brand: 'bpf_object' };
export type BpfProgram = { readonly __brand: 'bpf_program' };
export type BpfMap = { readonly __brand: 'bpf_map' };
export type BpfLink = { readonly __brand: 'bpf_link' };

export function objectOpenFile(path: string): BpfObject {
  return checkPtr(f.bpf_object__open_file(path, null), `open ${path}`);
}
/** `name` is what libbpf would take from a file name (it prefixes internal maps: "<name>.bss"). */
export function objectOpenMem(bytes: Buffer, name?: string): BpfObject {
  const opts = name === undefined ? null : { sz: koffi.sizeof(ObjectOpenOpts), object_name: name };
  return checkPtr(f.bpf_object__open_mem(bytes, bytes.length, opts), 'open object from memory');
}
/** Returns 0 or -errno (the caller decides how to report a failed load). */
export function objectLoad(obj: BpfObject): number {
  return f.bpf_object__load(obj);
}
export function objectClose(obj: BpfObject): void {
  f.bpf_object__close(obj);
}
export function objectPinMaps(obj: BpfObject, dir: string): void {
  check(f.bpf_object__pin_maps(obj, dir), `pin maps under ${dir}`);
}
export function objectPinPrograms(obj: BpfObject, dir: string): void {
  check(f.bpf_object__pin_programs(obj, dir), `pin programs under ${dir}`);
}
export function objectPrograms(obj: BpfObject): BpfProgram[] {
  const out: BpfProgram[] = [];
  for (let p = f.bpf_object__next_program(obj, null); p; p = f.bpf_object__next_program(obj, p)) out.push(p);
  return out;
}
export function objectMaps(obj: BpfObject): BpfMap[] {
  const out: BpfMap[] = [];
  for (let m = f.bpf_object__next_map(obj, null); m; m = f.bpf_object__next_map(obj, m)) out.push(m);
  return out;
}

export const program = {
  name: (p: BpfProgram): string => f.bpf_program__name(p),
  section: (p: BpfProgram): string => f.bpf_program__section_name(p),
  type: (p: BpfProgram): number => f.bpf_program__type(p),
  fd: (p: BpfProgram): number => f.bpf_program__fd(p),
  insnCount: (p: BpfProgram): number => Number(f.bpf_program__insn_cnt(p)),
  autoload: (p: BpfProgram): boolean => f.bpf_program__autoload(p),
  /** The buffer must stay alive (referenced by the caller) until the object is loaded. */
  setLogBuf: (p: BpfProgram, buf: Buffer): void => void check(f.bpf_program__set_log_buf(p, buf, buf.length), 'set log buffer'),
  setLogLevel: (p: BpfProgram, level: number): void => void check(f.bpf_program__set_log_level(p, level), 'set log level'),
  attachIter: (p: BpfProgram): BpfLink => checkPtr(f.bpf_program__attach_iter(p, null), 'attach iterator'),
};

export const map = {
  name: (m: BpfMap): string => f.bpf_map__name(m),
  fd: (m: BpfMap): number => f.bpf_map__fd(m),
  reuseFd: (m: BpfMap, fd: number): void => void check(f.bpf_map__reuse_fd(m, fd), 'reuse map fd'),
  /** No automatic pinning (LIBBPF_PIN_BY_NAME) for this map. */
  noPin: (m: BpfMap): void => void check(f.bpf_map__set_pin_path(m, null), 'clear pin path'),
};

export const link = {
  fd: (l: BpfLink): number => f.bpf_link__fd(l),
  destroy: (l: BpfLink): void => void f.bpf_link__destroy(l),
  pin: (l: BpfLink, path: string): void => void check(f.bpf_link__pin(l, path), `pin link to ${path}`),
};

// ---------- attach (libbpf's own attach calls; each returns a link or throws with errno) ----------

const size = (name: string) => koffi.sizeof(name);

export const attach = {
  /** What libbpf's skeletons do: attach as the section says. */
  auto: (p: BpfProgram): BpfLink => checkPtr(f.bpf_program__attach(p), 'attach'),
  kprobe: (p: BpfProgram, retprobe: boolean, func: string): BpfLink =>
    checkPtr(f.bpf_program__attach_kprobe(p, retprobe, func), `attach kprobe to ${func}`),
  ksyscall: (p: BpfProgram, name: string, retprobe: boolean): BpfLink =>
    checkPtr(
      f.bpf_program__attach_ksyscall(p, name, { sz: size('bpf_ksyscall_opts'), bpf_cookie: 0, retprobe }),
      `attach ksyscall to ${name}`,
    ),
  kprobeMulti: (p: BpfProgram, pattern: string, retprobe: boolean): BpfLink =>
    checkPtr(
      f.bpf_program__attach_kprobe_multi_opts(p, pattern, {
        sz: size('bpf_kprobe_multi_opts'),
        syms: null,
        addrs: null,
        cookies: null,
        cnt: 0,
        retprobe,
      }),
      `attach kprobe.multi to ${pattern}`,
    ),
  uprobe: (p: BpfProgram, pid: number, binary: string, offset: number, func: string | null, retprobe: boolean): BpfLink =>
    checkPtr(
      f.bpf_program__attach_uprobe_opts(p, pid, binary, offset, {
        sz: size('bpf_uprobe_opts'),
        ref_ctr_offset: 0,
        bpf_cookie: 0,
        retprobe,
        func_name: func,
      }),
      `attach uprobe to ${binary}:${func ?? `0x${offset.toString(16)}`}`,
    ),
  usdt: (p: BpfProgram, pid: number, binary: string, provider: string, name: string): BpfLink =>
    checkPtr(f.bpf_program__attach_usdt(p, pid, binary, provider, name, null), `attach usdt ${provider}:${name} in ${binary}`),
  tracepoint: (p: BpfProgram, category: string, name: string): BpfLink =>
    checkPtr(f.bpf_program__attach_tracepoint(p, category, name), `attach tracepoint ${category}:${name}`),
  rawTracepoint: (p: BpfProgram, name: string): BpfLink =>
    checkPtr(f.bpf_program__attach_raw_tracepoint(p, name), `attach raw tracepoint ${name}`),
  cgroup: (p: BpfProgram, cgroupFd: number): BpfLink => checkPtr(f.bpf_program__attach_cgroup(p, cgroupFd), 'attach to cgroup'),
  netns: (p: BpfProgram, netnsFd: number): BpfLink => checkPtr(f.bpf_program__attach_netns(p, netnsFd), 'attach to network namespace'),
  perfEvent: (p: BpfProgram, pfd: number): BpfLink => checkPtr(f.bpf_program__attach_perf_event(p, pfd), 'attach to perf event'),
  structOps: (m: BpfMap): BpfLink => checkPtr(f.bpf_map__attach_struct_ops(m), 'attach struct_ops'),
};

export function expectedAttachType(p: BpfProgram): number {
  return f.bpf_program__expected_attach_type(p);
}

const BPF_LINK_CREATE = 28;
const LINK_CREATE_ATTR = 48;

/**
 * BPF_LINK_CREATE through bpf(2) directly, for link kinds libbpf 1.1 cannot express: XDP with a
 * mode flag, tcx (Linux 6.6), netfilter (6.4). `extra` is written at offset 16 (the per-type union).
 * Returns the link fd (closing it detaches the link unless it is pinned).
 */
export function linkCreateRaw(progFd: number, target: number, attachType: number, flags: number, extra?: Buffer): number {
  const nr = SYS_BPF[process.arch];
  if (nr === undefined) throw new HelperError('KERNEL', `bpf(2) has no known number on ${process.arch}`);
  const attr = Buffer.alloc(LINK_CREATE_ATTR);
  attr.writeUInt32LE(progFd, 0);
  attr.writeUInt32LE(target, 4);
  attr.writeUInt32LE(attachType, 8);
  attr.writeUInt32LE(flags, 12);
  extra?.copy(attr, 16);
  const r = Number(f.syscall(nr, 'int', BPF_LINK_CREATE, 'void *', attr, 'uint32', LINK_CREATE_ATTR));
  if (r < 0) throw HelperError.errno(koffi.errno(), 'create link');
  return r;
}

const SYS_PERF_EVENT_OPEN: Record<string, number> = { x64: 298, arm64: 241, riscv64: 241, s390x: 331, ppc64: 319, loong64: 241 };
const PERF_ATTR_SIZE = 136; // PERF_ATTR_SIZE_VER8

/** perf_event_open(2) of the software CPU clock on one CPU, sampling `freq` times a second. */
export function perfEventOpenCpuClock(cpu: number, freq: number): number {
  const nr = SYS_PERF_EVENT_OPEN[process.arch];
  if (nr === undefined) throw new HelperError('KERNEL', `perf_event_open has no known number on ${process.arch}`);
  const attr = Buffer.alloc(PERF_ATTR_SIZE);
  attr.writeUInt32LE(1, 0); // type PERF_TYPE_SOFTWARE
  attr.writeUInt32LE(PERF_ATTR_SIZE, 4);
  attr.writeBigUInt64LE(0n, 8); // config PERF_COUNT_SW_CPU_CLOCK
  attr.writeBigUInt64LE(BigInt(freq), 16); // sample_freq
  attr.writeBigUInt64LE(1n << 10n, 40); // flags: freq
  const r = Number(
    f.syscall(
      nr,
      'void *',
      attr,
      'int',
      -1 /* any pid */,
      'int',
      cpu,
      'int',
      -1 /* no group */,
      'unsigned long',
      8 /* PERF_FLAG_FD_CLOEXEC */,
    ),
  );
  if (r < 0) throw HelperError.errno(koffi.errno(), `open a CPU clock perf event on CPU ${cpu}`);
  return r;
}

/** A fresh read-once fd for an attached iterator link. */
export function iterCreate(linkFd: number): number {
  return check(f.bpf_iter_create(linkFd), 'create iterator');
}

// ---------- ids, fds and info ----------

/** Next id after `start`, or undefined at the end. */
export function progNextId(start: number): number | undefined {
  const next = [0];
  const r = f.bpf_prog_get_next_id(start, next);
  if (r === -2) return undefined; // ENOENT: no more ids
  check(r, 'list programs');
  return next[0];
}
export function mapNextId(start: number): number | undefined {
  const next = [0];
  const r = f.bpf_map_get_next_id(start, next);
  if (r === -2) return undefined;
  check(r, 'list maps');
  return next[0];
}
export function linkNextId(start: number): number | undefined {
  const next = [0];
  const r = f.bpf_link_get_next_id(start, next);
  if (r === -2) return undefined;
  check(r, 'list links');
  return next[0];
}
export function linkFdById(id: number): number {
  return check(f.bpf_link_get_fd_by_id(id), `open link ${id}`);
}
export function progFdById(id: number): number {
  return check(f.bpf_prog_get_fd_by_id(id), `open program ${id}`);
}
export function mapFdById(id: number): number {
  return check(f.bpf_map_get_fd_by_id(id), `open map ${id}`);
}

export function mapInfo(fd: number): MapInfo {
  const buf = Buffer.alloc(koffi.sizeof(MapInfoType));
  check(f.bpf_obj_get_info_by_fd(fd, buf, [buf.length]), 'read map info');
  return koffi.decode(buf, MapInfoType) as MapInfo;
}

/** Program info; with mapIds, also the ids of the maps the program uses. */
export function progInfo(fd: number, withMapIds = false): ProgInfo & { mapIds: number[] } {
  const size = koffi.sizeof(ProgInfoType);
  const buf = Buffer.alloc(size);
  check(f.bpf_obj_get_info_by_fd(fd, buf, [size]), 'read program info');
  const info = koffi.decode(buf, ProgInfoType) as ProgInfo;
  let mapIds: number[] = [];
  if (withMapIds && info.nr_map_ids > 0) {
    const n = info.nr_map_ids;
    const ids = koffi.alloc('uint32', n);
    try {
      const req = Buffer.alloc(size);
      koffi.encode(req, ProgInfoType, { nr_map_ids: n, map_ids: koffi.address(ids) });
      check(f.bpf_obj_get_info_by_fd(fd, req, [size]), 'read program map ids');
      mapIds = Array.from(koffi.decode(ids, 'uint32', n) as ArrayLike<number>);
    } finally {
      koffi.free(ids);
    }
  }
  return { ...info, mapIds };
}

/** A program's instructions and debug info as the kernel keeps them (the second info call fills user buffers). */
export interface ProgDump {
  info: ProgInfo & ProgInfoCounts;
  /** Translated (xlated) instructions, 8 bytes each. */
  xlated: Buffer;
  /** struct bpf_line_info records (insn_off, file_name_off, line_off, line_col), rec size in info. */
  lineInfo: Buffer;
  /** struct bpf_func_info records (insn_off, type_id). */
  funcInfo: Buffer;
  /** JIT address of each line-info record (when jited). */
  jitedLineInfo: bigint[];
  /** Start address and length of each jited function. */
  jitedKsyms: bigint[];
  jitedFuncLens: number[];
  /** Machine code, when asked for. */
  jited?: Buffer;
}

/** BPF_OBJ_GET_INFO_BY_FD twice: once for the counts, once with buffers for the arrays. */
export function progDump(fd: number, withJited: boolean): ProgDump {
  const size = koffi.sizeof(ProgInfoType);
  const first = Buffer.alloc(size);
  check(f.bpf_obj_get_info_by_fd(fd, first, [size]), 'read program info');
  const info = koffi.decode(first, ProgInfoType) as ProgInfo & ProgInfoCounts;
  const lineRec = info.line_info_rec_size || 16;
  const funcRec = info.func_info_rec_size || 8;
  const jitedLineRec = info.jited_line_info_rec_size || 8;
  const want = {
    xlated: info.xlated_prog_len,
    jited: withJited ? info.jited_prog_len : 0,
    lineInfo: info.nr_line_info * lineRec,
    funcInfo: info.nr_func_info * funcRec,
    jitedLineInfo: info.nr_jited_line_info * jitedLineRec,
    jitedKsyms: info.nr_jited_ksyms * 8,
    jitedFuncLens: info.nr_jited_func_lens * 4,
  };
  const bufs = Object.fromEntries(Object.entries(want).map(([k, n]) => [k, n > 0 ? koffi.alloc('uint8', n) : null])) as Record<
    keyof typeof want,
    unknown
  >;
  const addr = (p: unknown) => (p ? koffi.address(p) : 0n);
  try {
    const req = Buffer.alloc(size);
    koffi.encode(req, ProgInfoType, {
      xlated_prog_len: want.xlated,
      xlated_prog_insns: addr(bufs.xlated),
      jited_prog_len: want.jited,
      jited_prog_insns: addr(bufs.jited),
      nr_line_info: want.lineInfo ? info.nr_line_info : 0,
      line_info_rec_size: lineRec,
      line_info: addr(bufs.lineInfo),
      nr_func_info: want.funcInfo ? info.nr_func_info : 0,
      func_info_rec_size: funcRec,
      func_info: addr(bufs.funcInfo),
      nr_jited_line_info: want.jitedLineInfo ? info.nr_jited_line_info : 0,
      jited_line_info_rec_size: jitedLineRec,
      jited_line_info: addr(bufs.jitedLineInfo),
      nr_jited_ksyms: want.jitedKsyms ? info.nr_jited_ksyms : 0,
      jited_ksyms: addr(bufs.jitedKsyms),
      nr_jited_func_lens: want.jitedFuncLens ? info.nr_jited_func_lens : 0,
      jited_func_lens: addr(bufs.jitedFuncLens),
    });
    check(f.bpf_obj_get_info_by_fd(fd, req, [size]), 'read program instructions');
    const read = (k: keyof typeof want) => (bufs[k] ? Buffer.from(new Uint8Array(koffi.view(bufs[k], want[k]))) : Buffer.alloc(0));
    const u64s = (b: Buffer, rec: number) => Array.from({ length: Math.floor(b.length / rec) }, (_, i) => b.readBigUInt64LE(i * rec));
    const jitedFuncLens = read('jitedFuncLens');
    return {
      info,
      xlated: read('xlated'),
      lineInfo: read('lineInfo'),
      funcInfo: read('funcInfo'),
      jitedLineInfo: u64s(read('jitedLineInfo'), jitedLineRec),
      jitedKsyms: u64s(read('jitedKsyms'), 8),
      jitedFuncLens: Array.from({ length: jitedFuncLens.length / 4 }, (_, i) => jitedFuncLens.readUInt32LE(i * 4)),
      jited: withJited ? read('jited') : undefined,
    };
  } finally {
    for (const b of Object.values(bufs)) if (b) koffi.free(b);
  }
}

/** A link's info: the header, the raw union bytes, and a string the kernel copies out when asked. */
export interface LinkInfo {
  type: number;
  id: number;
  progId: number;
  /** The union at offset 16, 48 bytes; offsets below are relative to the struct start. */
  raw: Buffer;
  /** The name the kernel returned through a user buffer (tp_name, target_name, func_name, path). */
  name?: string;
}

const LINK_NAME_MAX = 512;

/**
 * BPF_OBJ_GET_INFO_BY_FD on a link. `nameAt(info)` says where this link type takes a string
 * buffer ([pointer offset, length offset] in the struct) for a second call, or undefined.
 */
export function linkInfo(fd: number, nameAt: (type: number, raw: Buffer) => [number, number] | undefined): LinkInfo {
  const buf = Buffer.alloc(LINK_INFO_SIZE);
  check(f.bpf_obj_get_info_by_fd(fd, buf, [LINK_INFO_SIZE]), 'read link info');
  const info: LinkInfo = { type: buf.readUInt32LE(0), id: buf.readUInt32LE(4), progId: buf.readUInt32LE(8), raw: buf };
  const at = nameAt(info.type, buf);
  if (!at) return info;
  const name = koffi.alloc('uint8', LINK_NAME_MAX);
  try {
    const req = Buffer.alloc(LINK_INFO_SIZE);
    req.writeBigUInt64LE(BigInt(koffi.address(name)), at[0]);
    req.writeUInt32LE(LINK_NAME_MAX, at[1]);
    // ENOSPC still copies a truncated name; any other failure leaves the link without one.
    const r = f.bpf_obj_get_info_by_fd(fd, req, [LINK_INFO_SIZE]);
    if (r === 0 || r === -28) {
      const bytes = Buffer.from(new Uint8Array(koffi.view(name, LINK_NAME_MAX)));
      const end = bytes.indexOf(0);
      const text = bytes.toString('utf8', 0, end < 0 ? LINK_NAME_MAX : end);
      if (text) info.name = text;
      info.raw = req;
    }
  } finally {
    koffi.free(name);
  }
  return info;
}

export function mapGetNextKey(fd: number, key: Buffer | null, next: Buffer): number {
  return f.bpf_map_get_next_key(fd, key, next);
}
/** key null: the head of a queue or stack (peek). Returns 0 or -errno. */
export function mapLookup(fd: number, key: Buffer | null, value: Buffer): number {
  return f.bpf_map_lookup_elem(fd, key, value);
}
/** key null: push onto a queue or stack. */
export function mapUpdate(fd: number, key: Buffer | null, value: Buffer, flags = 0): void {
  check(f.bpf_map_update_elem(fd, key, value, flags), 'update map element');
}
/** Returns 0 or -errno (ENOENT: no such key). */
export function mapDelete(fd: number, key: Buffer): number {
  return f.bpf_map_delete_elem(fd, key);
}
/** key null: pop the head of a queue or stack. Returns 0 or -errno (ENOENT: empty). */
export function mapLookupAndDelete(fd: number, key: Buffer | null, value: Buffer): number {
  return f.bpf_map_lookup_and_delete_elem(fd, key, value);
}

/** One BPF_MAP_LOOKUP_BATCH call. Returns -errno (ENOENT = last batch) and the count read. */
export function mapLookupBatch(
  fd: number,
  inBatch: Buffer | null,
  outBatch: Buffer,
  keys: Buffer,
  values: Buffer,
  max: number,
): { ret: number; count: number } {
  const count = [max];
  const ret = f.bpf_map_lookup_batch(fd, inBatch, outBatch, keys, values, count, { sz: koffi.sizeof(BatchOpts), elem_flags: 0, flags: 0 });
  return { ret, count: count[0] };
}

export interface TestRunResult {
  retval: number;
  duration: number;
  dataOut: Buffer;
  ctxOut: Buffer;
}
const BPF_PROG_TYPE_SYSCALL = 31;
/** Types whose test run takes only a context: no data, no ctx_out, no repeat (kernel returns EINVAL). */
const CONTEXT_ONLY_TYPES = new Set([17 /* raw_tracepoint */, 24 /* raw_tracepoint_writable */, BPF_PROG_TYPE_SYSCALL]);

/**
 * BPF_PROG_TEST_RUN. Raw tracepoint and syscall programs take only a context; a syscall
 * program's (possibly modified) context is written back by the kernel into ctxIn itself.
 */
export function progTestRun(
  fd: number,
  progType: number,
  dataIn: Buffer | null,
  ctxIn: Buffer | null,
  repeat: number,
  dataOutSize = 0,
): TestRunResult {
  const ctxOnly = CONTEXT_ONLY_TYPES.has(progType);
  const data = ctxOnly ? null : dataIn;
  const dataOut = Buffer.alloc(data ? Math.max(dataOutSize, data.length) : 0);
  const ctxOut = Buffer.alloc(ctxIn && !ctxOnly ? Math.max(ctxIn.length, 256) : 0);
  const opts = {
    sz: koffi.sizeof(TestRunOpts),
    data_in: data,
    data_out: data ? dataOut : null,
    data_size_in: data?.length ?? 0,
    data_size_out: dataOut.length,
    ctx_in: ctxIn,
    ctx_out: ctxOut.length ? ctxOut : null,
    ctx_size_in: ctxIn?.length ?? 0,
    ctx_size_out: ctxOut.length,
    retval: 0,
    repeat: ctxOnly ? 0 : repeat,
    duration: 0,
    flags: 0,
    cpu: 0,
    batch_size: 0,
  };
  check(f.bpf_prog_test_run_opts(fd, opts), 'test run');
  return {
    retval: opts.retval,
    duration: opts.duration,
    dataOut: dataOut.subarray(0, opts.data_size_out),
    ctxOut: progType === BPF_PROG_TYPE_SYSCALL ? (ctxIn ?? Buffer.alloc(0)) : ctxOut.subarray(0, opts.ctx_size_out),
  };
}

export function numPossibleCpus(): number {
  return check(f.libbpf_num_possible_cpus(), 'count possible CPUs');
}

/** Turns on run_cnt/run_time_ns accounting while the returned fd stays open. */
export function enableStats(): number {
  return check(f.bpf_enable_stats(0 /* BPF_STATS_RUN_TIME */), 'enable BPF stats');
}
export function objPin(fd: number, path: string): void {
  check(f.bpf_obj_pin(fd, path), `pin to ${path}`);
}
export function objGet(path: string): number {
  return check(f.bpf_obj_get(path), `open pinned ${path}`);
}

// ---------- BTF ----------

export type Btf = { readonly __brand: 'btf' };
export type BtfDump = { readonly __brand: 'btf_dump' };

export function btfLoadVmlinux(): Btf {
  return checkPtr(f.btf__load_vmlinux_btf(), 'load vmlinux BTF');
}
export function btfLoadById(id: number): Btf {
  return checkPtr(f.btf__load_from_kernel_by_id(id), `load BTF ${id}`);
}
export function btfFree(btf: Btf): void {
  f.btf__free(btf);
}
export function btfTypeCount(btf: Btf): number {
  return f.btf__type_cnt(btf);
}
/** A string of the BTF's string section ('' when the offset is out of range). */
export function btfNameByOffset(btf: Btf, offset: number): string {
  return (f.btf__name_by_offset(btf, offset) as string | null) ?? '';
}
/** The name of BTF type `id` (a FUNC's name for func_info), '' when it has none. */
export function btfTypeName(btf: Btf, id: number): string {
  const t = f.btf__type_by_id(btf, id);
  if (!t) return '';
  return btfNameByOffset(btf, koffi.decode(t, 'uint32') as number); // struct btf_type starts with name_off
}

/** A btf_dump whose printed text goes to `sink`; free it with btfDumpFree. */
export function btfDumpNew(btf: Btf, sink: (text: string) => void): { dump: BtfDump; callback: unknown } {
  const callback = koffi.register((_ctx: Ptr, fmt: Ptr, args: Ptr) => sink(vformat(fmt, args)), koffi.pointer(DumpPrintFn));
  const dump = f.btf_dump__new(btf, callback, null, null);
  if (!dump) {
    koffi.unregister(callback as bigint);
    throw HelperError.errno(koffi.errno() || 22, 'create BTF dumper');
  }
  return { dump, callback };
}
export function btfDumpFree(d: { dump: BtfDump; callback: unknown }): void {
  f.btf_dump__free(d.dump);
  koffi.unregister(d.callback as bigint);
}
export function btfDumpType(d: BtfDump, id: number): void {
  check(f.btf_dump__dump_type(d, id), `dump BTF type ${id}`);
}
export function btfDumpData(d: BtfDump, typeId: number, data: Buffer): void {
  check(
    f.btf_dump__dump_type_data(d, typeId, data, data.length, {
      sz: koffi.sizeof(DumpDataOpts),
      indent_str: null,
      indent_level: 0,
      compact: true,
      skip_names: false,
      emit_zeroes: false,
    }),
    `format BTF type ${typeId}`,
  );
}

/** The raw bytes of a BTF object (what parseBtf in src/core/btf reads). */
export function btfRawData(btf: Btf): Buffer {
  const size = [0];
  const p = checkPtr(f.btf__raw_data(btf, size), 'read BTF bytes');
  return Buffer.from(new Uint8Array(koffi.view(p, size[0])));
}

// ---------- ring buffers and perf buffers ----------

/** A native record pointer, valid only during the sample callback that received it. */
export type RecordPtr = { readonly __brand: 'record' };

/** Copies `size` bytes of a record out of libbpf's mapping (only inside the sample callback). */
export function copyRecord(data: RecordPtr, size: number): Buffer {
  return Buffer.from(new Uint8Array(koffi.view(data, size)));
}

export interface Consumer {
  /** Epoll fd that becomes readable when records are waiting. */
  epollFd: number;
  /** Runs the sample callback for every record waiting now; never blocks. */
  consume(): void;
  free(): void;
}

/**
 * perf_buffer__new on a BPF_MAP_TYPE_PERF_EVENT_ARRAY fd: libbpf opens one perf event per CPU and
 * stores it in the array (replacing whatever another consumer had stored there).
 */
export function perfBufferNew(
  mapFd: number,
  pages: number,
  onSample: (cpu: number, data: RecordPtr, size: number) => void,
  onLost: (cpu: number, count: number) => void,
): Consumer {
  const sample = koffi.register(
    (_ctx: Ptr, cpu: number, data: RecordPtr, size: number) => onSample(cpu, data, size),
    koffi.pointer(PerfSampleFn),
  );
  const lost = koffi.register((_ctx: Ptr, cpu: number, cnt: number | bigint) => onLost(cpu, Number(cnt)), koffi.pointer(PerfLostFn));
  const pb = f.perf_buffer__new(mapFd, pages, sample, lost, null, null);
  if (!pb) {
    const errno = koffi.errno() || 22;
    koffi.unregister(sample);
    koffi.unregister(lost);
    throw HelperError.errno(errno, 'open perf buffer');
  }
  let freed = false;
  return {
    epollFd: f.perf_buffer__epoll_fd(pb),
    consume: () => {
      if (!freed) check(f.perf_buffer__consume(pb), 'consume perf buffer');
    },
    free: () => {
      if (freed) return;
      freed = true;
      f.perf_buffer__free(pb);
      koffi.unregister(sample);
      koffi.unregister(lost);
    },
  };
}

// ---------- BPF streams (Linux 6.17+) ----------

const SYS_BPF: Record<string, number> = { x64: 321, arm64: 280, riscv64: 280, s390x: 351, ppc64: 361, loong64: 280 };
const BPF_PROG_STREAM_READ_BY_FD = 37;
const STREAM_READ_ATTR = 8 + 4 + 4 + 4;

/**
 * Reads (and consumes) up to buf.length bytes of a program's BPF stream (1 stdout, 2 stderr).
 * Returns the byte count, or -errno (EINVAL on kernels without streams).
 */
export function progStreamRead(progFd: number, stream: 1 | 2, buf: Buffer): number {
  const nr = SYS_BPF[process.arch];
  if (nr === undefined) return -38; // ENOSYS: we do not know bpf(2)'s number here
  const attr = Buffer.alloc(STREAM_READ_ATTR + 4);
  attr.writeBigUInt64LE(BigInt(koffi.address(buf)), 0);
  attr.writeUInt32LE(buf.length, 8);
  attr.writeUInt32LE(stream, 12);
  attr.writeUInt32LE(progFd, 16);
  const r = Number(f.syscall(nr, 'int', BPF_PROG_STREAM_READ_BY_FD, 'void *', attr, 'uint32', STREAM_READ_ATTR));
  return r < 0 ? -koffi.errno() : r;
}

// ---------- libc ----------

export function closeFd(fd: number): void {
  if (fd >= 0) f.close(fd);
}
/** One read(2) into buf; returns the byte count (0 at EOF). */
export function readFd(fd: number, buf: Buffer): number {
  const n = Number(f.read(fd, buf, buf.length));
  if (n < 0) throw HelperError.errno(koffi.errno(), 'read iterator');
  return n;
}

/** Reads until EOF from a raw fd into a growing buffer (iterator fds are read-once streams). */
export function readAll(fd: number, chunk: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (;;) {
    const n = Number(f.read(fd, chunk, chunk.length));
    if (n < 0) throw HelperError.errno(koffi.errno(), 'read iterator');
    if (n === 0) break;
    parts.push(Buffer.from(chunk.subarray(0, n)));
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** An eventfd: written to wake a poll() that waits in a worker thread. */
export function eventFd(): number {
  const fd = f.eventfd(0, 0o2000000 | 0o4000 /* EFD_CLOEXEC | EFD_NONBLOCK */);
  if (fd < 0) throw HelperError.errno(koffi.errno(), 'create eventfd');
  return fd;
}
const ONE = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);
export function eventFdSignal(fd: number): void {
  f.write(fd, ONE, 8);
}
/** Non-blocking read(2) that returns -errno instead of throwing (EAGAIN when nothing waits). */
export function readNonBlocking(fd: number, buf: Buffer): number {
  const n = Number(f.read(fd, buf, buf.length));
  return n < 0 ? -koffi.errno() : n;
}

/**
 * poll(2) in one of libuv's worker threads, so the helper keeps answering requests while it waits.
 * `fds` holds struct pollfd entries (int fd; short events; short revents), written in place.
 */
export function pollAsync(fds: Buffer, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    f.poll.async(fds, fds.length / 8, timeoutMs, (err: unknown, n: number) => (err ? reject(err) : resolve(n)));
  });
}

/** prctl(PR_SET_PDEATHSIG, SIGKILL): the kernel kills this process when its parent dies. */
export function dieWithParent(): void {
  if (f.prctl(1 /* PR_SET_PDEATHSIG */, 'unsigned long', 9 /* SIGKILL */) !== 0) throw HelperError.errno(koffi.errno(), 'prctl');
}

/** mount(2): a file system the helper needs (bpffs, tracefs) where the machine booted without it. */
export function mountFs(source: string, target: string, fstype: string, data: string): void {
  if (f.mount(source, target, fstype, 0, data) !== 0) throw HelperError.errno(koffi.errno(), `mount ${fstype} on ${target}`);
}

export const PAGE_SIZE: number = Number(f.sysconf(30 /* _SC_PAGESIZE */));
const PROT_READ = 1;
const MAP_SHARED = 1;
const MAP_FAILED = -1n;

/** Read-only shared mapping of a map fd; returns a copy of `len` bytes, then unmaps. */
export function mmapRead(fd: number, len: number, offset: number): Buffer {
  const p = f.mmap(null, len, PROT_READ, MAP_SHARED, fd, offset);
  if (p === null || koffi.address(p) === MAP_FAILED || koffi.address(p) === 0xffffffffffffffffn) {
    throw HelperError.errno(koffi.errno(), 'mmap map');
  }
  try {
    return Buffer.from(new Uint8Array(koffi.view(p, len))); // a copy: the mapping goes away below
  } finally {
    f.munmap(p, len);
  }
}

/** A shared mapping of a map fd that stays mapped until unmap(): `bytes` views it directly (no copy). */
export interface Mapping {
  bytes: ArrayBuffer;
  unmap(): void;
}

/** mmap(2) of a map fd, read-only or read-write, kept until unmap() (ring buffer pages). */
export function mmapShared(fd: number, len: number, offset: number, writable: boolean): Mapping {
  const p = f.mmap(null, len, writable ? PROT_READ | 2 /* PROT_WRITE */ : PROT_READ, MAP_SHARED, fd, offset);
  if (p === null || koffi.address(p) === MAP_FAILED || koffi.address(p) === 0xffffffffffffffffn) {
    throw HelperError.errno(koffi.errno(), 'mmap ring buffer');
  }
  let mapped = true;
  return {
    bytes: koffi.view(p, len),
    unmap: () => {
      if (!mapped) return;
      mapped = false;
      f.munmap(p, len);
    },
  };
}
