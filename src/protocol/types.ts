// Params and results of every helper method. Plain JSON: byte strings are base64, 64-bit
// counters are numbers (exact up to 2^53, far beyond any map size or run count we report).

// ---------- hello ----------

export interface HelloParams {
  /** The client's PROTOCOL_VERSION; the helper refuses a different major version. */
  protocolVersion: number;
  client?: string;
}

export interface Capabilities {
  /** /sys/kernel/btf/vmlinux is readable (CO-RE, BTF-formatted values, vmlinux.h). */
  btf: boolean;
  /** The map-count iterator with kfunc bpf_map_sum_elem_count() loaded (Linux 6.6+). */
  mapSumElemCount: boolean;
  /** BPF_MAP_LOOKUP_BATCH (Linux 5.6+). */
  batchOps: boolean;
  /** BPF_MAP_TYPE_RINGBUF (Linux 5.8+). */
  ringbuf: boolean;
  /** BPF_ENABLE_STATS (Linux 5.8+). */
  bpfStats: boolean;
}

export interface HelloResult {
  protocolVersion: number;
  helperVersion: string;
  kernelRelease: string;
  libbpfVersion: string;
  arch: string;
  uid: number;
  pid: number;
  capabilities: Capabilities;
  /** Why a capability is absent, keyed like `capabilities`. */
  notes: Partial<Record<keyof Capabilities, string>>;
}

// ---------- objects ----------

export interface ObjectLoadParams {
  /** Absolute path of a .bpf.o on the helper's machine. Exactly one of path and bytes. */
  path?: string;
  /** The object's bytes, base64 (for objects built elsewhere). */
  bytes?: string;
  /** Pin maps and programs under this bpffs directory (must be below /sys/fs/bpf). */
  pinDir?: string;
  /** Verifier log level for every program: 0 = log only on failure (default), 1, 2 = full trace. */
  logLevel?: number;
}

export interface LoadedProgram {
  name: string;
  section: string;
  type: number;
  typeName: string;
  id: number;
  /** Instructions in the object file. */
  insnCount: number;
  /** Instructions the verifier processed (kernel 5.16+), 0 if unknown. */
  verifiedInsns: number;
  /** Verifier log when logLevel > 0. */
  log?: string;
}

