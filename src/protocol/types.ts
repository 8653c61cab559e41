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