export interface LoadedMap {
  name: string;
  id: number;
  type: number;
  typeName: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

export interface ObjectLoadResult {
  /** Helper-local handle for object.unload. */
  handle: number;
  programs: LoadedProgram[];
  maps: LoadedMap[];
  pinned: string[];
  /** libbpf's own messages during open and load, verbatim. */
  libbpfLog: string;
}

/** ErrorData.details of a failed object.load (codes VERIFIER_REJECTED, LOAD_FAILED, BAD_OBJECT). */
export interface LoadFailureDetails {
  /** The program the kernel rejected, when one was. */
  program?: string;
  section?: string;
  /** The complete verifier log of that program, verbatim. */
  verifierLog: string;
  /** True when the log still did not fit in the largest buffer we allow. */
  logTruncated: boolean;
  /** libbpf's own messages, verbatim. */
  libbpfLog: string;
}

export interface ObjectUnloadParams {
  handle: number;
}

// ---------- inventory ----------

/** One BPF link attaching a program (kernel links only: netlink XDP/tc and legacy cgroup attachments have none). */
export interface ProgramAttachment {
  linkId: number;
  /** Link type (xdp, tcx, raw_tracepoint, cgroup, ...); for perf_event links the event kind (tracepoint, kprobe, uprobe, ...). */
  type: string;
  /** What it is attached to, when the kernel says: interface, tracepoint, function, cgroup id, ... */
  target?: string;
  /** Where the link itself is pinned below /sys/fs/bpf. */
  pinned?: string[];
}

export interface ProgramSummary {
  id: number;
  name: string;
  type: number;
  typeName: string;
  tag: string;
  loadTime: number; // ns since boot
  uid: number;
  btfId: number;
  mapIds: number[];
  xlatedLen: number;
  jitedLen: number;
  verifiedInsns: number;
  memlock: number;
  /** Present only while BPF stats are enabled (stats.enable). */
  runCount?: number;
  runTimeNs?: number;
  /** Loaded by this helper (object.load). */
  ours: boolean;
  /** Handle of the object.load that owns it, if ours. */
  handle?: number;
  /** The helper's own program (the map-count iterator): views may hide it. */
  internal?: boolean;
  /** Its BPF links (absent when it has none). */
  attachments?: ProgramAttachment[];
  /** Paths below /sys/fs/bpf where the program is pinned (absent when none). */
  pinned?: string[];
}

export interface MapSummary {
  id: number;
  name: string;
  type: number;
  typeName: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  btfId: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  memlock: number;
  /** Ids of the programs that use this map. */
  programIds: number[];
  ours: boolean;
  handle?: number;
  /** Paths below /sys/fs/bpf where the map is pinned (absent when none). */
  pinned?: string[];
}

export interface ProgListResult {
  programs: ProgramSummary[];
  statsEnabled: boolean;
}

export interface MapListResult {
  maps: MapSummary[];
}

// ---------- counting ----------

/** How a count was obtained, fastest exact first. */
export type CountMethod = 'iterator' | 'max_entries' | 'for_each' | 'batch' | 'walk';
export const COUNT_METHODS: readonly CountMethod[] = ['iterator', 'max_entries', 'for_each', 'batch', 'walk'];

export interface MapCount {
  count: number;
  method: CountMethod;
  /** Exact by construction, also while the map changes (the iterator, array sizes). */
  exact: boolean;
  /** Helper-side time to obtain the count. */
  micros: number;
}

export interface MapCountParams {
  /** Map id. Exactly one of id and path. */
  id?: number;
  /** A pinned map below /sys/fs/bpf. */
  path?: string;
  /** Force a method (to compare them); default: the fastest exact one. */
  method?: CountMethod;
}

export interface MapCountResult extends MapCount {
  id: number;
  name: string;
  type: number;
  typeName: string;
  maxEntries: number;
}

export interface MapCountAllResult {
  /** Every map on the host, by id. Maps that cannot be counted carry `error`. */
  counts: Array<{ id: number; name: string; typeName: string; maxEntries: number } & (MapCount | { error: string })>;
  /** Helper-side time for the whole call. */
  micros: number;
}

/** map.countAll params. Omitted: the full answer (MapCountAllResult). */
export interface MapCountAllParams {
  /** true: answer MapCountAllCompactResult, parallel arrays for a refresh tick (about a tenth of the bytes). */
  compact?: boolean;
}

/** Methods whose counts are exact also while the map changes; the others are walks. */
export const EXACT_COUNT_METHODS: readonly CountMethod[] = ['iterator', 'max_entries'];

/**
 * map.countAll with `compact: true`: every map on the host as parallel arrays (index i describes
 * map ids[i]). Names, types and sizes are not repeated: they come from map.list, which a client
 * fetches when `ids` holds a map it does not know.
 */
export interface MapCountAllCompactResult {
  /** Every map on the host, ascending. */
  ids: number[];
  /** Element count, or -1 when the map was not counted (`errors`, or a ring buffer in `ringbufs`). */
  counts: number[];
  /** Index into COUNT_METHODS, or -1 when not counted; exact iff the method is in EXACT_COUNT_METHODS. */
  methods: number[];
  /** Why a map could not be counted, by map id (only those maps). */
  errors: Record<number, string>;
  /** Positions of every ring buffer (ringbuf, user_ringbuf), by map id. */
  ringbufs: Record<number, RingbufResult>;
  /** Helper-side time of the one iterator read that counted every hash map (0 without the iterator). */
  iteratorMicros: number;
  /** Helper-side time of maps counted one by one (for_each, batch, walk), by map id. */
  mapMicros: Record<number, number>;
  /** Helper-side time for the whole call. */
  micros: number;
}

// ---------- entries ----------

export interface MapEntriesParams {
  id: number;
  /** Opaque cursor from the previous page; omit for the first page. */
  cursor?: string;
  /** Entries per page, 1..10000 (default 100). */
  limit?: number;
}

export interface MapEntry {
  key: string; // base64
  /** base64; per-CPU maps: one value per possible CPU. */
  value?: string;
  values?: string[];
  /** BTF-formatted text when the map has BTF. */
  keyText?: string;
  valueText?: string;
}

export interface MapEntriesResult {
  entries: MapEntry[];
  /** Pass back to get the next page; absent at the end. */
  cursor?: string;
  method: 'batch' | 'walk';
}

// ---------- ring buffer ----------

export interface RingbufParams {
  id: number;
}

export interface RingbufResult {
  consumerPos: number;
  producerPos: number;
  size: number;
  /** producerPos - consumerPos: bytes written and not yet consumed. */
  available: number;
}

// ---------- test run ----------

export interface TestRunParams {
  id: number;
  /** Packet or input data, base64. Packet program types get a zeroed 64-byte frame by default. */
  dataIn?: string;
  /** Context, base64 (e.g. struct __sk_buff, or a syscall program's argument struct). */
  ctxIn?: string;
  /** 1..1e6, default 1. */
  repeat?: number;
  /** The run is stopped (TIMEOUT) after this long: 100..600000 ms, default 10000. */
  timeoutMs?: number;
}

export interface TestRunResult {
  retval: number;
  /** Average ns per repetition. */
  durationNs: number;
  dataOut: string;
  ctxOut: string;
}

// ---------- pins ----------

export interface PinParams {
  kind: 'map' | 'prog';
  id: number;
  /** Absolute path below /sys/fs/bpf. */
  path: string;
}

export interface UnpinParams {
  path: string;
}

// ---------- BTF, stats ----------

export interface BtfVmlinuxResult {
  /** The target kernel's types as C (what `bpftool btf dump file /sys/kernel/btf/vmlinux format c` prints). */
  text: string;
  kernelRelease: string;
}

export interface StatsEnableParams {
  enable: boolean;
}

export interface StatsEnableResult {
  enabled: boolean;
}

// ---------- log (notification, helper → client) ----------
export interface LogParams {
  level: 'info' | 'warn';
  message: string;
}

// ---------- BTF-typed values (events, map editing) ----------

/** How a field is shown and typed: strings for char arrays, IPs by name and size, enums by name. */
export type FieldKind = 'int' | 'uint' | 'bool' | 'enum' | 'string' | 'ipv4' | 'ipv6' | 'mac' | 'hex' | 'float' | 'pointer' | 'array';

/** One column of a record: a struct member, nested members flattened with dotted names. */
export interface RecordField {
  name: string;
  kind: FieldKind;
  /** C type as written in BTF ("__u32", "char[16]", "enum state", "unsigned int:3"). */
  cType: string;
  /** Byte offset in the record and byte size. */
  offset: number;
  size: number;
  /** Bit-fields: bit offset within the first byte and width. */
  bitOffset?: number;
  bitSize?: number;
}

/** A decoded value: numbers (64-bit values beyond 2^53 as decimal strings), strings, booleans, arrays. */
export type FieldValue = number | string | boolean | null | FieldValue[];

/** A struct type of an object's BTF. */
export interface RecordType {
  /** C spelling: "struct event". */
  name: string;
  typeId: number;
  size: number;
  fields: RecordField[];
}

// ---------- trace (bpf_printk output and BPF streams) ----------

export interface TraceSubscribeParams {
  /** Read the kernel's tracing pipe (bpf_printk / bpf_trace_printk output of every program). Default true. */
  pipe?: boolean;
  /** Also read these programs' BPF streams (stdout, stderr; Linux 6.17+): bpf_stream_printk output and the kernel's runtime errors. */
  programs?: number[];
}

export interface TraceSubscribeResult {
  subscription: number;
  /** The tracing pipe read, e.g. /sys/kernel/tracing/trace_pipe (absent when pipe was false). */
  pipe?: string;
  /** The kernel can read per-program BPF streams (BPF_PROG_STREAM_READ_BY_FD). */
  streams: boolean;
  /** What the user must know: the pipe is global and consumed by whoever reads it, other readers, mounts. */
  notes: string[];
}

export interface TraceLine {
  /** Where it came from: the tracing pipe, or a program's stream. */
  source: 'pipe' | 'stdout' | 'stderr';
  /** For stream lines: the program. */
  programId?: number;
  /** Task that ran the program (pipe lines only; 0 when unknown). */
  pid: number;
  comm: string;
  cpu: number;
  /** Seconds since boot, as the trace clock says (pipe lines only). */
  timestamp: number;
  /** The message, as the program printed it (no trailing newline). */
  text: string;
  /** The trace event when it is not bpf_trace_printk (e.g. another tracer's output in the same pipe). */
  event?: string;
}

/** Notification helper → client: lines since the last batch; at most one batch unacknowledged (batch.ack). */
export interface TraceBatch {
  subscription: number;
  lines: TraceLine[];
  /** Lines read but not delivered since the subscription began, because the client had not acknowledged (counted, not kept). */
  dropped: number;
}

// ---------- events (ring buffers and perf event arrays) ----------

export interface EventsSubscribeParams {
  /** A ring buffer or perf event array map. */
  id: number;
  /** Record type: a struct name of the object's BTF ("event", "struct event"). Omitted: inferred from the program's source lines in BTF, else by record size. */
  type?: string;
  /** Largest number of records per batch (default 256). */
  batch?: number;
  /** Perf event arrays: pages per CPU buffer (power of two, default 8). */
  pages?: number;
}

export interface EventsSubscribeResult {
  subscription: number;
  mapType: 'ringbuf' | 'perf_event_array';
  /** The record type used for decoding, when one was given or found. */
  recordType?: RecordType;
  /** How the record type was chosen. */
  typeFrom: 'request' | 'source' | 'size' | 'none';
  /** Structs of the object's BTF a user can pick instead. */
  candidates: { name: string; size: number }[];
  /** What the user must know (competing consumers, perf array slots taken over). */
  notes: string[];
}

export interface EventRecord {
  /** When the helper consumed it, ms since the epoch. */
  time: number;
  /** Perf event arrays: the CPU that wrote it. */
  cpu?: number;
  size: number;
  /** One value per recordType field (absent without a type). */
  values?: FieldValue[];
  /** The raw record, hex (always for records without a type; first 256 bytes). */
  hex?: string;
}

/** Notification helper → client; at most one batch unacknowledged (batch.ack). */
export interface EventsBatch {
  subscription: number;
  records: EventRecord[];
  /** Totals since the subscription began. */
  received: number;
  /** Consumed from the kernel but not delivered because the client had not acknowledged the previous batch. */
  dropped: number;
  /** Perf event arrays: records the kernel lost because the buffer was full. */
  lost: number;
  /** Set when the record type was chosen by size with the first records (typeFrom 'size'). */
  recordType?: RecordType;
}

export interface UnsubscribeParams {
  subscription: number;
}

/** Notification client → helper: the batch was processed; the next one may come. */
export interface BatchAckParams {
  subscription: number;
}

// ---------- map editing ----------

export interface MapTypesParams {
  id: number;
}

/** The BTF types of a map's keys and values, to build an edit form (absent without BTF). */
export interface MapTypesResult {
  keySize: number;
  valueSize: number;
  key?: RecordType;
  value?: RecordType;
  /** The map's kind of access: keyed (hash, array, ...), queue/stack (push/pop/peek), or none. */
  access: 'keyed' | 'queue' | 'none';
}

/** A key or value as a person types it: JSON following the BTF type, a number, an IP, a "string", or hex ("hex:0a000001"). */
export interface MapUpdateParams {
  id: number;
  key: string;
  value: string;
  /** any (default): create or replace; noexist: create only; exist: replace only. */
  mode?: 'any' | 'noexist' | 'exist';
}

export interface MapLookupParams {
  id: number;
  key: string;
}

export interface MapDeleteParams {
  id: number;
  key: string;
}

export interface MapClearParams {
  id: number;
}

export interface MapClearResult {
  /** Entries deleted (hash-like maps) or values zeroed (arrays). */
  cleared: number;
}

export interface MapPushParams {
  id: number;
  value: string;
}

export interface MapPopParams {
  id: number;
  /** true: read the head without removing it. */
  peek?: boolean;
}

/** The key and value written (update) or read (pop/peek), as stored, with BTF text. */
export interface MapValueResult {
  key?: string; // base64
  value?: string; // base64
  keyText?: string;
  valueText?: string;
}

// ---------- attach and detach ----------

/** XDP attach mode: auto tries driver (native) and falls back to generic, saying so. */
export type XdpMode = 'auto' | 'driver' | 'generic' | 'offload';

/** Where to attach a program whose section does not say everything (see core/attach/sections.ts). */
export interface AttachTarget {
  /** xdp, tc/tcx: interface name on the target. */
  iface?: string;
  /** tc/tcx: default from the section (tc/ingress), else ingress. */
  direction?: 'ingress' | 'egress';
  xdpMode?: XdpMode;
  /** cgroup programs: a directory of the cgroup2 hierarchy (below /sys/fs/cgroup). */
  cgroup?: string;
  /** kprobe/kretprobe/ksyscall: kernel function; uprobe/uretprobe: function in `binary` (or an offset "0x1234"). */
  function?: string;
  /** uprobe/uretprobe/usdt: absolute path of the executable or library. */
  binary?: string;
  /** uprobe/usdt: only this process (default: every process running the binary). */
  pid?: number;
  /** usdt: "provider:name". */
  usdt?: string;
  /** tracepoint: "category:name"; raw_tp: the tracepoint name. */
  tracepoint?: string;
  /** netfilter programs. */
  netfilter?: { family: 'ipv4' | 'ipv6'; hook: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting'; priority: number };
  /** perf_event programs: samples per second per CPU of the CPU clock (default 99). */
  frequency?: number;
}

export interface AttachParams extends AttachTarget {
  /** A program this helper loaded (object.load). */
  id: number;
  /** Pin the link at this path below /sys/fs/bpf: it then stays attached after unload. */
  pin?: string;
}

/** One BPF link this helper made (or a set of them, for perf_event programs: one per CPU). */
export interface AttachedLink {
  programId: number;
  program: string;
  linkId: number;
  /** Kernel link type: xdp, tcx, perf_event, tracing, raw_tracepoint, cgroup, netns, struct_ops, ... */
  type: string;
  /** What it attaches to, in words: "veth0 (driver mode, ingress)", "tracepoint sched:sched_process_exec". */
  target: string;
  pinned?: string;
}

export interface AttachResult {
  links: AttachedLink[];
  /** What the user should know: XDP fell back to generic mode, the interface is down, ... */
  notes: string[];
}

export interface DetachParams {
  linkId: number;
}

export interface LinkPinParams {
  linkId: number;
  /** Absolute path below /sys/fs/bpf. */
  path: string;
}

/** The links this helper made, by program (object.load programs only). */
export interface LinkListResult {
  links: AttachedLink[];
}

/** Network interfaces and cgroups of the target, for pickers. */
export interface AttachPlacesResult {
  interfaces: { name: string; ifindex: number; up: boolean; /** The XDP program attached now, if any. */ xdpProgramId?: number }[];
  /** cgroup2 directories (absolute paths), shallow first, at most a few hundred. */
  cgroups: string[];
}

// ---------- program instructions (prog.insns) ----------

export interface ProgInsnsParams {
  /** Program id (any program on the host). */
  id: number;
  /** Also return the JIT's machine code (default false). */
  jited?: boolean;
}

/** One BTF line-info record: the source line of the instructions from `insn` to the next record. */
export interface ProgLineInfo {
  /** Index into the xlated instructions. */
  insn: number;
  /** As the compiler recorded it (often an absolute path). */
  file: string;
  /** 1-based; 0 for compiler-made code. */
  line: number;
  column: number;
  /** The source line's text (leading blanks kept as recorded). */
  text: string;
  /** Byte offset of this line's machine code in `jited.bytes`, when jited. */
  jitedOffset?: number;
}

export interface ProgInsnsResult {
  id: number;
  name: string;
  /** Hex, as bpftool prints it. */
  tag: string;
  type: number;
  typeName: string;
  /** bpf_prog_info.verified_insns: instructions the verifier processed (kernel 5.16+, 0 if unknown). */
  verifiedInsns: number;
  /** The translated instructions (after the verifier's rewrites), 8 bytes each, base64. */
  xlated: string;
  lineInfo: ProgLineInfo[];
  /** The program's functions (main first) from its BTF func info. */
  functions: { insn: number; name: string }[];
  /** Names of call targets by instruction index, from kallsyms (helpers, kfuncs, subprograms), as bpftool prints them. */
  callNames: Record<number, string>;
  /** The JIT's machine code, when asked for and the program is jited. */
  jited?: { bytes: string; functions: { name: string; offset: number; length: number }[] };
}
