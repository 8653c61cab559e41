// The catalog: one entry per message family of the kernel verifier (and of libbpf and clang's
// BPF backend). Families come from the kernel's format strings (see families.json and
// scripts/extract-verifier-families.mjs); the unit test checks every family has an entry.
// Order matters: the first matching entry wins, so specific patterns come before general ones.
import { distance } from '../attach/closest';
import { contextAccessRule, contextField, contextSize, programKind } from './context';
import { errnoOf, errnoWords, quotedNames } from './libbpf-evidence';
import type { CatalogEntry } from './types';

export const DOCS = {
  verifier: 'https://docs.kernel.org/bpf/verifier.html',
  verifierConcept: 'https://docs.ebpf.io/linux/concepts/verifier/',
  helpers: 'https://docs.ebpf.io/linux/helper-function/',
  kfuncs: 'https://docs.kernel.org/bpf/kfuncs.html',
  maps: 'https://docs.kernel.org/bpf/maps.html',
  btf: 'https://docs.kernel.org/bpf/btf.html',
  core: 'https://docs.ebpf.io/concepts/core/',
  libbpf: 'https://libbpf.readthedocs.io/en/latest/program_types.html',
  loops: 'https://docs.ebpf.io/linux/concepts/loops/',
  spinLock: 'https://docs.ebpf.io/linux/helper-function/bpf_spin_lock/',
  ringbuf: 'https://docs.kernel.org/bpf/ringbuf.html',
  tailCalls: 'https://docs.ebpf.io/linux/concepts/tail-calls/',
  functions: 'https://docs.ebpf.io/linux/concepts/functions/',
  progTypes: 'https://docs.kernel.org/bpf/libbpf/program_types.html',
  llvm: 'https://docs.kernel.org/bpf/bpf_devel_QA.html',
  dynptr: 'https://docs.ebpf.io/linux/concepts/dynptrs/',
  kptr: 'https://docs.kernel.org/bpf/graph_ds_impl.html',
} as const;

export const helperDoc = (name: string) => `${DOCS.helpers}${name}/`;

type Opts = Partial<
  Pick<CatalogEntry, 'example' | 'docsUrl' | 'sinceKernel' | 'origin' | 'severity' | 'refine' | 'causes' | 'causeWhen' | 'wholeProgram'>
>;

function entry(id: string, pattern: RegExp, title: string, why: string, fix: string, opts: Opts = {}): CatalogEntry {
  return { id, pattern, title, why, fix, origin: 'verifier', docsUrl: DOCS.verifier, ...opts };
}

const CALLBACK_HELPERS = /^(?:bpf_for_each_map_elem|bpf_loop|bpf_timer_set_callback|bpf_find_vma|bpf_user_ringbuf_drain)$/;

/** enum bpf_map_type, by value (uapi, stable). */
const MAP_TYPES =
  'UNSPEC HASH ARRAY PROG_ARRAY PERF_EVENT_ARRAY PERCPU_HASH PERCPU_ARRAY STACK_TRACE CGROUP_ARRAY LRU_HASH LRU_PERCPU_HASH LPM_TRIE ARRAY_OF_MAPS HASH_OF_MAPS DEVMAP SOCKMAP CPUMAP XSKMAP SOCKHASH CGROUP_STORAGE REUSEPORT_SOCKARRAY PERCPU_CGROUP_STORAGE QUEUE STACK SK_STORAGE DEVMAP_HASH STRUCT_OPS RINGBUF INODE_STORAGE TASK_STORAGE BLOOM_FILTER USER_RINGBUF CGRP_STORAGE ARENA'
    .split(' ')
    .map((t) => `BPF_MAP_TYPE_${t}`);

/** enum bpf_prog_type, by value (uapi, stable). */
const PROG_TYPES =
  'UNSPEC SOCKET_FILTER KPROBE SCHED_CLS SCHED_ACT TRACEPOINT XDP PERF_EVENT CGROUP_SKB CGROUP_SOCK LWT_IN LWT_OUT LWT_XMIT SOCK_OPS SK_SKB CGROUP_DEVICE SK_MSG RAW_TRACEPOINT CGROUP_SOCK_ADDR LWT_SEG6LOCAL LIRC_MODE2 SK_REUSEPORT FLOW_DISSECTOR CGROUP_SYSCTL RAW_TRACEPOINT_WRITABLE CGROUP_SOCKOPT TRACING STRUCT_OPS EXT LSM SK_LOOKUP SYSCALL NETFILTER'
    .split(' ')
    .map((t) => `BPF_PROG_TYPE_${t}`);

/** `helper MAP_TYPE` -> the helper that does the same job for a map of that type. */
const SAME_JOB: Record<string, string> = {
  'bpf_sk_redirect_map BPF_MAP_TYPE_SOCKHASH': 'bpf_sk_redirect_hash()',
  'bpf_msg_redirect_map BPF_MAP_TYPE_SOCKHASH': 'bpf_msg_redirect_hash()',
  'bpf_sock_map_update BPF_MAP_TYPE_SOCKHASH': 'bpf_sock_hash_update()',
  'bpf_sk_redirect_hash BPF_MAP_TYPE_SOCKMAP': 'bpf_sk_redirect_map()',
  'bpf_msg_redirect_hash BPF_MAP_TYPE_SOCKMAP': 'bpf_msg_redirect_map()',
  'bpf_sock_hash_update BPF_MAP_TYPE_SOCKMAP': 'bpf_sock_map_update()',
  'bpf_perf_event_output BPF_MAP_TYPE_RINGBUF': 'bpf_ringbuf_output()',
  'bpf_ringbuf_output BPF_MAP_TYPE_PERF_EVENT_ARRAY': 'bpf_perf_event_output()',
  'bpf_ringbuf_reserve BPF_MAP_TYPE_PERF_EVENT_ARRAY': 'bpf_perf_event_output()',
  'bpf_map_update_elem BPF_MAP_TYPE_QUEUE': 'bpf_map_push_elem()',
  'bpf_map_update_elem BPF_MAP_TYPE_STACK': 'bpf_map_push_elem()',
  'bpf_map_lookup_elem BPF_MAP_TYPE_QUEUE': 'bpf_map_peek_elem()',
  'bpf_map_lookup_elem BPF_MAP_TYPE_STACK': 'bpf_map_peek_elem()',
  'bpf_map_lookup_elem BPF_MAP_TYPE_PROG_ARRAY': 'bpf_tail_call()',
  'bpf_map_lookup_elem BPF_MAP_TYPE_RINGBUF': 'bpf_ringbuf_reserve()',
};

/** The map types a helper accepts (the kernel's check_map_func_compatibility), first the usual one. */
const HELPER_MAPS: Record<string, string[]> = {
  bpf_tail_call: ['PROG_ARRAY'],
  bpf_perf_event_output: ['PERF_EVENT_ARRAY'],
  bpf_perf_event_read: ['PERF_EVENT_ARRAY'],
  bpf_perf_event_read_value: ['PERF_EVENT_ARRAY'],
  bpf_skb_output: ['PERF_EVENT_ARRAY'],
  bpf_xdp_output: ['PERF_EVENT_ARRAY'],
  bpf_get_stackid: ['STACK_TRACE'],
  bpf_current_task_under_cgroup: ['CGROUP_ARRAY'],
  bpf_skb_under_cgroup: ['CGROUP_ARRAY'],
  bpf_redirect_map: ['DEVMAP', 'DEVMAP_HASH', 'CPUMAP', 'XSKMAP'],
  bpf_sk_redirect_map: ['SOCKMAP'],
  bpf_msg_redirect_map: ['SOCKMAP'],
  bpf_sock_map_update: ['SOCKMAP'],
  bpf_sk_redirect_hash: ['SOCKHASH'],
  bpf_msg_redirect_hash: ['SOCKHASH'],
  bpf_sock_hash_update: ['SOCKHASH'],
  bpf_sk_select_reuseport: ['REUSEPORT_SOCKARRAY', 'SOCKMAP', 'SOCKHASH'],
  bpf_map_push_elem: ['QUEUE', 'STACK'],
  bpf_map_pop_elem: ['QUEUE', 'STACK'],
  bpf_map_peek_elem: ['QUEUE', 'STACK', 'BLOOM_FILTER'],
  bpf_ringbuf_output: ['RINGBUF'],
  bpf_ringbuf_reserve: ['RINGBUF'],
  bpf_ringbuf_query: ['RINGBUF'],
  bpf_ringbuf_reserve_dynptr: ['RINGBUF'],
  bpf_user_ringbuf_drain: ['USER_RINGBUF'],
  bpf_sk_storage_get: ['SK_STORAGE'],
  bpf_sk_storage_delete: ['SK_STORAGE'],
  bpf_inode_storage_get: ['INODE_STORAGE'],
  bpf_task_storage_get: ['TASK_STORAGE'],
  bpf_cgrp_storage_get: ['CGRP_STORAGE'],
  bpf_get_local_storage: ['CGROUP_STORAGE', 'PERCPU_CGROUP_STORAGE'],
};

/** The helper of this program type that does what a helper of another type does. */
const EQUIVALENT_HELPER: Record<string, Record<string, { helper: string; why: string; usage: string }>> = {
  XDP: {
    bpf_skb_load_bytes: {
      helper: 'bpf_xdp_load_bytes()',
      why: 'XDP programs see a struct xdp_md, not an skb; they read packet bytes directly (ctx->data with a data_end check) or with bpf_xdp_load_bytes().',
      usage: 'bpf_xdp_load_bytes(ctx, offset, &buf, sizeof(buf)), or direct access through ctx->data after a data_end check',
    },
    bpf_skb_store_bytes: {
      helper: 'bpf_xdp_store_bytes()',
      why: 'XDP programs write packet bytes directly through ctx->data or with bpf_xdp_store_bytes().',
      usage: 'bpf_xdp_store_bytes(ctx, offset, &buf, sizeof(buf))',
    },
    bpf_skb_adjust_room: {
      helper: 'bpf_xdp_adjust_head()',
      why: 'XDP grows or shrinks the packet with bpf_xdp_adjust_head() / bpf_xdp_adjust_tail().',
      usage: 'bpf_xdp_adjust_head(ctx, delta)',
    },
    bpf_redirect_peer: {
      helper: 'bpf_redirect()',
      why: 'XDP redirects with bpf_redirect() or bpf_redirect_map().',
      usage: 'bpf_redirect(ifindex, 0)',
    },
  },
  // sk_msg and sk_skb redirect through the same sockmap/sockhash, each with helpers of its own.
  sk_msg: {
    bpf_sk_redirect_map: {
      helper: 'bpf_msg_redirect_map()',
      why: 'An sk_msg program redirects messages (sendmsg data), not skbs: its redirect helpers are the msg_ ones.',
      usage: 'bpf_msg_redirect_map(msg, &sock_map, key, flags), with the same map, key and flags',
    },
    bpf_sk_redirect_hash: {
      helper: 'bpf_msg_redirect_hash()',
      why: 'An sk_msg program redirects messages (sendmsg data), not skbs: its redirect helpers are the msg_ ones.',
      usage: 'bpf_msg_redirect_hash(msg, &sock_hash, &key, flags), with the same map, key and flags',
    },
  },
  sk_skb: {
    bpf_msg_redirect_map: {
      helper: 'bpf_sk_redirect_map()',
      why: 'An sk_skb program redirects skbs, not sendmsg messages: its redirect helpers are the sk_ ones.',
      usage: 'bpf_sk_redirect_map(skb, &sock_map, key, flags), with the same map, key and flags',
    },
    bpf_msg_redirect_hash: {
      helper: 'bpf_sk_redirect_hash()',
      why: 'An sk_skb program redirects skbs, not sendmsg messages: its redirect helpers are the sk_ ones.',
      usage: 'bpf_sk_redirect_hash(skb, &sock_hash, &key, flags), with the same map, key and flags',
    },
  },
  tc: {
    bpf_xdp_load_bytes: {
      helper: 'bpf_skb_load_bytes()',
      why: 'A tc program sees a struct __sk_buff; the xdp_ helpers work on XDP buffers only.',
      usage: 'bpf_skb_load_bytes(skb, offset, &buf, sizeof(buf))',
    },
    bpf_xdp_store_bytes: {
      helper: 'bpf_skb_store_bytes()',
      why: 'A tc program sees a struct __sk_buff; the xdp_ helpers work on XDP buffers only.',
      usage: 'bpf_skb_store_bytes(skb, offset, &buf, sizeof(buf), 0)',
    },
    bpf_xdp_adjust_head: {
      helper: 'bpf_skb_adjust_room() or bpf_skb_change_head()',
      why: 'A tc program grows or shrinks an skb with the skb helpers; bpf_xdp_adjust_head() works on XDP buffers only.',
      usage: 'bpf_skb_adjust_room(skb, len_diff, BPF_ADJ_ROOM_MAC, 0)',
    },
  },
  'socket filter': {
    bpf_skb_store_bytes: {
      helper: 'a tc program',
      why: 'Socket filters only decide how much of a packet a socket gets; they may not modify packets, so no helper that writes the packet is available.',
      usage: 'move the rewrite to SEC("tc") with bpf_skb_store_bytes(), and keep the socket filter for filtering',
    },
    bpf_redirect: {
      helper: 'a tc or XDP program',
      why: 'Socket filters cannot redirect packets; they only return how many bytes the socket receives.',
      usage: 'redirect from SEC("tc") or SEC("xdp")',
    },
  },
};

/** Helpers that belong to one program type, with what every other type uses for the same job. */
const EQUIVALENT_ELSEWHERE: Record<string, { helper: string; why: string; usage: string }> = {
  bpf_perf_prog_read_value: {
    helper: 'bpf_perf_event_read_value()',
    why: 'bpf_perf_prog_read_value() reads the counter of the perf event a SEC("perf_event") program runs for, so only those programs have it; other programs read a counter user space opened, through a BPF_MAP_TYPE_PERF_EVENT_ARRAY, with bpf_perf_event_read_value().',
    usage:
      'bpf_perf_event_read_value(&counters, BPF_F_CURRENT_CPU, &val, sizeof(val)), with perf_event_open() fds in a PERF_EVENT_ARRAY map',
  },
};

export const catalog: CatalogEntry[] = [
  // ---- The two seed errors, exactly -------------------------------------------------------
  entry(
    'callback-return-range',
    /^At callback return the register (?<register>R\d+) (?:has (?:unknown scalar value|value (?<value>.*?)|(?<bounds>smin=.*?))) should have been in (?<range>\[.*?\]|\(.*?\))|^(?<register2>R0) not a scalar value/,
    'Callback returns a value outside {range}',
    "Callbacks of bpf_for_each_map_elem, bpf_loop, bpf_find_vma and friends must return exactly 0 (continue) or 1 (stop); the helper uses the value as a loop control. The verifier could not prove your callback returns only those values — typically it returns a computed number, a helper's result, or a variable.",
    'Make every return statement of the callback return the constant 0 to continue iterating or 1 to stop.',
    {
      causes: ['callback'],
      // At a callback's exit R0 holds no number at all: a void callback, or one returning a pointer.
      refine: (_d, { message = '' }) =>
        /^R0 not a scalar value/.test(message)
          ? {
              title: 'Callback returns no number',
              why: 'A callback of bpf_loop, bpf_for_each_map_elem, bpf_timer_set_callback and friends must return a number (0 to continue, 1 to stop). At its exit R0 holds no number: the callback is declared `void` (nothing is put in R0) or returns a pointer.',
              fix: 'Declare the callback `static long name(...)` and end every path with `return 0;` (continue) or `return 1;` (stop).',
            }
          : undefined,
      example:
        'static long cb(struct bpf_map *map, __u32 *key, __u64 *val, void *ctx)\n{\n\tif (*val > 100)\n\t\treturn 1; /* stop */\n\treturn 0;     /* continue */\n}',
      docsUrl: helperDoc('bpf_for_each_map_elem'),
      sinceKernel: '5.13',
    },
  ),
  entry(
    'async-callback-return',
    /^At async callback return the register (?<register>R\d+) |^In async callback the register (?<register2>R\d+) is not a known value/,
    'Timer / async callback must return 0',
    'Callbacks run asynchronously (bpf_timer callbacks, workqueue callbacks) must return 0; the verifier could not prove that.',
    'End the callback with `return 0;`.',
    {
      causes: ['callback'],
      example: 'static int timer_cb(void *map, int *key, struct elem *val)\n{\n\t/* ... */\n\treturn 0;\n}',
      docsUrl: helperDoc('bpf_timer_set_callback'),
    },
  ),
  entry(
    'program-return-range',
    /^At program exit the register (?<register>R\d+) (?:has|is not a known value)|^(?!At (?:async )?callback)\S.* the register (?<register2>R\d+) is not a known value|\bshould have been in [[(]|^R\d+ has (?:unknown scalar value|smin=-?\d+ smax=-?\d+|value \(0x)/,
    'Program returns a value outside the allowed range',
    'Some program types give the return value a meaning (cgroup programs: 0 reject / 1 allow; LSM: 0 or -errno; tracing iterators: 0 or 1) and the verifier checks every return path against that range. One path can return another value, or a value it cannot pin down.',
    'Return only the allowed constants from the program, e.g. `return 1;` to allow and `return 0;` to deny in cgroup programs.',
    {
      causes: ['return-range'],
      example:
        'SEC("cgroup/skb")\nint filter(struct __sk_buff *skb)\n{\n\tif (skb->len > 1500)\n\t\treturn 0; /* drop */\n\treturn 1;     /* allow */\n}',
    },
  ),
  entry(
    'arg-expected-stack',
    /^(?<register>R\d+) type=(?<type>\S+) expected=(?<expected>fp)$/,
    '{register} must point to the stack, not {type}',
    'The helper wants this argument to be a pointer to the BPF stack (fp: a local variable of the program). You passed a {type} pointer instead.',
    "Copy the value into a local variable and pass the local's address.",
    {
      causes: ['stack-argument'],
      example: '__u32 key = 0;            /* on the stack */\nbpf_map_lookup_elem(&my_map, &key);',
      refine: (d, ctx) =>
        ctx.helper && CALLBACK_HELPERS.test(ctx.helper)
          ? {
              title: `${ctx.helper}: callback context must be a stack pointer`,
              why: `The callback context argument (${d.register ?? 'R3'}) of ${ctx.helper} must point to the program's stack. ${/^map_value/.test(d.type ?? 'map_value') ? 'A global variable or a map value (both are map_value to the verifier) is' : `A ${d.type} pointer is`} not accepted there, because the helper hands that pointer to your callback as its last argument and the verifier only tracks stack memory across the call.`,
              fix: 'Declare a local struct on the stack, copy the global or map value into it if you need its contents, pass its address as the context, and copy the result back after the call.',
              example:
                'struct cb_ctx c = {};          /* on the stack, not a global */\nbpf_for_each_map_elem(&my_map, cb, &c, 0);\nglobal_sum = c.sum;          /* copy the result back if needed */',
              docsUrl: helperDoc(ctx.helper),
            }
          : undefined,
    },
  ),
  entry(
    'arg-type-mismatch',
    /^(?<register>R\d+) type=(?<type>(?!\S*_or_null)\S+) expected=(?<expected>.*)$|^(?<register2>R\d+) is of type (?<type2>\S+) but (?<expected2>\S+) is expected|^(?<register3>R\d+) type=(?<type3>\S+) ?$|^helper access to the packet is not allowed|^Unsupported reg type \S+ for bpf_dynptr_from_mem data|^reg type unsupported for arg#\d+ /,
    'Wrong kind of pointer passed to a helper ({register})',
    'Each helper argument has a declared kind (stack memory, map key, map value, context, socket, ...). The verifier tracks what every register points to and refuses a call when the argument is a different kind — for example a plain number, a pointer to a global where a local is required, or a maybe-NULL pointer.',
    'Pass what the helper expects: a pointer to a local variable for buffers and keys, the map itself (&map) for map arguments, the program context (ctx) for context arguments; check pointers for NULL before passing them.',
    {
      example: '__u32 key = 0;\n__u64 *val = bpf_map_lookup_elem(&my_map, &key); /* &map, &local */\nif (!val)\n\treturn 0;',
      causes: ['argument-signature', 'pointer-member', 'released-pointer'],
      docsUrl: DOCS.helpers,
      refine: (d) =>
        d.type === 'scalar' || d.type === 'inv'
          ? {
              title: `${d.register ?? 'Argument'} is a number (NULL?) where a pointer is required`,
              why: 'The helper needs a pointer here (one of the kinds listed below), but the register holds a plain number — often a literal NULL or 0, or a pointer that was turned into an integer.',
            }
          : undefined,
    },
  ),

  // ---- NULL checks and invalid dereferences ----------------------------------------------
  entry(
    'null-deref',
    /^(?<register>R\d+) invalid mem access '(?<type>\w*_or_null\w*)'|^HINT: The '\w+_or_null' error can happen/,
    'Pointer may be NULL: {register} is {type}',
    'The pointer comes from something that can fail — bpf_map_lookup_elem, bpf_ringbuf_reserve, a socket lookup, a kfunc returning a nullable pointer — and this path uses it without first checking it against NULL. The verifier follows every path, including the one where the lookup found nothing.',
    'Check the pointer for NULL right after you get it and leave (or skip the access) when it is NULL.',
    {
      causes: ['argument-signature'],
      example: '__u64 *val = bpf_map_lookup_elem(&my_map, &key);\nif (!val)\n\treturn 0;\n*val += 1;',
      docsUrl: DOCS.verifierConcept,
    },
  ),
  entry(
    'scalar-deref',
    /^(?<register>R\d+) invalid mem access '(?<type>scalar|inv|imm)'|^HINT: The invalid mem access '(?:inv|scalar)' error can happen/,
    'Dereferencing a number, not a pointer ({register})',
    'The verifier only allows memory accesses through registers it knows to be pointers. {register} holds a plain number (scalar) here — typically a pointer read out of kernel or map memory without bpf_probe_read_kernel / BPF_CORE_READ, a pointer that went through integer arithmetic, or a value that was never a pointer.',
    'Read kernel memory with BPF_CORE_READ() or bpf_probe_read_kernel(), keep pointers typed (no casts through integers), and use the pointer the helper returned rather than a copy stored in a map.',
    {
      causes: ['invalidated-packet', 'released-pointer', 'scalar-pointer'],
      example: 'pid_t ppid = BPF_CORE_READ(task, real_parent, tgid); /* instead of task->real_parent->tgid */',
      docsUrl: DOCS.core,
    },
  ),
  entry(
    'invalid-mem-access',
    /^(?<register>R\d+) invalid mem access '(?<type>[^']*)'/,
    'Memory access through {register} ({type}) is not allowed',
    'The register used as the address of this load or store does not hold a kind of pointer that may be dereferenced directly here ({type}).',
    'Access that object through the helper meant for it (bpf_probe_read_kernel, bpf_skb_load_bytes, BPF_CORE_READ), or get a directly accessible pointer first.',
    {
      causes: ['invalidated-packet', 'released-pointer'],
      example: 'struct iphdr iph;\nif (bpf_skb_load_bytes(skb, ETH_HLEN, &iph, sizeof(iph)) < 0)\n\treturn 0;',
    },
  ),
  entry(
    'invalid-register',
    /^(?<register>R\d+) (?:is invalid|!read_ok)$/,
    'Register {register} read before it was set',
    'The program reads {register} on a path where nothing has been written to it. After a helper or function call R1–R5 are clobbered, and at program start only R1 (the context) and R10 (the frame pointer) are set. Usually this comes from inline assembly, a function with too few arguments, or a miscompiled value kept across a call.',
    'Make sure the value is computed (or re-read from a local variable) after the call that clobbers R1–R5; avoid relying on registers in inline assembly.',
    {
      example:
        'long v = compute();\nbpf_printk("x");   /* clobbers R1-R5 */\nuse(v);            /* the compiler keeps v in R6-R9 or on the stack */',
    },
  ),

  // ---- Bounds -------------------------------------------------------------------------------
  entry(
    'map-value-out-of-bounds',
    /^invalid access to map value, value_size=(?<value_size>\d+) off=(?<off>-?\d+) size=(?<size>(?!0\b)\d+)|^invalid access to map value pointer, value_size=\d+ off=\d+/,
    'Access outside the map value (value_size={value_size}, off={off}, size={size})',
    'A map value is value_size bytes long. This access starts at offset {off} and reads/writes {size} bytes, which is not provably inside the value on this path — either the constant offset is too large or a variable index is not bounded tightly enough.',
    'Check the index against the array length before using it, with the same variable the access uses, and keep the check where the compiler cannot drop it.',
    {
      causes: ['value-type'],
      example: 'if (idx >= MAX_ENTRIES)   /* bound before use */\n\treturn 0;\nval->slots[idx] = 1;',
      refine: (d) => {
        const [vs, off, size] = [Number(d.value_size), Number(d.off), Number(d.size)];
        if (!(vs >= 0 && size > 0)) return undefined;
        if (off === vs)
          return {
            title: `Off-by-one: access at offset ${off}, one past the end of the ${vs}-byte map value`,
            why: `The map value is ${vs} bytes (offsets 0..${vs - 1}); this access starts exactly at offset ${off} = value_size, one element past the end. That is an off-by-one: the index was checked with \`<=\` (or \`>\` to bail out) where it needs \`<\` (or \`>=\`), or a length is used as an index.`,
            fix: 'Bound the index with `idx < N` (bail out with `if (idx >= N)`), or use `len - 1` when a length is the index.',
          };
        if (off >= 0 && off < vs && off + size > vs)
          return {
            why: `The map value is ${vs} bytes. This access of ${size} bytes starts at offset ${off} and would end at ${off + size}, ${off + size - vs} bytes past the end: the size (${size}) is larger than the ${vs - off} bytes left from that offset.`,
            fix: `Pass a size of at most ${vs - off} here — the size of the field itself, e.g. \`sizeof(v->field)\` rather than a hard-coded number.`,
          };
        return undefined;
      },
    },
  ),
  entry(
    'mem-region-out-of-bounds',
    /^invalid access to memory, mem_size=\d+ off=-?\d+ size=(?!0\b)\d+|^R\d+ invalid (?:\S+ )?buffer access: off=-?\d+, size=\d+|^R\d+ invalid variable buffer offset: off=-?\d+, var_off=\S+|^invalid access to flow keys off=-?\d+ size=\d+|^R\d+ invalid (?!mem access)\S+ access(?: off=-?\d+ size=\d+|$)/,
    'Access outside the memory the pointer covers',
    'The pointer refers to a region of known size (ring buffer record, helper-returned memory, flow keys, a BTF object); the access at this offset and size is not provably inside it.',
    'Keep the offset constant or bounded by an explicit check against the region size; reserve/read a region large enough for the access.',
    {
      refine: (_d, { message = '' }) => {
        const m = /mem_size=(\d+) off=(-?\d+) size=(\d+)/.exec(message);
        if (!m) return undefined;
        const [mem, off, size] = [Number(m[1]), Number(m[2]), Number(m[3])];
        if (mem === 8 && off + size > mem)
          return {
            title: 'The region is 8 bytes — the size of a pointer, not of the struct',
            why: `The memory behind this pointer is only ${mem} bytes (mem_size=${mem}) and the access at offset ${off} (size ${size}) goes past it. 8 bytes is sizeof(a pointer): the size passed when the region was reserved or read was most likely \`sizeof(e)\` where \`sizeof(*e)\` (the struct) was meant.`,
            fix: 'Pass the size of the struct, `sizeof(*e)`, not of the pointer, where the region is reserved (bpf_ringbuf_reserve, bpf_dynptr_data, ...).',
          };
        if (off >= 0 && off + size > mem)
          return {
            why: `The memory behind this pointer is ${mem} bytes (mem_size=${mem}); this access of ${size} bytes at offset ${off} ends at ${off + size}, past its end. The region was reserved or returned with a smaller size than the code uses.`,
          };
        return undefined;
      },
      example: 'struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);\nif (!e)\n\treturn 0;\ne->pid = pid;   /* within sizeof(*e) */',
    },
  ),
  entry(
    'helper-size-unbounded',
    // A zero-sized read whose size may also be anything up to the type's maximum: unbounded first of all.
    /^(?<register>R\d+) (?:min value is negative, either use unsigned or 'var &= const'|unbounded memory access, use 'var &= const' or 'if \(var < const\)'|invalid zero-sized read: u(?:32|64)=\[0, ?(?:4294967295|18446744073709551615)\])/,
    'Size passed to the helper in {register} is not bounded',
    'A helper that reads or writes a buffer takes its size as a number the verifier must prove is between 0 and the buffer size. {register} holds a size that may be negative (a signed value, or one only checked from above) or has no upper bound at all.',
    'Make the size unsigned and clamp it to the buffer before the call, with a comparison or a mask the verifier can follow.',
    { causes: ['size-argument'], example: '__u32 n = len;\nif (n > sizeof(buf))\n\tn = sizeof(buf);\nbpf_probe_read_kernel(buf, n, src);' },
  ),
  entry(
    'min-value-negative',
    /^(?<register>R\d+) min value is negative, either use unsigned index or do a if \(index >=0\) check\./,
    'Index in {register} may be negative',
    'The verifier tracks the smallest and largest value of every number. {register} is used as an offset into memory and its smallest possible value is below zero — e.g. a signed int index compared only with an upper bound.',
    'Use an unsigned type for the index, or check both ends (idx >= 0 && idx < N) before the access.',
    { example: '__u32 idx = ...;            /* unsigned: cannot be negative */\nif (idx >= ARRAY_LEN)\n\treturn 0;\nbuf[idx] = 0;' },
  ),
  entry(
    'min-value-out-of-range',
    /^(?<register>R\d+) min value is outside of the allowed memory range/,
    'Lowest offset through {register} is outside the object',
    'The smallest offset this access can use, counting the variable part of the pointer, falls before the start of the object (map value, packet, stack).',
    'Bound the variable offset from below (use unsigned types) and make sure constant offsets are not negative.',
    { example: 'if (off > sizeof(val->buf) - 1)\n\treturn 0;\nval->buf[off] = 0;' },
  ),
  entry(
    'max-value-out-of-range',
    /^(?<register>R\d+) max value is outside of the allowed memory range/,
    'Index in {register} not bounded: may run past the end',
    'The largest offset this access can use — the variable part of the pointer plus the access size — goes beyond the end of the object. The verifier uses the bounds it learned from your comparisons; the check you wrote did not narrow the value enough (wrong limit, checked a different variable, or the compiler reordered it).',
    'Compare the index with the exact number of elements (idx < N, not idx <= N) right before the access, on the same variable; for byte offsets, subtract the access size from the limit.',
    { example: 'if (idx >= sizeof(val->data) / sizeof(val->data[0]))\n\treturn 0;\nval->data[idx]++;' },
  ),
  entry(
    'unbounded-mem-access',
    /^(?<register>R\d+) unbounded memory access, make sure to bounds check any (?:such|array) access/,
    'Unbounded offset in {register}',
    'A variable offset is added to a pointer but the verifier knows no upper bound for it, so it cannot prove the access stays inside the object.',
    'Check the offset against a constant limit before the access, or mask it (off &= MAX - 1 for a power-of-two size).',
    { example: 'len &= 0xff;                 /* now 0..255 */\nbpf_probe_read_kernel(buf, len, src);' },
  ),
  entry(
    'packet-out-of-bounds',
    /^invalid access to packet, off=-?\d+ size=\d+, (?<register>R\d+)\(id=\d+,off=-?\d+,r=(?<proven>\d+)\)|^(?<register2>R\d+) offset is outside of the packet|^invalid access to packet\b/,
    'Packet access without a data_end check',
    'Packet data may only be read after proving that the bytes exist: a comparison of the pointer plus the access length with data_end. On this path the verifier has proven only {proven} bytes past the pointer (r={proven}), fewer than this access needs.',
    'Compare the end of the header you read with data_end before touching it, and bail out when it is beyond.',
    {
      causes: ['packet-check', 'invalidated-packet'],
      refine: (d, ctx) => {
        const bounds = programKind(ctx.section)?.bounds;
        if (!bounds || bounds[0] === 'data') return undefined;
        const [start, end] = bounds;
        return {
          title: `Access to ctx->${start} without a ${end} check`,
          why: `In ${programKind(ctx.section)!.name} programs ctx->${start} is a pointer to kernel data that may be shorter than what you read (even empty): the verifier treats it like packet data and requires the access to be proven below ctx->${end}. On this path it has proven ${d.proven ?? 'no'} bytes.`,
          fix: `Load ctx->${end} too and check \`(void *)(ptr + 1) > ${end}\` before reading or writing through ctx->${start}; return without touching it when the check fails.`,
          example: `void *${start} = ctx->${start};\nvoid *${end} = ctx->${end};\nif (${start} + sizeof(int) > ${end})\n\treturn 1;\nint v = *(int *)${start};`,
        };
      },
      example:
        'void *data = (void *)(long)ctx->data;\nvoid *data_end = (void *)(long)ctx->data_end;\nstruct ethhdr *eth = data;\nif ((void *)(eth + 1) > data_end)\n\treturn XDP_PASS;\n__u16 proto = eth->h_proto;',
    },
  ),
  entry(
    'ctx-access',
    /^invalid bpf_context access off=(?<off>-?\d+) size=(?<size>\d+)/,
    'Invalid access to the program context (off={off}, size={size})',
    'Each program type exposes a context structure (struct __sk_buff, struct xdp_md, tracepoint record, pt_regs, ...) and allows only certain fields, sizes and directions. This access reads or writes a field that is not accessible for this program type, writes a read-only field, or uses the wrong width.',
    'Use the context type of your SEC() program type and read whole fields; for tracepoints, read arguments through the generated struct trace_event_raw_* type; for kernel structures use BPF_CORE_READ.',
    {
      causes: ['program-type', 'written-memory'],
      refine: (d, ctx) => {
        const kind = programKind(ctx.section);
        if (!kind) return undefined;
        const off = Number(d.off);
        const size = Number(d.size);
        const field = contextField(kind.struct, off);
        const rule = field ? contextAccessRule(kind, field, ctx.access, size) : undefined;
        if (rule && field)
          return {
            title: `${kind.name} program: ${ctx.access ?? 'access'} of \`${field.name}\` in struct ${kind.struct} not allowed`,
            ...rule,
          };
        const end = contextSize(kind.struct);
        if (kind.struct && end !== undefined && off >= end)
          return {
            why: `Offset ${off} is past the end of struct ${kind.struct} (${end} bytes), the context of ${kind.name} programs: the program uses a context type other than the one of its SEC().`,
            fix: `Declare the program's argument as struct ${kind.struct} * (the context of SEC("${ctx.section}")), or change SEC() to the program type whose context you meant.`,
          };
        // Raw tracepoints get `u64 args[]`: offset 8 is args[1].
        const arg = /^raw tracepoint$|^tp_btf$/.test(kind.name) && off % 8 === 0 ? ` (\`args[${off / 8}]\`)` : '';
        if (ctx.access === 'write' && !kind.struct)
          return {
            why: `This writes the context of a ${kind.name} program at offset ${off}${arg}: its context is the kernel's record of the event, readable only${arg ? '; changing an argument does not change what the kernel does with it' : ''}.`,
            fix: `Copy the value into a local variable (or a map) and change the copy${arg ? '; to refuse or change a system call, use a program type made for it (an LSM hook, or bpf_override_return from a kprobe on a function that allows error injection)' : ''}.`,
          };
        return undefined;
      },
      example:
        'SEC("tp/syscalls/sys_enter_openat")\nint handle(struct trace_event_raw_sys_enter *ctx)\n{\n\tlong dfd = ctx->args[0];\n\treturn 0;\n}',
    },
  ),
  entry(
    'btf-pointer-access',
    /^direct access to \S+ is disallowed|^(?<register>R\d+) is (?:ptr_)?\S+ (?:invalid negative access: off=-?\d+|invalid variable offset: off=-?\d+, var_off=\S+|access user memory: off=-?\d+|access percpu memory: off=-?\d+)|^.+ access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN/,
    'Direct access through a kernel object pointer not allowed here',
    'Pointers to kernel structures (typed by BTF: ptr_task_struct, ...) may be read directly only at constant, non-negative offsets, only when they point to kernel memory (not __user or __percpu memory), and only with CAP_PERFMON.',
    'Read fields by name at constant offsets; use bpf_probe_read_user() for __user pointers and bpf_per_cpu_ptr()/bpf_this_cpu_ptr() for per-CPU ones.',
    {
      example: 'char comm[16];\nbpf_probe_read_user_str(comm, sizeof(comm), user_ptr);   /* __user memory */',
      docsUrl: DOCS.core,
      causes: ['kernel-array-index'],
      refine: (d, { message = '' }) => {
        const m = /^(R\d+) is (?:ptr_)?(\S+) invalid variable offset: off=(-?\d+), var_off=(\([^)]*\)|\S+)/.exec(message);
        return m
          ? {
              title: `Kernel ${m[2]} read at an offset known only at run time`,
              why: `${m[1]} points into a kernel ${m[2]} at offset ${m[3]} plus a part the verifier knows only at run time (var_off=${m[4]}). Direct reads through a kernel object pointer are checked against the struct's layout, field by field, so their offset must be a constant: an array member indexed with a variable (or a pointer advanced by one) cannot be read directly.`,
              fix: 'Copy the element with bpf_probe_read_kernel(&val, sizeof(val), &ptr->array[i]) (BPF_CORE_READ_INTO() does the same with CO-RE), or read it with constant indexes.',
            }
          : undefined;
      },
    },
  ),
  entry(
    'btf-struct-access',
    /^access beyond struct \S+ at off \d+ size \d+|^access beyond the end of member \S+ \(mend:\d+\) in struct \S+ with off \d+ size \d+|^cannot access ptr member \S+ with moff \d+ in struct \S+ with off \d+ size \d+|^struct \S+ doesn't have field at offset -?\d+|^field \S+ doesn't have size|^Type '\S+' is not a struct|^max struct nesting depth exceeded/,
    "Access outside a kernel structure's fields",
    "The pointer refers to a kernel structure described by BTF, and the verifier checks each direct read against the structure's layout. This offset and size do not land on a field (past the end, across members, or into a pointer member read at the wrong width).",
    'Read fields by name (ptr->field) with the right type, use BPF_CORE_READ for chains, and do not cast the pointer to another type.',
    {
      example: 'struct task_struct *t = (void *)bpf_get_current_task_btf();\nint pid = t->pid;',
      causes: ['pointer-cast'],
      // Past the end of the type the register has: the field belongs to a larger object around it.
      refine: (_d, { message = '' }) => {
        const m = /^access beyond struct (\S+) at off (\d+) size (\d+)/.exec(message);
        return m
          ? {
              title: `Offset ${m[2]} is past the end of struct ${m[1]}`,
              why: `The verifier types this pointer as a struct ${m[1]} and checks the read against that type's BTF layout: offset ${m[2]} (${m[3]} bytes) lies beyond its last field. The field read belongs to a larger object the ${m[1]} is embedded in (a container_of() relation, e.g. a css inside a cgroup subsystem's state), or the pointer was cast to a type the verifier does not follow.`,
              fix: `Convert the pointer to the containing type the way the verifier follows it (container_of() on the ${m[1]} member, or bpf_core_cast()/bpf_rdonly_cast() to the outer struct), or read the field with bpf_probe_read_kernel()/BPF_CORE_READ instead of a direct load.`,
            }
          : undefined;
      },
    },
  ),
  entry(
    'pointer-arith-bounds',
    /^math between \S+ pointer and -?\d+ is not allowed|^\S+ pointer offset -?\d+ is not allowed|^math between \S+ pointer and register with unbounded min value is not allowed|^value -?\d+ makes \S+ pointer be out of bounds|^(?<register>R\d+) pointer arithmetic of map value goes out of range|^(?<register2>R\d+) stack pointer arithmetic goes out of range/,
    'Pointer arithmetic the verifier cannot bound',
    'Adding this value to the pointer could move it outside its object (or by an amount larger than the verifier tracks), so the addition itself is refused.',
    'Bound the value before adding it (an unsigned check against the object size) and keep offsets small and constant where possible.',
    {
      example: 'if (off >= sizeof(val->buf))\n\treturn 0;\nchar *p = val->buf + off;',
      refine: (_d, { message = '' }) =>
        /^math between ctx pointer and register/.test(message)
          ? {
              title: 'Variable index into the program context',
              why: 'The context (struct __sk_buff, xdp_md, ...) may only be accessed at constant offsets: each field access is rewritten by the kernel when the program loads, so an index computed at run time (ctx->cb[i], an array of context fields) cannot be. This adds a run-time value to the context pointer.',
              fix: 'Use constant indexes (a switch over i with ctx->cb[0] ... ctx->cb[4]), or keep the array in a map or on the stack instead of in the context.',
            }
          : /unbounded min value/.test(message)
            ? {
                title: 'Index may be negative: only its upper bound is checked',
                why: 'The value added to the pointer has no lower bound: its smallest possible value is negative, typically a signed index (int, char, a signed field of a packet or event) compared only with an upper limit, so a negative index would point before the object.',
                fix: 'Make the index unsigned (__u32) before the check, or check both ends: `if (idx < 0 || idx >= N) return ...;`.',
                example: '__u32 i = slot;        /* unsigned: cannot be negative */\nif (i >= 16)\n\treturn 0;\nv->hits[i]++;',
              }
            : undefined,
    },
  ),
  entry(
    'pointer-arith-prohibited',
    /^(?<register>R\d+) (?:32-bit pointer arithmetic prohibited|pointer arithmetic on (?<type>\S+) prohibited(?:, null-check it first)?|tried to subtract pointer from scalar|subtraction from stack pointer prohibited|bitwise operator \S+ on pointer prohibited|pointer arithmetic with (?<operator>\S+) operator prohibited|pointer \S+ pointer prohibited|pointer arithmetic prohibited|partial copy of pointer|pointer comparison prohibited|sign-extension part of pointer)|^R\d+ has pointer with unsupported alu operation|^R\d+ tried to \w+ from different maps, paths or scalars/,
    'Operation not allowed on a pointer ({register})',
    'Only adding and subtracting bounded numbers is allowed on most pointers. Bitwise operations, multiplication, 32-bit arithmetic, comparing unrelated pointers, or arithmetic on a pointer that may still be NULL would hide where the pointer points.',
    'Do arithmetic on indexes (numbers) and add them to the pointer at the end; check maybe-NULL pointers before any arithmetic; do not cast pointers to 32-bit integers.',
    {
      example:
        'struct val *v = bpf_map_lookup_elem(&m, &k);\nif (!v)\n\treturn 0;       /* null-check first */\nchar *p = v->buf + (idx & 63);',
      refine: (d) =>
        d.type && /^(?:sock|sock_common|tcp_sock|xdp_sock|ptr_|trusted_ptr_|rcu_ptr_)/.test(d.type) && !d.operator
          ? {
              title: `Run-time offset into a ${d.type.replace(/^(?:trusted_|rcu_)?ptr_/, '')} pointer (${d.register})`,
              why: `${d.register} points to a kernel object (${d.type}): the verifier checks each access to it by the field at a constant offset, so only \`p->field\` with a fixed offset is allowed. Adding a number computed at run time (an index, a loop counter) to the pointer itself is refused, whatever its bounds.`,
              fix: 'Read the field by name and index the copy: `__u32 w[4]; __builtin_memcpy(w, sk->src_ip6, sizeof(w)); ... w[i & 3]`, or pick the element with a switch over constant indexes.',
            }
          : d.operator
            ? {
                title: `\`${d.operator}\` applied to a pointer (${d.register})`,
                why: `${d.register} holds a pointer at this instruction and the program applies \`${d.operator}\` to it. Only adding and subtracting bounded numbers keeps a pointer's target known; a shift, multiplication or bitwise operation on a pointer (often an offset computed from the pointer itself, or a pointer cast to an integer and back) makes it an unknown address.`,
                fix: `Compute the offset as a number first (shift or mask the index, not the pointer), then add it to the pointer: \`p = data + (off ${d.operator.replace(/=$/, '')} n)\` rather than \`p ${d.operator} n\`.`,
              }
            : undefined,
    },
  ),
  entry(
    'pointer-modified',
    /^negative offset \S+ ptr (?<register>R\d+) off=-?\d+ disallowed|^dereference of modified \S+ ptr (?<register2>R\d+) off=-?\d+ disallowed|^variable \S+ access var_off=\S+ disallowed|^(?<register3>R\d+) must have zero offset when passed to release func|^cannot pass in dynptr at an offset|\bmodified \S+ ptr R\d+/,
    'Pointer used after being moved',
    'Context, socket and other kernel-object pointers must be used exactly as the kernel gave them: the verifier refuses loads through a pointer that was moved by a variable or negative amount, and release functions need the original pointer.',
    'Access fields through the original pointer with a constant field offset (ptr->field), and pass the unmodified pointer to release/submit functions.',
    {
      example:
        'struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);\nif (!e) return 0;\nbpf_ringbuf_submit(e, 0);   /* the pointer reserve returned */',
      causes: ['moved-pointer'],
    },
  ),
  entry(
    'misaligned-access',
    /^misaligned (?:packet |stack |\S+ ?)?access off/,
    'Misaligned access',
    'With strict alignment (BPF_F_STRICT_ALIGNMENT, or architectures without efficient unaligned access) loads and stores must be aligned to their size; this one is not.',
    'Read into a properly aligned local with __builtin_memcpy, or align the structure / offset.',
    { example: '__u32 v;\n__builtin_memcpy(&v, p + 1, sizeof(v));', causes: ['member-alignment'] },
  ),

  // ---- Stack --------------------------------------------------------------------------------
  entry(
    'size-may-be-zero',
    // Kernels before 5.x: `invalid stack type R3 off=-136 access_size=0` (the zero size of a stack buffer);
    // `size=0` of a map value or memory region is a helper's size argument too (loads are never 0 bytes).
    /^(?:(?<register>R\d+) )?invalid zero-sized read|^invalid stack type (?<register2>R\d+) off=-?\d+ access_size=0\b|^invalid access to (?:map value, value_size|memory, mem_size)=\d+ off=-?\d+ size=0\b/,
    'Size argument may be zero',
    'A helper that reads or writes a buffer got a size that can be 0 on this path (for example a length computed from data and only bounded from above). Zero-sized accesses are refused.',
    'Check the size is at least 1 before the call (or add 1 after masking), and bound it from above by the buffer size.',
    { causes: ['size-argument'], example: 'if (len == 0 || len > sizeof(buf))\n\treturn 0;\nbpf_probe_read_kernel(buf, len, src);' },
  ),
  entry(
    'special-field-variable-offset',
    /^(?<register>R\d+) doesn't have constant offset\. (?!bpf_spin_lock |bpf_timer |kptr )\S+ has to be at the constant offset/,
    'Special field reached through a variable offset ({register})',
    'Fields such as bpf_spin_lock, bpf_timer, bpf_wq, bpf_list_head or bpf_rb_root are found through BTF at one fixed offset in the map value. The pointer handed to their helper or kfunc must point exactly there, but {register} was computed with a variable part (for example an array of structs indexed by a variable).',
    'Pass &value->field straight from the map lookup result, one value per map element, instead of indexing into arrays of values.',
    { example: 'struct elem *e = bpf_map_lookup_elem(&m, &key);\nif (!e)\n\treturn 0;\nbpf_timer_init(&e->timer, &m, CLOCK_MONOTONIC);' },
  ),
  entry(
    'special-field-direct-access',
    /^\S+ cannot be accessed directly by load\/store/,
    'Special map value field read or written directly',
    'Fields such as struct bpf_spin_lock, bpf_timer, bpf_wq, kptrs and graph roots are owned by the kernel; programs may only touch them through their helpers and kfuncs, never with plain loads or stores (including copying the whole value struct).',
    'Use the matching helper (bpf_spin_lock, bpf_timer_init, bpf_kptr_xchg, ...) and copy only the other fields of the value.',
    {
      example: 'bpf_spin_lock(&v->lock);   /* not v->lock = ... or *copy = *v */\nv->n++;\nbpf_spin_unlock(&v->lock);',
      causes: ['special-member'],
    },
  ),
  entry(
    'rcu-preempt-region',
    /^(?:.+ cannot be used inside bpf_(?:rcu_read_lock|preempt_disable)-ed region|sleepable helper \S+#\d+ in (?:rcu_read_lock|non-preemptible) region|global function calls are not allowed with preemption disabled|expected an RCU CS when using \S+|nested rcu read lock|unmatched rcu read unlock|kernel func \S+ is sleepable within (?:rcu_read_lock|non-preemptible) region|unmatched attempt to enable preemption|-?\d+ bpf_preempt_enable\S* missing|Calling bpf_rcu_read_\{lock,unlock\} in unnecessary rbtree callback)/,
    'RCU / preemption section used incorrectly',
    'bpf_rcu_read_lock()/unlock() and bpf_preempt_disable()/enable() must pair up on every path; inside such a section the program may not sleep, tail call, throw, or call global functions, and some kfuncs are only valid inside an RCU section.',
    'Pair every lock with an unlock on all paths, keep sleeping calls outside the section, and use static (inlined) helpers inside it.',
    {
      causes: ['open-section'],
      causeWhen: { 'open-section': /-ed region|is missing|missing$|nested/ },
      refine: (_d, { message = '' }) => {
        const preempt = /preempt/.test(message);
        const [lock, unlock] = preempt ? ['bpf_preempt_disable', 'bpf_preempt_enable'] : ['bpf_rcu_read_lock', 'bpf_rcu_read_unlock'];
        if (/^BPF_EXIT instruction .* cannot be used inside|missing$|is missing/.test(message))
          return {
            title: `The program returns with ${lock}() still in effect`,
            why: `A path leaves the program (a \`return\`) while the section opened by ${lock}() is still open: every path must call ${unlock}() before it returns, and an early \`return\` between the two skips it.`,
            fix: `Call ${unlock}() before this return (or leave the section with a \`break\`/\`goto\` to the one ${unlock}() and return after it).`,
          };
        const inside = /^(.+?) cannot be used inside bpf_(?:rcu_read_lock|preempt_disable)-ed region/.exec(message)?.[1];
        if (inside)
          return {
            title: `${inside} inside a ${preempt ? 'preemption-disabled' : 'RCU read'} section`,
            why: `${inside} is not allowed between ${lock}() and ${unlock}(): ${preempt ? 'with preemption disabled the program may not sleep, tail call or call global functions' : 'inside an RCU read section the program may not sleep, tail call, throw or call global functions'}.`,
            fix: `Move it after ${unlock}(), or end the section before it.`,
          };
        const needs = /^(?:expected an RCU CS when using (\S+)|kernel func (\S+) requires RCU critical section protection)/.exec(message);
        if (needs)
          return {
            title: `${needs[1] ?? needs[2]} must run inside bpf_rcu_read_lock()`,
            why: `${needs[1] ?? needs[2]} uses pointers that are only safe inside an RCU read section, and this program${/sleepable|\.s\b/.test(message) ? '' : ' (sleepable programs in particular)'} is not in one at this call.`,
            fix: `Call bpf_rcu_read_lock() before ${needs[1] ?? needs[2]} and bpf_rcu_read_unlock() after the last use of what it returns.`,
          };
        return undefined;
      },
      example: 'bpf_rcu_read_lock();\nstruct task_struct *p = task->real_parent;\nif (p)\n\tpid = p->pid;\nbpf_rcu_read_unlock();',
      docsUrl: DOCS.kfuncs,
      sinceKernel: '6.2',
    },
  ),
  entry(
    'irq-flag-misuse',
    /^(?:.+ cannot be used inside bpf_local_irq_save-ed region|cannot restore irq state out of order, expected id=(?<expected>\d+) acquired at insn_idx=(?<at>\d+)|expected (?:an initialized|uninitialized) irq flag as arg#\d+|arg#\d+ doesn't point to an irq flag on stack|irq flag acquired by \S+ kfuncs cannot be restored with \S+ kfuncs)/,
    'Interrupts disabled by bpf_local_irq_save() not restored properly',
    'bpf_local_irq_save(&flags) disables interrupts and saves their state in a flag on the stack; every path must give it back with bpf_local_irq_restore(&flags), the innermost save first, before the program returns.',
    'Call bpf_local_irq_restore() with the same flag on every path before returning, restoring nested saves in the reverse order.',
    {
      causes: ['open-section'],
      causeWhen: { 'open-section': /-ed region|out of order/ },
      refine: (d, { message = '' }) => {
        if (/^BPF_EXIT instruction .* cannot be used inside/.test(message))
          return {
            title: 'The program returns with interrupts still disabled',
            why: 'A path leaves the program (a `return`) after bpf_local_irq_save() and before bpf_local_irq_restore(): interrupts would stay disabled on this CPU, so the verifier refuses every path that does not restore them.',
            fix: 'Call bpf_local_irq_restore(&flags) before this return (or leave through the one restore with a `goto`/`break`).',
          };
        if (d.expected)
          return {
            title: 'Interrupt state restored out of order',
            why: `Nested bpf_local_irq_save() calls must be undone innermost first. This restore is not of the flag saved last: the verifier expected the one saved at instruction ${d.at} (id=${d.expected}).`,
            fix: 'Restore the flag of the innermost bpf_local_irq_save() first, then the outer one.',
          };
        return undefined;
      },
      example: 'unsigned long flags;\nbpf_local_irq_save(&flags);\n/* ... */\nbpf_local_irq_restore(&flags);\nreturn 0;',
      docsUrl: DOCS.kfuncs,
      sinceKernel: '6.14',
    },
  ),
  entry(
    'graph-object-misuse',
    /^(?:bpf_obj_new\/bpf_percpu_obj_new|bpf_percpu_obj_new|local type ID argument must be|kfunc bpf_rdonly_cast type ID|allocated object must be referenced|held lock and object are not in the same allocation|bpf_spin_lock at off=-?\d+ must be held for|operation on \S+ expects arg#1|arg#1 offset=-?\d+, but expected|\S+ not found at offset=\d+|tracing progs cannot use bpf_\{list_head,rb_root\} yet|can't spin_\{lock,unlock\} in rbtree cb|rbtree_remove|arg#\d+ (?:is neither owning or non-owning ref|doesn't point to a type with bpf_refcount field|expected for bpf_(?:percpu_)?obj_drop_impl\(\))|kfunc \S+#\d+ conversion of owning ref to non-owning failed)/,
    'Allocated object / linked list / rbtree used incorrectly',
    "Objects from bpf_obj_new and the bpf_list_head / bpf_rb_root collections follow ownership rules: a node must be owned (a reference) to be inserted, the collection's bpf_spin_lock must be held around every operation, the lock and the root must live in the same map value, and the types must match the __contains() annotation.",
    'Take the lock that guards the root, pass owned references to push/add, drop or insert every object you allocate, and declare roots with __contains(type, field).',
    {
      causes: ['object-type', 'program-type', 'special-field'],
      causeWhen: { 'program-type': /progs cannot use/, 'special-field': /progs cannot use/ },
      refine: (_d, { message = '' }) =>
        /^tracing progs cannot use bpf_\{list_head,rb_root\}/.test(message)
          ? {
              title: 'Tracing programs cannot use bpf_list_head or bpf_rb_root',
              why: 'The kernel refuses linked lists and rbtrees (bpf_list_head, bpf_rb_root) in tracing programs (kprobe, tracepoint, perf_event, fentry, ...): the program uses a map or global that holds one, so it is rejected before any instruction is checked.',
              fix: 'Keep the entries in a hash or LRU hash map (and sort them in user space), or move the list or tree to a program type that may use it (tc, XDP, syscall, struct_ops) and feed it from the tracing program through a map.',
            }
          : undefined,
      example:
        'struct node *n = bpf_obj_new(typeof(*n));\nif (!n) return 0;\nbpf_spin_lock(&glock);\nbpf_rbtree_add(&groot, &n->rb, less);\nbpf_spin_unlock(&glock);',
      docsUrl: DOCS.kptr,
      sinceKernel: '6.2',
    },
  ),
  entry(
    'exception-misuse',
    /exception c(?:allback|b)\b|^bpf_throw /,
    'BPF exceptions used incorrectly',
    'bpf_throw() unwinds the program to its exception callback. The callback must be a global function declared with __exception_cb, take one integer, and not be called directly; bpf_throw may not be used from callbacks or inside lock/RCU sections.',
    'Declare one exception callback with __exception_cb(name) on the main program, make it a global function taking a u64, and release locks before throwing.',
    {
      example:
        'int exc_cb(u64 cookie) { return 0; }\nSEC("tc") __exception_cb(exc_cb)\nint prog(struct __sk_buff *skb) { if (bad) bpf_throw(1); return 0; }',
      sinceKernel: '6.7',
    },
  ),
  entry(
    'arena-misuse',
    /arena|^addr_space_cast insn/,
    'BPF arena used incorrectly',
    'An arena (BPF_MAP_TYPE_ARENA) is memory shared with user space. A program may use only one, it needs the JIT, CAP_BPF and CAP_PERFMON, and pointers into it (__arena) convert between user and kernel address spaces only through addr_space_cast.',
    'Declare a single arena map with map_extra (or mmap it first), mark pointers __arena, and load with a JIT-enabled kernel as a privileged user.',
    {
      example:
        'struct { __uint(type, BPF_MAP_TYPE_ARENA); __uint(map_flags, BPF_F_MMAPABLE);\n         __uint(max_entries, 10); } arena SEC(".maps");',
      sinceKernel: '6.9',
    },
  ),
  entry(
    'stack-invalid-read',
    /^invalid\S*(?: \S+)? read from stack (?:off -?\d+\+\d+ size \d+|R\d+ var_off \S+ size \d+)|^invalid indirect read from stack(?! \S+ off=)|^invalid read from stack (?<register>R\d+)(?! off=)/,
    'Reading stack memory that was never written',
    'This reads a local variable (or part of one) that was not initialised on this path. Unprivileged programs may not read uninitialised stack; helpers that read a buffer need it fully initialised. Padding holes in structs are a common cause.',
    'Initialise the variable (= {} or __builtin_memset) before reading it or passing its address to a helper.',
    {
      causes: ['stack-buffer'],
      example: 'struct key k = {};   /* zero, including padding */\nk.pid = pid;\nbpf_map_lookup_elem(&m, &k);',
      // `off -24+13 size 16`: the first byte not written is 13 bytes into the 16 read.
      refine: (d, { message = '' }) => {
        const m = /\boff (-?\d+)\+(\d+) size (\d+)/.exec(message);
        if (!m || Number(m[2]) === 0) return undefined;
        const [base, at, size] = [Number(m[1]), Number(m[2]), Number(m[3])];
        const who = d.helper ? `${d.helper}() reads` : 'The access reads';
        return {
          why: `${who} ${size} bytes at fp${base} (\`off ${m[1]}+${m[2]}\`): the first ${at} were written on this path, byte ${at} (fp${base + at}) was not. A field after the first ${at} bytes is left unset, or the struct has padding there (the compiler does not write padding), and the verifier will not let uninitialised stack bytes reach a helper.`,
          fix: `Zero the whole variable first (\`= {}\` at its declaration, or \`__builtin_memset(&var, 0, sizeof(var))\`), then set its fields, so bytes ${at}..${size - 1} are written too.`,
        };
      },
    },
  ),
  entry(
    'stack-out-of-bounds',
    /^invalid (?:write to|read from|indirect access to)? ?stack (?:R\d+ )?off=-?\d+ size=\d+|^invalid stack type R\d+ off=-?\d+ access_size=[1-9-]|^invalid stack off=-?\d+ size=\d+|^invalid (?:unbounded )?variable-offset\S* stack R\d+|^(?<register>R\d+)\S* variable offset stack access prohibited for !root|^(?<register2>R\d+) variable stack access prohibited for !root|^variable offset stack pointer cannot be passed into helper function|^(?:spilled ptr in range of var-offset stack write|uninit stack in range of var-offset write prohibited for !root)/,
    "Stack access outside the program's stack frame or at a variable offset",
    'Each BPF function has at most 512 bytes of stack, addressed at constant negative offsets from R10. This access is outside the frame, has an unknown (variable) offset, or has zero size.',
    'Index local arrays only with a bounded index and keep them small; pass helpers a pointer with a constant offset; move large buffers into a per-CPU array map.',
    {
      causes: ['stack-buffer'],
      example: 'char buf[64];\nif (i >= sizeof(buf))\n\treturn 0;\nbuf[i] = 0;',
      // A constant access that runs past the top of the frame: the size is larger than the variable.
      refine: (d) => {
        const off = Number(d.off);
        const size = Number(d.size);
        if (!(off < 0 && size > 0 && off + size > 0)) return undefined;
        const what = d.helper ? `${d.helper}() is given ${size} bytes` : `This access covers ${size} bytes`;
        return {
          title: `A ${size}-byte stack access runs ${off + size} bytes past the top of the frame`,
          why: `${what} starting at fp${off}, but only ${-off} bytes lie between that address and the top of the frame (fp0), so ${off + size} bytes of the access are outside the stack. The variable there is smaller than the size used with it.`,
          fix: `Make the size match the variable (\`sizeof\` of the variable itself, not of another type), or declare the variable large enough for ${size} bytes.`,
        };
      },
    },
  ),
  entry(
    'stack-pointer-leak',
    /^attempt to corrupt spilled pointer on stack|^cannot spill pointers to stack into stack frame of the caller|^invalid size of register (?:spill|fill)|^leaking pointer from stack off -?\d+|^frame pointer is read only/,
    'Misuse of the stack frame',
    "The verifier tracks pointers saved on the stack. Overwriting part of a saved pointer, writing R10 (the frame pointer), or storing a pointer into a caller's frame would let the program forge or leak pointers.",
    'Do not type-pun pointers through unions/byte arrays on the stack; store pointers in whole 8-byte slots; never write to the frame pointer in inline assembly.',
    { example: 'void *p = ptr;   /* keep pointers as pointers, not in char arrays */' },
  ),
  entry(
    'stack-too-large',
    /^combined stack size of \d+ calls is \d+\. Too large|^stack size of subprog \d+ is \d+\. Too large|^stack size \d+\(extra \d+\) is too large|^tail_calls are not allowed when call stack of previous frames is \d+ bytes\. Too large|^Looks like the BPF stack limit(?: of \d+ bytes)? is exceeded|^HINT: Looks like you exceeded the BPF stack limit/,
    'Stack limit exceeded (512 bytes)',
    'BPF programs have 512 bytes of stack, shared along a chain of BPF-to-BPF calls (and only 256 bytes when combined with tail calls). Large local arrays or structs, or deep call chains of functions with big frames, go past it.',
    'Move large buffers into a per-CPU array map used as scratch space, or inline functions (static __always_inline) so frames are not stacked.',
    {
      causes: ['tail-call-frames', 'large-locals', 'call-chain'],
      wholeProgram: true,
      example:
        'struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1);\n         __type(key, __u32); __type(value, struct big); } scratch SEC(".maps");\n__u32 zero = 0;\nstruct big *b = bpf_map_lookup_elem(&scratch, &zero);\nif (!b) return 0;',
    },
  ),
  entry(
    'call-stack-too-deep',
    /^the call stack of \d+ frames is too deep/,
    'Too many nested BPF function calls',
    'The verifier allows at most 8 nested BPF-to-BPF call frames.',
    'Flatten the call chain: inline helpers (static __always_inline) or restructure recursion-like code into a loop.',
    { wholeProgram: true, example: 'static __always_inline int parse(struct ctx *c) { ... }' },
  ),

  // ---- Writes forbidden / leaks -------------------------------------------------------------
  entry(
    'pointer-leak',
    /^(?<register>R\d+) leaks addr (?:into|as) |^R0 leaks addr as return value|^leaking pointer/,
    'Kernel address would leak ({register})',
    'Storing a pointer into a map, packet, context or helper argument, or returning it, would reveal kernel addresses; without CAP_PERFMON the verifier refuses it.',
    'Store the value you need (a number, an id, a copied field), not the pointer itself.',
    { example: 'e->pid = task->pid;   /* not e->task = task */' },
  ),
  entry(
    'write-forbidden',
    /^write into map forbidden|^read from map forbidden|^(?<register>R\d+) cannot write into (?<type>\S+)|^cannot write into packet|^the prog does not allow writes to packet data|^\S+\(\) may write into memory pointed by R\d+ type=\S+|^only read (?:from \S+ )?is supported|^write to change key (?<register2>R\d+) not allowed|^BPF_(?:ST|ATOMIC) stores into (?<register3>R\d+) \S+ is not allowed|^no write support to \S+ at off \d+/,
    'Writing to read-only memory',
    'The destination is read-only for this program: a map created with BPF_F_RDONLY_PROG (or a const global in .rodata), packet data in a program type that cannot modify packets, a map key, or context/kernel memory.',
    'Write into a writable copy (a stack variable or a writable map), drop const from globals you modify, or use the helper that modifies packets (bpf_skb_store_bytes).',
    {
      example: 'volatile __u64 counter;  /* writable .bss, not const */',
      causes: ['written-memory'],
      refine: (d, ctx) => {
        const message = ctx.message ?? '';
        if (/^only read is supported/.test(message))
          return {
            title: 'Kernel structures are read-only for this program',
            why: `A pointer to a kernel structure typed by BTF (a task_struct, a socket, ... as tracing programs${ctx.section ? ` like SEC("${ctx.section}")` : ''} receive them) may be read directly, field by field, but never written: the kernel owns that memory. This store writes through such a pointer.`,
            fix: 'Keep the value you want to change in a map or a global of your own; change kernel state only through helpers or kfuncs made for it (a BPF LSM or struct_ops program where the kernel offers that).',
          };
        if (/^cannot write into packet|^the prog does not allow writes to packet data/.test(message)) {
          const kind = programKind(ctx.section)?.name;
          return {
            title: `${kind ? `A ${kind} program` : 'This program type'} cannot change the packet`,
            why: `${kind ? `SEC("${ctx.section}") makes this a ${kind} program, which` : 'This program type'} may read packet data but not write it: direct packet writes (and bpf_skb_store_bytes) belong to tc (SCHED_CLS/ACT), XDP, lwt_xmit and sk_skb programs.`,
            fix: 'Rewrite the packet from a tc or XDP program (direct writes after the data_end check, or bpf_skb_store_bytes with the checksum helpers), and keep this program to reading and deciding.',
          };
        }
        const field = /^no write support to (\S+) at off (\d+)/.exec(message);
        if (field)
          return {
            title: `This field of ${field[1]} is read-only here`,
            why: `The program may write only the few fields of struct ${field[1]} that the kernel lets this program type change (a struct_ops congestion control, for example, may set snd_cwnd but not most of tcp_sock); offset ${field[2]} is not one of them.`,
            fix: `Keep the value in the program's own storage (a map or sk_storage) instead of struct ${field[1]}, or change only the fields the kernel allows for this program type.`,
          };
        if (/^write into map forbidden/.test(message))
          return {
            title: 'The map is read-only to the program',
            why: `The program may only read this map: it was created with BPF_F_RDONLY_PROG, or it is .rodata (a \`const volatile\` global), which user space fills before load. The store is at offset ${d.off ?? '?'} of a ${d.value_size ?? '?'}-byte value.`,
            fix: 'Keep what the program changes (counters, state) in a writable map or a non-const global, and leave the read-only map for configuration.',
          };
        if (/^write to change key/.test(message))
          return {
            title: "A callback's map key is read-only",
            why: `The key a bpf_for_each_map_elem() callback receives points at the map's own copy of the key, which the program may read but not change (${d.register ?? 'the register'} holds that pointer).`,
            fix: 'Copy the key into a local variable and change the copy (`struct key k = *key;`), or change the value, which is writable.',
          };
        return undefined;
      },
    },
  ),

  // ---- References, locks ------------------------------------------------------------------
  entry(
    'unreleased-reference',
    /^Unreleased reference id=(?<id>\d+) alloc_insn=(?<alloc_insn>\d+)|^tail_call would lead to reference leak|^BPF_LD_\[ABS\|IND\] cannot be mixed with socket references/,
    'Reference acquired but not released on every path',
    'Some helpers and kfuncs hand out references that must be given back: bpf_ringbuf_reserve needs bpf_ringbuf_submit/discard, bpf_sk_lookup_* needs bpf_sk_release, acquiring kfuncs need their release kfunc. On at least one path to the exit the reference from alloc_insn={alloc_insn} is still held.',
    'Release or submit the object on every path, including early returns and error branches.',
    {
      causes: ['acquisition'],
      example:
        'struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);\nif (!e)\n\treturn 0;\nif (skip) {\n\tbpf_ringbuf_discard(e, 0);   /* every path */\n\treturn 0;\n}\nbpf_ringbuf_submit(e, 0);',
      docsUrl: DOCS.ringbuf,
    },
  ),
  entry(
    'release-unacquired',
    /^(?:func|kfunc) \S+#\d+ reference has not been acquired before|^arg \d+ is an unacquired reference|^(?<register>R\d+) must be referenced(?: when passed to release function)?$|^release kernel function \S+ expects refcounted PTR_TO_BTF_ID|^(?:verifier internal error: )?more than one (?:release argument|arg with ref_obj_id)/,
    'Releasing something that is not an acquired reference',
    'A release helper or kfunc (bpf_ringbuf_submit, bpf_sk_release, bpf_task_release, ...) received a pointer that is not the live reference it expects: it was already released, never acquired, or is a plain pointer.',
    'Pass exactly the pointer returned by the acquire function, once, and do not use it after releasing it.',
    {
      causes: ['acquisition'],
      example: 'struct task_struct *t = bpf_task_acquire(task);\nif (!t) return 0;\nbpf_task_release(t);',
      docsUrl: DOCS.kfuncs,
    },
  ),
  entry(
    'spin-lock-misuse',
    /^(?:Locking two bpf_spin_locks are not allowed|.+ cannot be used inside bpf_spin_lock-ed region|(?:global )?function calls are not allowed while holding a lock|\S+ '\S+' has no valid bpf_spin_lock|\S+ (?:insn|instruction)s? (?:is |are )?(?:not allowed|cannot be used) (?:while holding a lock|inside bpf_spin_lock-ed region)|bpf_(?:res_)?spin_unlock without taking a lock|bpf_(?:res_)?spin_unlock of different lock|bpf_(?:res_)?spin_unlock is missing|function calls are not allowed while holding a lock|BPF_LD_\[ABS\|IND\] cannot be used inside bpf_spin_lock-ed region|bpf_spin_lock cannot be accessed directly by load\/store|(?:socket filter|tracing|sleepable) progs cannot use bpf_spin_lock yet|(?<register>R\d+) doesn't have constant offset\. bpf_spin_lock has to be at the constant offset|map '\S+' (?:has to have BTF in order to use bpf_spin_lock|has more than one 'struct bpf_spin_lock'|doesn't have 'struct bpf_spin_lock'|is not a struct type or bpf_spin_lock is mangled)|off -?\d+ doesn't point to 'struct bpf_spin_lock')/,
    'bpf_spin_lock used incorrectly',
    'A bpf_spin_lock must live in a map value (one per value, found through BTF), be taken and released on the same path, never be held twice, and while it is held the program may not call functions (other than the unlock) or exit. Only some program types may use it.',
    'Lock, touch the fields, unlock — in the same function with no calls or returns in between.',
    {
      refine: (d, { message = '' }) =>
        /BPF_EXIT|cannot be used inside bpf_spin_lock-ed region/.test(message) && /EXIT|exit/.test(message)
          ? {
              title: 'Return while holding a bpf_spin_lock',
              why: 'This path leaves the program (a return) between bpf_spin_lock() and bpf_spin_unlock(): the lock would stay held forever. The verifier requires every path from the lock to reach the unlock before any exit.',
              fix: 'Call bpf_spin_unlock() before this return (or set a result variable, break out of the locked block, unlock, and return after it).',
            }
          : /function calls are not allowed while holding a lock/.test(message)
            ? {
                title: `Call to ${d.helper ?? 'a function'} while holding a bpf_spin_lock`,
                why: `While a bpf_spin_lock is held the program may call no helper or function other than bpf_spin_unlock()${d.helper ? `; this path calls ${d.helper}() inside the locked region` : ''}.`,
                fix: `Copy what you need into local variables inside the lock, call bpf_spin_unlock(), and make the ${d.helper ?? 'call'}() after it.`,
              }
            : /^bpf_res_spin_unlock without taking a lock/.test(message)
              ? {
                  title: 'bpf_res_spin_unlock() on a path where bpf_res_spin_lock() failed',
                  why: 'bpf_res_spin_lock() can fail (it returns an error instead of spinning forever, on a deadlock or a timeout), and then the lock is not held. The verifier follows the path where it failed too, and that path reaches bpf_res_spin_unlock() without holding the lock: the result is not tested, or the failure path unlocks as well.',
                  fix: 'Test the result and leave when it is not 0: `if (bpf_res_spin_lock(&v->lock)) return ...;`, and unlock only on the path where it succeeded.',
                }
              : /^(socket filter|tracing|sleepable) progs cannot use bpf_spin_lock/.test(message)
                ? {
                    title: `${/^\w+( \w+)?/.exec(message)![0]} programs cannot use bpf_spin_lock`,
                    why: `The kernel refuses bpf_spin_lock in ${/^\w+( \w+)?/.exec(message)![0]} programs, and this program uses a map whose value holds one, so it is rejected before any instruction is checked.`,
                    fix: 'Count without the lock (__sync_fetch_and_add on each field, or a per-CPU map summed in user space), or move the locked update to a program type that may lock (tc, XDP, cgroup_skb).',
                  }
                : undefined,
      causes: ['open-section', 'map-definition', 'program-type', 'special-field'],
      causeWhen: {
        'program-type': /progs cannot use/,
        'open-section': /holding a lock|-ed region|is missing|missing$|two bpf_spin_locks|different lock|nested|res_spin_unlock without/,
      },
      example:
        'struct val { struct bpf_spin_lock lock; __u64 cnt; };\n...\nbpf_spin_lock(&v->lock);\nv->cnt++;\nbpf_spin_unlock(&v->lock);',
      docsUrl: DOCS.spinLock,
    },
  ),
  entry(
    'timer-misuse',
    /^(?:bpf_timer cannot be accessed directly by load\/store|tracing progs cannot use bpf_(?:timer|wq) yet|map '\S+' has no valid bpf_timer|off -?\d+ doesn't point to 'struct bpf_wq'|workqueue pointer in R1 map_uid=\d+ doesn't match|bpf_timer cannot be used for PREEMPT_RT\.|(?<register>R\d+) doesn't have constant offset\. bpf_timer has to be at the constant offset|map '\S+' (?:has to have BTF in order to use bpf_timer|has more than one 'struct bpf_timer'|doesn't have 'struct bpf_timer'|is not a struct type or bpf_timer is mangled)|off -?\d+ doesn't point to 'struct bpf_timer'|timer pointer in R1 map_uid=\d+ doesn't match map pointer in R2)/,
    'bpf_timer / bpf_wq used incorrectly',
    'A struct bpf_timer must be a field of a map value with BTF (one per value), be passed to the timer helpers at its constant offset together with the same map, and may not be read or written directly. Tracing programs cannot use timers.',
    'Embed one struct bpf_timer in the map value, and pass &val->timer together with &that_map to bpf_timer_init.',
    {
      causes: ['map-definition', 'program-type', 'special-field'],
      causeWhen: { 'program-type': /progs cannot use/ },
      example: 'struct elem { struct bpf_timer t; };\nbpf_timer_init(&e->t, &timers, CLOCK_MONOTONIC);',
      docsUrl: helperDoc('bpf_timer_init'),
    },
  ),
  entry(
    'kptr-misuse',
    /^(?:kptr in map can only be accessed using BPF_(?:MEM instruction mode|LDX\/BPF_STX\/BPF_ST)|store to referenced kptr disallowed|BPF_ST imm must be 0 when storing to kptr|kptr cannot be accessed indirectly by helper|kptr access cannot have variable offset|kptr access misaligned|kptr access size must be BPF_DW|(?<register>R\d+) doesn't have constant offset\. kptr has to be at the constant offset|(?<register2>R\d+) has no valid kptr|map '\S+' (?:has to have BTF in order to use bpf_kptr_xchg|has more than \d+ kptr|has repeating kptr BTF tags|has no valid kptr)|off=\d+ (?:doesn't point to kptr|kptr isn't referenced kptr)|arg#0 (?:expected pointer to map value|must have constant offset|no referenced kptr at map value offset=\d+|BTF type must be a double pointer))|^invalid kptr access\b/,
    'Kernel pointer (kptr) field used incorrectly',
    'Map values can hold kernel object pointers marked __kptr / __kptr_ref (__kptr_untrusted in newer kernels). Referenced kptrs may only be exchanged with bpf_kptr_xchg, at a constant offset, as a whole 8-byte field.',
    'Move referenced pointers in and out with bpf_kptr_xchg(&val->ptr, new) and release what comes back.',
    {
      causes: ['special-field'],
      example: 'struct task_struct *old = bpf_kptr_xchg(&v->task, acquired);\nif (old)\n\tbpf_task_release(old);',
      docsUrl: DOCS.kptr,
    },
  ),
  entry(
    'dynptr-misuse',
    /^(?:Dynptr has to be an uninitialized dynptr|\S+ has to be at a constant offset|cannot pass in \S+ at an offset|potential write to dynptr at off=-?\d+ disallowed|cannot pass pointer to const bpf_dynptr, the helper mutates it|cannot release unowned const bpf_dynptr|expected valid iter pointer as arg #\d+|css_task_iter is only allowed in bpf_lsm, bpf_iter and sleepable progs|Expected an initialized dynptr as arg #\d+|Expected a dynptr of type \S+ as arg #\d+|arg#\d+ pointer type \S+ \S+ points to unsupported dynamic pointer type|(?:verifier internal error: )?(?:multiple uninitialized dynptr args|no dynptr in bpf_dynptr_data\(\))|expected (?:an )?(?:initialized|uninitialized) (?:dynptr|iter_\S+)|arg#\d+ expected pointer to stack or (?:const )?struct bpf_dynptr|cannot overwrite referenced dynptr|dynptr has to be at a constant offset)/i,
    'bpf_dynptr or iterator used incorrectly',
    'A dynptr is a stack object the verifier tracks through its life: it must be initialised (bpf_dynptr_from_mem, bpf_ringbuf_reserve_dynptr, ...) before use, must be of the kind the helper needs, may not be overwritten while it holds a reference, and must be released (submitted/discarded) when it owns one.',
    'Declare struct bpf_dynptr on the stack, initialise it with the matching constructor, use it, and submit/discard ringbuf dynptrs on every path.',
    {
      causes: ['stack-object', 'released-dynptr', 'skipped-release'],
      causeWhen: { 'skipped-release': /^cannot overwrite referenced dynptr/ },
      // Open-coded iterators (bpf_iter_<kind>_new/next/destroy) have rules of their own.
      refine: (_d, { message = '' }) => {
        const iter = /\b(iter_\w+)/.exec(message)?.[1];
        return iter && !/dynptr/i.test(message)
          ? {
              title: `Open-coded iterator ${iter} used outside its life`,
              why: `An open-coded iterator (struct bpf_${iter}) is a stack object the verifier tracks: bpf_${iter}_new() initialises it, bpf_${iter}_next() may only be called on an initialised one, and bpf_${iter}_destroy() ends it, exactly once on every path. This call got one that is not initialised here (never created on this path, already destroyed, or passed at an offset).`,
              fix: `Create the iterator with bpf_${iter}_new() before the loop and destroy it once after it on every path (or use bpf_for(), which does both).`,
            }
          : undefined;
      },
      example:
        'struct bpf_dynptr ptr;\nif (bpf_ringbuf_reserve_dynptr(&rb, 64, 0, &ptr)) {\n\tbpf_ringbuf_discard_dynptr(&ptr, 0);\n\treturn 0;\n}\nbpf_ringbuf_submit_dynptr(&ptr, 0);',
      docsUrl: DOCS.dynptr,
      sinceKernel: '5.19',
    },
  ),

  // ---- Helpers and program types ----------------------------------------------------------
  entry(
    'helper-not-allowed',
    /^(?:unknown func (?<helper>\w+)#(?<helperId>\d+)|func (?<helper2>\w+)#\d+ not supported for program type \d+|func \S+#\d+ supported only for fentry\/fexit\/fmod_ret programs|helper call is not allowed in probe|program of this type cannot use helper (?<helper3>\w+)#\d+|helper (?<helper4>\w+) not (?:supported|allowed) in probe)|^Lockdown: (?<program>[^:]+): (?:use of bpf to (?:read kernel RAM|write user RAM)|unsafe use of perf) is restricted/,
    'Helper {helper} cannot be used in this program type',
    'Each program type (given by SEC()) has its own set of helpers. {helper} is not available to this program type on this kernel (or does not exist on this kernel at all).',
    'Choose a program type that offers the helper (change SEC()), use an equivalent helper of this type, or upgrade the kernel if the helper is newer than it.',
    {
      refine: (d, ctx) => {
        const kind = programKind(ctx.section);
        const helper = d.helper;
        // The kernel's own note, in dmesg, of why those helpers are gone.
        const lockdown = /^Lockdown: [^:]+: (.*?) is restricted/.exec(ctx.message ?? '');
        if (lockdown)
          return {
            title: `Kernel lockdown refused ${d.program}: ${lockdown[1]}`,
            why: `This kernel runs in lockdown (confidentiality mode, as Secure Boot setups and distributions such as Talos enforce): the ${lockdown[1]} is restricted, so for \`${d.program}\` the verifier treats the helpers that read kernel memory (bpf_probe_read, bpf_probe_read_kernel and their _str forms) and bpf_probe_write_user as unknown (\`unknown func bpf_probe_read#4\`) and refuses the program. Nothing in the program is wrong for a kernel without lockdown.`,
            fix: 'Boot with lockdown=integrity or none where policy allows (`cat /sys/kernel/security/lockdown` shows the mode), or read only what lockdown still permits: BTF-typed pointers in tp_btf/fentry programs (direct loads, no probe_read), and user memory with bpf_probe_read_user.',
          };
        // A number the kernel has no helper for (`bpf_unused15#125`, `unknown#212`): built for another kernel.
        if (helper && d.helperId && /^unknown$|unused|uu+sed/.test(helper))
          return {
            title: `Helper #${d.helperId} does not exist on this kernel`,
            why: `The program calls helper number ${d.helperId}, which this kernel does not have (${helper} is the placeholder of an unused number). The object was built against another kernel's helper list (a probe or driver compiled for a different kernel version), or with helper definitions newer than this kernel.`,
            fix: `Rebuild the object against this kernel's headers (or the loader's matching release), or avoid helper #${d.helperId} on this kernel.`,
          };
        if (!kind || !helper) return undefined;
        const instead = EQUIVALENT_HELPER[kind.name]?.[helper] ?? (kind.name !== 'perf_event' ? EQUIVALENT_ELSEWHERE[helper] : undefined);
        if (instead)
          return {
            title: `${helper} is not available to ${kind.name} programs: use ${instead.helper}`,
            why: `SEC("${ctx.section}") makes this a ${kind.name} program, and ${helper} belongs to another program type's set of helpers. ${instead.why}`,
            fix: `Call ${instead.helper} instead (${instead.usage}).`,
          };
        return {
          title: `${helper} is not available to ${kind.name} programs`,
          why: `SEC("${ctx.section}") makes this a ${kind.name} program, and this kernel does not offer ${helper} to that program type (each type has its own set of helpers).`,
        };
      },
      causes: ['program-type'],
      example: '/* bpf_skb_store_bytes needs a tc/socket program: */\nSEC("tc")\nint prog(struct __sk_buff *skb) { ... }',
      docsUrl: DOCS.progTypes,
    },
  ),
  entry(
    'invalid-helper',
    /^(?:invalid func (?!unknown#195896080\b)(?<helper>\w+)#(?<helperId>-?\d+)|call to invalid destination|kernel subsystem misconfigured (?:func|verifier)|invalid return type \d+ of func|unknown return type \d+ of func)/,
    'Call to an unknown helper ({helper}#{helperId})',
    "The instruction calls a helper id this kernel does not know. libbpf uses `unknown#195896080`-style ids to poison instructions whose CO-RE relocation failed, so look at libbpf's relocation messages above; otherwise the object was built against newer helper definitions than the running kernel has.",
    'If a CO-RE relocation failed, fix the field or guard it with bpf_core_field_exists(); otherwise use helpers the running kernel supports.',
    { example: 'if (bpf_core_field_exists(t->some_new_field))\n\tv = BPF_CORE_READ(t, some_new_field);', docsUrl: DOCS.core },
  ),
  entry(
    'gpl-only',
    /^cannot call (?:GPL-restricted function|kernel function) from non-GPL compatible program|^Cannot access kernel .+ from non-GPL compatible program|^struct ops programs must have a GPL compatible license/,
    'GPL-only function called from a non-GPL program',
    'Many helpers and all kfuncs are only available to programs whose license section declares a GPL-compatible license.',
    'Declare a GPL-compatible license in the object.',
    { causes: ['license'], example: 'char LICENSE[] SEC("license") = "Dual BSD/GPL";' },
  ),
  entry(
    'sleepable-context',
    /^helper call might sleep in a non-sleepable prog|^kernel function \S+ is sleepable but the program is not|^\S+ is not sleepable|^Only fentry\/fexit\/fmod_ret, lsm, (?:iter, uprobe, and struct_ops|and kprobe\/uprobe) programs can be sleepable|^Syscall programs can only be sleepable|^Sleepable programs can only use array, hash,|^program must be sleepable to call sleepable kfunc|^BPF_LSM_CGROUP programs cannot be sleepable/,
    'Sleeping call in a program that may not sleep',
    'Some helpers and kfuncs can sleep (bpf_copy_from_user, bpf_d_path, ...). They are only allowed in sleepable programs — those whose section ends in `.s` (fentry.s, lsm.s, uprobe.s, iter.s) and whose attach point allows sleeping.',
    'Load the program as sleepable (SEC("lsm.s/...") / SEC("uprobe.s/...")), or use the non-sleeping variant (bpf_probe_read_user).',
    { causes: ['program-type'], example: 'SEC("lsm.s/file_open")\nint BPF_PROG(check, struct file *f) { ... }' },
  ),
  entry(
    'map-not-allowed',
    /^cannot pass map_type \d+ into func \S+#\d+|^callback function not allowed for map|^cannot update sockmap in this context|^invalid arg_type for sockmap\/sockhash|^no direct value access support for this map type|^only one cgroup storage of each type is allowed|^The total number of maps per program has reached the limit|^pointer in R\d+ isn't map pointer|^get_local_storage\(\) doesn't support non-zero flags|^bpf_struct_ops map cannot be used in prog|^offload device mismatch between prog and map|^map_ptr access not supported|^expected prog array map for tail call|^invalid map_ptr to access map->(?:type|key|value)/,
    'This map cannot be used with that helper or here',
    'Helpers accept only certain map types (e.g. bpf_tail_call needs a PROG_ARRAY, bpf_perf_event_output a PERF_EVENT_ARRAY, bpf_for_each_map_elem no PROG_ARRAY), and some program types limit which maps they may use.',
    'Use the map type the helper is documented for.',
    {
      refine: (d, ctx) => {
        const m = /^cannot pass map_type (\d+) into func (\w+)#/.exec(ctx.message ?? '');
        const helper = m?.[2] ?? (/tail call/.test(ctx.message ?? '') ? 'bpf_tail_call' : undefined);
        const wants = helper ? HELPER_MAPS[helper] : undefined;
        if (!helper || !wants) return undefined;
        const given = m ? MAP_TYPES[Number(m[1])] : undefined;
        const list = wants.map((t) => `BPF_MAP_TYPE_${t}`).join(', ');
        return {
          title: `${helper} needs a ${wants.map((t) => `BPF_MAP_TYPE_${t}`).join(' or ')} map${given ? `, not ${given}` : ''}`,
          why: `${helper} works only on maps of type ${list}${given ? `; the map passed here is a ${given} (map_type ${m![1]})` : ''}. The map type decides what the helper does with the map (a program array jumps, a device map redirects, a perf event array outputs), so no other type can stand in.`,
          fix: `Declare the map passed to ${helper} with __uint(type, BPF_MAP_TYPE_${wants[0]}) (and the key/value that type needs), or ${
            given && SAME_JOB[`${helper} ${given}`]
              ? `call ${SAME_JOB[`${helper} ${given}`]}, which does the same for a ${given}`
              : 'use the helper meant for the map you have'
          }.`,
        };
      },
      causes: ['map-definition'],
      example:
        'struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 4);\n         __type(key, __u32); __type(value, __u32); } jmp SEC(".maps");\nbpf_tail_call(ctx, &jmp, 0);',
      docsUrl: DOCS.maps,
    },
  ),
  entry(
    'const-arg-required',
    /^(?<register>R\d+) (?:is not a known constant|must be a known constant|does not point to a readonly map|is not a constant address)'?$|^string is not zero-terminated|^direct value access on string failed|^Invalid format string|^(?<register2>R\d+) is not a const$/,
    'Argument must be a constant (or a read-only string)',
    'Some helper arguments must be known when the program is verified: format strings of bpf_snprintf / bpf_trace_printk must be NUL-terminated strings in a read-only map (.rodata), flags must be constants.',
    'Pass a string literal or a const global for format strings, and constant values for flags.',
    {
      example: 'static const char fmt[] = "pid %d\\n";\nbpf_snprintf(out, sizeof(out), fmt, args, sizeof(args));',
      refine: (d, ctx) =>
        ctx.helper === 'bpf_ringbuf_reserve'
          ? {
              title: 'bpf_ringbuf_reserve needs a constant size',
              why: `The size of a ring buffer reservation (${d.register ?? 'R2'}) must be a constant known at load time, because the verifier checks every access to the record against it; here it is a value computed at run time.`,
              fix: 'Reserve a fixed maximum size (sizeof(struct event) with a fixed-size buffer inside) and record the real length in a field, or copy a variable-sized record with bpf_ringbuf_output(&rb, buf, len, 0), which takes a bounded run-time size.',
              example:
                'struct line { __u32 len; char buf[64]; } *rec = bpf_ringbuf_reserve(&rb, sizeof(*rec), 0);\nif (!rec)\n\treturn 0;\nrec->len = n;',
              docsUrl: DOCS.ringbuf,
            }
          : undefined,
    },
  ),
  entry(
    'tail-call-misuse',
    /^tail_calls are not allowed in non-JITed programs with bpf-to-bpf calls|^tail_call abusing map_ptr|^tail_call is (?:not allowed in subprogs without BTF|only allowed in functions that return 'int')|^verifier bug\. subprog has tail_call and async cb|^Tail call map owned by prog type \d+, but prog type is \d+/,
    'Tail call not allowed here',
    'Tail calls mix with BPF-to-BPF calls only when the program is JIT-compiled and only from functions that return int and have BTF; one call site must always use the same prog array.',
    'Enable the JIT (net.core.bpf_jit_enable=1), build with -g so functions have BTF, and use one PROG_ARRAY per call site.',
    {
      causes: ['function-return'],
      causeWhen: { 'function-return': /only allowed in functions that return 'int'/ },
      refine: (_d, { message = '', afterVerifier }) => {
        if (afterVerifier)
          return {
            title: 'The verifier accepted the program; the kernel refused it afterwards (EINVAL)',
            why: "The verifier's log ends with its statistics and no error: every path was proven safe. The load still failed with EINVAL (invalid argument), so one of the kernel's checks after verification refused it, and the one that answers EINVAL there is the tail-call check: every program using a BPF_MAP_TYPE_PROG_ARRAY must match the program that first used it — same program type and, since Linux 6.11, the same expected attach type (a cgroup connect4 and sendmsg4 program sharing one jump table), the same JIT-ness and the same kind of BTF/xdp-frags settings.",
            fix: 'Give programs of different program or attach types their own PROG_ARRAY (a separate map or pin path) instead of sharing one jump table; `bpftool map show` names the array, `bpftool prog show` the programs already in it.',
          };
        const m = /^Tail call map owned by prog type (\d+), but prog type is (\d+)/.exec(message);
        if (!m) return undefined;
        const [owner, mine] = [PROG_TYPES[Number(m[1])] ?? `type ${m[1]}`, PROG_TYPES[Number(m[2])] ?? `type ${m[2]}`];
        return {
          title: `The prog array belongs to ${owner} programs, not ${mine}`,
          why: `A BPF_MAP_TYPE_PROG_ARRAY takes the program type of the first program that uses it, and every program tail-calling through it or stored in it must have that type. This map is owned by prog type ${m[1]} (${owner}), and the program being loaded is prog type ${m[2]} (${mine}): typically one pinned jump table shared by a tc and an XDP program.`,
          fix: `Give the ${mine} programs a prog array of their own (a separate map or pin path), or make both programs the same type.`,
        };
      },
      example: 'bpf_tail_call(ctx, &jmp_table, idx);\nreturn 0; /* fall-through when the slot is empty */',
      docsUrl: DOCS.tailCalls,
    },
  ),

  // ---- Loops and complexity ---------------------------------------------------------------
  entry(
    'program-too-complex',
    /^BPF program is too large\. Processed (?<processed>\d+) insn|^The sequence of (?<jumps>\d+) jumps is too complex|^Program\s+\S*\s*too large \((?<insns>\d+) insns\), at most \d+ insns|^Prog section '[^']*' rejected: Argument list too long|^(?:prog '\S+': )?BPF program load failed: (?:-E2BIG|Argument list too long)|Argument list too long \(os error 7\)|\bload program: argument list too long\b|^insn (?<insn>\d+) cannot be patched due to 16-bit range|^processed (?<processed2>1000001|131073|65537) insns \(limit (?:1000000|131072|65536)\)/,
    'Verification too complex (instruction budget exhausted)',
    'The verifier walks every path and stops after 1,000,000 processed instructions (or 8192 pending branches). Loops with large bounds, many independent branches, or a loop the verifier cannot prove to terminate quickly blow that budget.',
    'Reduce the paths: make loop bounds small constants, use bpf_loop() (5.17+) or open-coded iterators (bpf_for, 6.4+) for long loops, move work into BPF-to-BPF global functions (verified once), and avoid branching on unrelated values in loops.',
    {
      causes: ['loop-condition', 'instruction-budget'],
      example:
        'static long body(__u32 i, void *ctx) { /* ... */ return 0; }\nbpf_loop(10000, body, &state, 0);  /* verified once, not 10000 times */',
      docsUrl: DOCS.loops,
    },
  ),
  entry(
    'infinite-loop',
    /^(?:infinite loop detected at insn \d+|back-edge from insn \d+ to \d+|loop detected at insn \d+)/,
    'Loop the verifier cannot prove to terminate',
    'Older kernels (before 5.3) refuse any backward jump; newer ones refuse a loop when two visits of the loop head have the same state, i.e. the loop makes no progress the verifier can see.',
    'Give the loop a constant upper bound that the counter visibly approaches, or use bpf_loop() / bpf_for().',
    { causes: ['loop-condition', 'loop-progress'], example: 'for (int i = 0; i < 64 && i < n; i++) { ... }', docsUrl: DOCS.loops },
  ),
  entry(
    'unreachable-insn',
    /^unreachable insn \d+|^jump out of range from insn -?\d+ to -?\d+|^jump into the middle of ldimm64 insn \d+|^last insn is not an exit or jmp/,
    'Instruction layout the verifier rejects',
    'All instructions must be reachable, every jump must land on an instruction inside the same function, and the last instruction of each function must be an exit or a jump. Dead code after inline assembly, a function without a final return, or a linker that dropped a function body can cause this.',
    'Make sure every function ends with a return, and remove dead code in inline assembly.',
    {
      example: 'int f(void) {\n\t...\n\treturn 0;   /* every function ends with a return */\n}',
      refine: (_d, { message = '' }) => {
        const jump = /^jump out of range from insn (-?\d+) to (-?\d+)/.exec(message);
        return jump
          ? {
              title: `The jump at instruction ${jump[1]} lands outside its function (${jump[2]})`,
              why: `Instruction ${jump[1]} jumps to ${jump[2]} (\`insn ${jump[1]}\` to ${jump[2]} in the log), which is not inside the function the jump belongs to (or past the end of the program): the code the jump was compiled for is not where the loader put it. This happens when a loader that does not know BPF-to-BPF calls or several programs per section (an old libbpf or bcc, a custom ELF loader) loads only part of the code, or when an object was linked or patched by hand.`,
              fix: 'Load the object with a current libbpf (or bpftool), or mark the functions the program calls `static __always_inline` so the program is one function.',
            }
          : undefined;
      },
    },
  ),

  // ---- BPF-to-BPF functions, global functions, callbacks ----------------------------------
  entry(
    'nullable-arg',
    /^Possibly NULL pointer passed to (?:trusted |helper )?arg#?(?<arg>\d+)|^arg#(?<arg2>\d+) is expected to be non-NULL|^(?<register>R\d+) type=(?<type>\S*_or_null\S*) expected=(?<expected>.*)$/,
    'Pointer that may be NULL passed as argument {arg}',
    'The function (a kfunc or helper) requires a valid pointer for this argument, but on this path the pointer may be NULL — it came from a lookup or an acquire function that can fail and was not checked.',
    'Check the pointer for NULL before the call and skip the call when it is NULL.',
    {
      example: 'struct task_struct *t = bpf_task_from_pid(pid);\nif (!t)\n\treturn 0;\nbpf_task_release(t);',
      docsUrl: DOCS.kfuncs,
      // The state form: `R1 type=ptr_or_null_ expected=ptr_, trusted_ptr_`.
      refine: (d, ctx) =>
        d.type
          ? {
              title: `${d.register} may be NULL where ${ctx.helper ?? 'the call'} needs a valid pointer`,
              why: `The pointer in ${d.register} is NULL on the path where the lookup or acquire that produced it failed, and ${ctx.helper ?? 'the function'} accepts only a valid pointer for this argument; the verifier follows that path too.`,
            }
          : undefined,
    },
  ),
  entry(
    'func-arg-mismatch',
    /^Caller passes invalid args into func#\d+|^arg#\d+ (?:expected pointer to ctx, but got \S+|pointer type (?:\S+ )?\S+ (?:must point to \S*scalar(?:, or struct with scalar)?|not to stack|must be valid and initialized)|arg#\d+ memory, len pair leads to invalid memory access)|^(?<register>R\d+) is not a scalar$|^Unrecognized arg#\d+ type \S+|^2 or more rdonly\/rdwr_buf_size parameters for kfunc|^R\d+ rdonly\/rdwr_buf_size exceeds u32 max/,
    "Argument does not match the function's declared parameter",
    'Calls to global BPF functions and kfuncs are checked against their BTF prototypes: a pointer-to-struct parameter needs a valid, initialised pointer of that type (or to stack memory for plain data), scalars must be numbers, (buffer, size) pairs must describe valid memory.',
    'Pass arguments of exactly the declared type; initialise stack buffers; check nullable pointers before passing them.',
    {
      causes: ['released-pointer'],
      example: '__noinline int handle(struct data *d);  /* global function */\nstruct data d = {};\nhandle(&d);',
      docsUrl: DOCS.functions,
      refine: (_d, { message = '', helper }) => {
        const m = /^arg#(\d+) pointer type ((?:\S+ )?\S+) must point to/.exec(message);
        // A kfunc, not a global function: what was passed is no longer (or never was) such a pointer.
        if (m && helper && !/^pc[+-]/.test(helper))
          return {
            title: `${helper}() argument ${m[1]} is not a valid ${m[2].replace(/^STRUCT /, 'struct ')} pointer`,
            why: `${helper}() takes a pointer to ${m[2].replace(/^STRUCT /, 'struct ')} as argument ${m[1]} (arg#${m[1]}, counting from 0), and the register passed there does not hold one: typically the object was released already (after a release every copy of the pointer is a plain number), or the pointer came from somewhere the verifier does not trust.`,
            fix: `Pass ${helper}() the pointer as it came from the call that acquired or returned it, and only once: not after it was released.`,
          };
        return m
          ? {
              title: `Global function argument ${m[1]} points to ${m[2]}, which a global function may not take`,
              why: `A global (non-static) BPF function is verified once, on its own, from its BTF signature, so its pointer parameters may point only to numbers, to structs made of numbers, or to the context: the verifier cannot know what a pointer to ${m[2]} holds. Parameter ${m[1]} (arg#${m[1]}, counting from 0) is such a pointer.`,
              fix: "Make the function static (`static __always_inline`, or `static __noinline` for a call verified with the caller's types), or pass the numbers it needs instead of the pointer.",
            }
          : undefined;
      },
    },
  ),
  entry(
    'global-func-signature',
    /^Global function \S+\(\) (?:with \d+ > \d+ args\. Buggy compiler\.|doesn't return scalar\. Only those are supported\.)|^Arg#\d+ type \S+ in \S+\(\) is not supported yet|^Global functions need valid BTF|^The function \S+ (?:has \d+ arguments\. Too many\.|return type \S+ is unsupported\.|with variable args is unsupported\.|arg\d+ type \S+ is unsupported\.|has malformed void argument\.)|^Function \S+ has \d+ > \d+ args|^Invalid type of function \S+\(\)|^callback function (?:not static|cannot be the main program)|^LD_ABS is (?:not allowed in subprogs without BTF|only allowed in functions that return 'int'\.)|^cannot return stack pointer to the caller|^At subprogram exit the register R\d+ is not a scalar value|^arg#\d+ (?:reference type\('.*'\) size cannot be determined|type isn't a pointer|type doesn't have a name|should be void pointer|should be `struct \S+ \*`|reference type\('.*'\) points to kernel module type|type tag is not supported in static functions|has unsupported set of tags|has invalid combination of tags|arena cannot be combined with any other tags|has pointer tag, but is not a pointer type)|^kern ctx type id \d+ is not a struct|\(\) doesn't return scalar/,
    'Function signature the verifier does not support',
    'Non-static (global) BPF functions are verified on their own using their BTF prototype: they must return an integer, take at most 5 arguments of supported types (scalars, pointers to context or plain structs), and may not return pointers to their own stack. Callbacks must be static functions.',
    'Make the function return int/long, keep ≤ 5 scalar or pointer arguments, mark helpers static (or __always_inline) when they need richer types, and never return the address of a local.',
    {
      causes: ['function-return', 'callback-definition'],
      causeWhen: { 'callback-definition': /^callback function not static/ },
      example:
        'static __always_inline struct hdr *parse(void *data, void *end);  /* inlined: no BTF limits */\n__noinline int count(__u32 key);                                   /* global: int in, int out */',
      docsUrl: DOCS.functions,
    },
  ),
  entry(
    'subprog-layout',
    /^(?:too many subprograms|number of funcs in func_info doesn't match number of subprogs|func_info BTF section doesn't match subprog layout in BPF program|nonzero insn_off \d+ for the first func info record|invalid func info rec size \d+|nonzero tailing record in (?:func info|line_info|core_relo)|invalid type id \d+ in func info|invalid btf id for main subprog in func_info|BTF of func#\d+ doesn't point to KIND_FUNC|Invalid line_info\[\d+\]|Invalid insn code at line_info|missing bpf_line_info for|Invalid core_relo\[\d+\]|relo #\d+: bad type id \d+|target candidate search failed for -?\d+|verifier bug\. No program starts at insn \d+|missing btf func_info)/,
    'Debug info (func_info / line_info) does not match the program',
    'The BTF function and line information that libbpf passes with the program does not line up with the instructions — usually an object post-processed by a tool that did not update .BTF.ext, or a mismatch between loader and compiler versions.',
    'Rebuild with a current clang (-g -O2 -target bpf) and load with a current libbpf; do not edit instructions of a built object without fixing its BTF.ext.',
    {
      wholeProgram: true,
      example: 'clang -g -O2 -target bpf -c prog.bpf.c -o prog.bpf.o',
      docsUrl: DOCS.btf,
      // The verifier asks for func_info when the program takes a callback's address (bpf_loop, ...).
      refine: (_d, { message = '' }) =>
        /^missing btf func_info/.test(message)
          ? {
              title: 'A callback needs BTF func_info, and the program was loaded without it',
              why: "The program passes a function as a callback (to bpf_loop, bpf_for_each_map_elem, bpf_timer_set_callback, ...): the verifier checks a callback's signature and linkage from the program's BTF func_info, and this program was loaded without any — the object was built without -g, or the loader did not pass the object's .BTF.ext func_info with the program.",
              fix: "Build with BTF (`clang -g -O2 -target bpf`) and load through a loader that passes func_info (libbpf, cilium/ebpf, a current aya with the object's BTF); do not strip .BTF/.BTF.ext from the object.",
            }
          : undefined,
    },
  ),

  // ---- kfuncs -------------------------------------------------------------------------------
  entry(
    'kfunc-not-allowed',
    /^calling kernel function (?:\S+ is not allowed|is not supported without CONFIG_DEBUG_INFO_BTF)|^(?:JIT is required for calling kernel function|JIT does not support calling kernel function|calling kernel functions are not allowed in non-JITed programs)|^cannot find address for kernel function \S+|^address of kernel function \S+ is out of range|^kernel btf_id \d+ is not a function|^kernel function btf_id \d+ does not have a valid func_proto|^too many different (?:kernel function calls|module BTFs)|^destructive kfunc calls require CAP_SYS_BOOT capabilit(?:y|ies)|^JIT does not support calling kfunc|^kfunc offset > 0 without fd_array is invalid|^invalid module BTF fd specified|^BTF fd for kfunc is not a module BTF|^negative offset disallowed for kernel module function call|^loading\/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN/,
    'Kernel function (kfunc) not available here',
    'kfuncs are kernel functions exported to BPF per program type. This one is not registered for this program type (or needs privileges / the JIT / module BTF the loader did not supply).',
    "Use the kfunc from a program type that allows it (see the kfunc's documentation), declare it with __ksym, and make sure the kernel exports it.",
    {
      causes: ['program-type'],
      example:
        'extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;\nSEC("tp_btf/task_newtask")\nint BPF_PROG(h, struct task_struct *task, u64 flags) { ... }',
      docsUrl: DOCS.kfuncs,
      sinceKernel: '5.13',
    },
  ),
  entry(
    'kfunc-rcu-pointer',
    /^(?<register>R\d+) must be a rcu pointer/,
    'kfunc needs a trusted or RCU-protected pointer ({register})',
    "This kfunc accepts only pointers the verifier knows stay valid during the call: trusted ones (the program's own arguments, acquired references) or pointers read inside bpf_rcu_read_lock() from fields the kernel marks as RCU-protected. {register} was loaded from an ordinary field of a kernel structure, so nothing keeps the object alive.",
    'Pass the object the program received (or acquired), or read an RCU-protected field inside bpf_rcu_read_lock()/bpf_rcu_read_unlock() and check it for NULL before the call.',
    {
      example:
        'bpf_rcu_read_lock();\nstruct task_struct *parent = task->real_parent;   /* RCU-protected field */\nstruct task_struct *p = parent ? bpf_task_acquire(parent) : NULL;\nbpf_rcu_read_unlock();\nif (p)\n\tbpf_task_release(p);',
      causes: ['closed-section'],
      docsUrl: DOCS.kfuncs,
      sinceKernel: '6.2',
    },
  ),
  entry(
    'kfunc-arg-mismatch',
    /^kernel function \S+ args#\d+ (?:pointer type \S+ \S+ is not supported|expected pointer to \S+ \S+(?: but R\d+ has a pointer to \S+ \S+)?)|^kernel function \S+ returns pointer type \S+ \S+ is not supported|^acquire kernel function does not return PTR_TO_BTF_ID|^(?<register>R\d+) must (?:point to kernel BTF|be referenced or trusted)|^arg#\d+ (?:is|expected) (?:untrusted|trusted|rcu|pointer to)|^Helper has invalid btf(?:\/btf)?_id in R\d+|^arg#\d+ (?:expects pointer to ctx|is \S+(?: |$)|doesn't point to a (?:const string|map value))|^arg\d+ expected pointer to func|^kernel function \S+ unhandled dynamic return type|^kfunc \S+#\d+ failed callback verification|^(?<register2>R\d+) is not a pointer to arena or scalar|^BTF of func_id \d+ doesn't point to KIND_FUNC|^Invalid BTF of func \S+/,
    'kfunc argument of the wrong type',
    'kfunc parameters are typed by BTF: a `struct task_struct *` parameter needs a trusted pointer to exactly that structure (from the program arguments of tp_btf/fentry/lsm programs, or from an acquire kfunc), not a pointer read out of memory.',
    "Pass the pointer the kernel handed to your program (or one returned by an acquire kfunc) of exactly the parameter's type.",
    {
      example:
        'SEC("tp_btf/sched_switch")\nint BPF_PROG(h, bool preempt, struct task_struct *prev, struct task_struct *next)\n{\n\tstruct task_struct *t = bpf_task_acquire(next);  /* trusted argument */\n\tif (t) bpf_task_release(t);\n\treturn 0;\n}',
      docsUrl: DOCS.kfuncs,
    },
  ),

  // ---- Program type / attach / return values ----------------------------------------------
  entry(
    'attach-target',
    /^(?:attach_btf_id \d+ )?points to disabled hook\b|^(?:Tracing programs must provide btf_id|Target program bound device mismatch|\S+ programs cannot attach to exception callback|Extension program changes packet data, while original does not|Cannot nest tracing program attach more than once|Attach to function \S+ with a >8 byte return value is not supported|Attaching fexit\/fmod_ret to __noreturn functions is rejected\.|struct_ops module \S+ is not found|func '\S+' size \d+ must be 8|FENTRY\/FEXIT program can only be attached to another program annotated with BTF|attach_btf_id \d+ (?:is invalid|doesn't have a name|is not a typedef|points to wrong type name \S+|is not a function|is not a supported struct)|attach to (?:invalid member|unsupported member)|Subprog \S+ doesn't exist|Cannot replace (?:static|kernel) functions|Extension programs should be JITed|Can attach to only JITed progs|Cannot recursively attach|Cannot extend fentry\/fexit|Only FENTRY\/FEXIT progs are attachable to another BPF prog|The address of function \S+ cannot be found|can't modify return codes of BPF programs|\S+\(\) is not modifiable|ret type \S+ not allowed for fmod_ret|func '\S+' (?:offset -?\d+ is not multiple of 8|doesn't have \d+-th argument|arg\d+ '\S*' has type \S+\. Only pointer access is allowed|arg\d+ type \S+ is not a struct)|invalid btf_id for context argument offset \d+|Program extension requires BTF|\S+\(\) is not a global function|\S+\(\) has \d+ args while \S+\(\) has \d+ args|Return type \S+ of \S+\(\) doesn't match type \S+ of \S+\(\)|arg\d+ in \S+\(\) (?:is \S+ while \S+\(\) has \S+|has size \d+ while \S+\(\) has \d+|has unrecognized type|is not a pointer to context)|arg\d+ \S+\(struct \S+ \*\) doesn't match \S+\(struct \S+ \*\))/,
    'Attach target or its prototype does not fit the program',
    'fentry/fexit/fmod_ret/tp_btf/lsm/struct_ops/freplace programs are verified against the BTF prototype of the function they attach to. The target does not exist, cannot be attached to, or your program reads its arguments in a way that does not match the prototype.',
    'Check the SEC() target name against the kernel (bpftool btf dump file /sys/kernel/btf/vmlinux | grep), and declare the arguments with BPF_PROG() in the same order and types as the kernel function.',
    {
      causes: ['prototype-argument'],
      wholeProgram: true,
      example: 'SEC("fentry/do_unlinkat")\nint BPF_PROG(on_unlink, int dfd, struct filename *name) { ... }',
      docsUrl: DOCS.progTypes,
    },
  ),
  entry(
    'ld-abs-misuse',
    /^BPF_LD_\[ABS\|IND\] (?:instructions not allowed for this program type|uses reserved fields)|^cannot use BPF_LD_\[ABS\|IND\] within callback|^at the time of BPF_LD_ABS\|IND R6 != pointer to skb/,
    'Legacy packet load (LD_ABS/LD_IND) not allowed',
    'The classic-BPF style packet loads (load_byte/load_half/load_word builtins) only work in socket filters and a few skb programs, with R6 holding the skb.',
    'Use direct packet access with a data_end check or bpf_skb_load_bytes().',
    { causes: ['program-type'], example: '__u8 proto;\nbpf_skb_load_bytes(skb, 23, &proto, 1);' },
  ),
  entry(
    'lsm-cgroup-return',
    /^(?:Note, )?BPF_LSM_CGROUP that attach to void LSM hooks can't modify return value!/,
    'LSM cgroup program on a void hook cannot return a verdict',
    'The LSM hook this program attaches to returns void, so a BPF_LSM_CGROUP program there cannot change its outcome.',
    'Attach to a hook that returns int, or return the neutral value.',
    { example: 'SEC("lsm_cgroup/socket_bind")\nint BPF_PROG(b, struct socket *sock) { return 1; }' },
  ),

  // ---- Malformed bytecode, verifier internals ---------------------------------------------
  entry(
    'map-fd-invalid',
    /^fd -?\d+ is not pointing to valid bpf_map|^fd -?\d+ is not pointing to valid bpf_map or btf/,
    'The program refers to a map file descriptor that is not a map',
    'A map reference in the instructions (a 64-bit load of a map fd) names a file descriptor that is not an open BPF map: the loader did not create the map, or hand-written instructions carry a stale fd.',
    'Load the object with a loader that creates the maps and patches their fds (libbpf, bpftool, cilium/ebpf, aya); with hand-written instructions, create the map first and put its fd into the instruction.',
    {
      example:
        'struct {\n\t__uint(type, BPF_MAP_TYPE_ARRAY);\n\t__uint(max_entries, 1);\n\t__type(key, __u32);\n\t__type(value, __u64);\n} counts SEC(".maps");',
      docsUrl: DOCS.maps,
    },
  ),
  entry(
    'malformed-insn',
    /uses reserved fields$|^invalid BPF_(?:ALU|JMP\/JMP32|LD) (?:opcode|mode)|^unknown (?:opcode [0-9a-f]+|insn class \d+)|^invalid (?:shift -?\d+|atomic operand size|BPF_LD_IMM insn|bpf_ld_imm64 insn|insn idx \d+ insn_cnt \d+)|^unrecognized bpf_ld_imm64 insn|^BPF_ATOMIC uses invalid atomic opcode|^invalid may_goto off -?\d+ imm -?\d+|^div by zero$|^same insn cannot be used with different pointers|^fd_idx without fd_array is invalid|^fd -?\d+ is not pointing to valid bpf_map|^direct value offset of \d+ is not allowed|^ldimm64 (?:insn specifies invalid btf_id|failed to find the address for kernel symbol|unable to resolve the size of type)|^pseudo btf_id \d+ in ldimm64 isn't KIND_VAR|^invalid module BTF object FD specified|^kernel is missing BTF, make sure CONFIG_DEBUG_INFO_BTF=y|^unable to resolve the size of type '.*': -?\d+|^JIT doesn't support bpf-to-bpf calls|^callbacks are not allowed in non-JITed programs/,
    'Instruction the kernel does not accept',
    'The bytecode contains an instruction this kernel does not support or that is malformed (reserved bits set, unknown opcode, an ldimm64 referring to a map or symbol that does not exist). It is typically produced by a compiler newer than the kernel (e.g. -mcpu=v4 instructions on an old kernel), hand-written assembly, or a loader problem.',
    'Build with -mcpu=v3 (or the default) for older kernels, fix inline assembly, and load with libbpf so map and BTF references are relocated.',
    { example: 'clang -g -O2 -target bpf -mcpu=v3 -c prog.bpf.c' },
  ),
  entry(
    'verifier-internal',
    /^verifier (?:bug|BUG|internal error)|\bCRAB ERROR\b|\bload program: bad address\b|^verifier \w+ bug\b|^REG INVARIANTS VIOLATION|^BUG: |^bug: |^(?:Verifier bug|bpf verifier is misconfigured|bpf verifier narrow ctx (?:access|load) misconfigured|insn state internal bug|visit_insn internal bug|pop stack internal bug|invalid kernel function call not eliminated in verifier pass|adding tail call poke descriptor failed|tracking tail call prog failed|(?<register>R\d+) has non-overwritten BPF_PTR_POISON type|func \S+ has non-overwritten BPF_PTR_POISON return type)|^Verifier bug in function|^verifier bug\. (?:Frame|Two map pointers|zext_dst)/,
    'Verifier internal error',
    'The verifier hit a state it considers impossible. This is a kernel bug, not a bug in your program — although an unusual construct in your program triggered it.',
    'Try a newer kernel; meanwhile rewrite the construct near the reported line (split the expression, add a barrier_var()) and report it to bpf@vger.kernel.org with the log.',
    {
      refine: (_d, { message = '' }) =>
        /\bbad address\b/.test(message)
          ? {
              title: 'The kernel answered EFAULT (bad address)',
              why: 'The load failed with EFAULT, "bad address". With a verifier log that ends in precision-tracking lines (`regs=... stack=... before N: ...`), that is the verifier giving up on a state it considers impossible (a backtracking bug, fixed in later kernels); without a log it means the loader passed the kernel memory it could not read (a log buffer, a BTF or line-info blob).',
              fix: 'Load with the full log (log level 2) to see where it stops; try a newer kernel, or rewrite the construct at that instruction (split the expression, add a barrier_var()). A loader passing bad buffers needs a loader upgrade.',
            }
          : undefined,
      example: 'barrier_var(idx);   /* keeps the compiler from reshaping this */',
    },
  ),
  entry(
    'libbpf-legacy-maps',
    /legacy map definitions in (?:'maps' section|SEC\("maps"\)) are not supported|^map '[^']+' \(legacy\): (?=.*(?:deprecated|not supported))|BPF_ANNOTATE_KV_PAIR is deprecated|legacy map definition size|^corrupted maps section|^map:\S+ (?:container_name:\S+ is an invalid|invalid BTF)/,
    'Old-style map definition (struct bpf_map_def in SEC("maps"))',
    'libbpf 1.0 dropped the legacy map syntax: a `struct bpf_map_def` placed in the "maps" section is no longer read. Maps are declared with BTF, as an anonymous struct in the ".maps" section.',
    'Rewrite each map as a BTF-defined map in SEC(".maps") with __uint(type, ...), __uint(max_entries, ...), __type(key, ...), __type(value, ...).',
    {
      origin: 'libbpf',
      example:
        'struct {\n\t__uint(type, BPF_MAP_TYPE_ARRAY);\n\t__uint(max_entries, 1);\n\t__type(key, __u32);\n\t__type(value, __u64);\n} pkt_count SEC(".maps");',
      docsUrl: DOCS.maps,
    },
  ),
  entry(
    'log-too-small',
    /verification log buffer not big enough|bpf_load_program\(\) err=28\b|\bload program: no space left on device\b|^No space left on device$|[Ll]og buffer (?:is )?too small|^Error: Failed to load program, verification log/,
    'The verifier log did not fit the buffer the loader gave it',
    'The kernel returned ENOSPC: the verifier log is larger than the buffer the loader passed, so the log that would name the error was cut (or dropped).',
    'Give the loader a bigger log buffer (bpftrace: BPFTRACE_LOG_SIZE; libbpf: kernel_log_size in bpf_object_open_opts; cilium/ebpf: LogSizeStart) or load with a lower log level, then read the error at the end of the log.',
    {
      origin: 'libbpf',
      example: 'LIBBPF_OPTS(bpf_object_open_opts, opts, .kernel_log_size = 16 << 20);\nobj = my_prog_bpf__open_opts(&opts);',
      // iproute2 grows its buffer and gives up at a size it names: a log that large is itself the clue.
      refine: (_d, { message = '' }) => {
        const grown = /\b(\d{4,}) bytes \((\d+) tries\)/.exec(message);
        return grown
          ? {
              title: `The verifier log did not fit even ${grown[1]} bytes`,
              why: `The loader grew its log buffer ${grown[2]} times, up to ${grown[1]} bytes, and the kernel still returned ENOSPC, so the error at the end of the log was never shown. A log that long means the verifier walked a very large number of paths: the program is at or near the complexity limit, and the error is most likely that limit or one reached after a long walk.`,
            }
          : undefined;
      },
      docsUrl: DOCS.libbpf,
    },
  ),
  entry(
    'btf-invalid',
    /^\[\d+\] (?:[A-Z_0-9]+ .*(?:Invalid|invalid|Unsupported|unsupported|not |[Ee]xpected|Loop|mismatch|too |Unaligned|exceeds| (?:==|!=) \S+$)|meta_left:|Invalid (?:btf_info|kind|name_offset))|^\S+\s+Invalid (?:member|name|type_id|size|offset|kind)\b|^\t?Invalid name_offset:\d+|^(?:Exceeded max num of types|Max chain length or cycle detected|Unaligned type_off|String section is not at the end|Invalid string section|Invalid section offset|hdr_len not found|btf_header not found|Unsupported btf_header|Invalid magic|No type found|Unsupported section found|Section overlap found|Total section length too long|Unsupported version|Unsupported flags|No data|Type tags don't precede modifiers)$|^Error loading ELF section \S+: |^BTF (?:type \[-?\d+\] is malformed|types data is malformed|loading error)|^Error loading (?:\.BTF into kernel|BTF)\b|^BTF debug data section '[^']*' rejected\b|^btf: type \[|^BTF\.ext in non-native|^-- BEGIN BTF LOAD LOG|^anonymous struct\/union loop|^unexpected (?:bitfield size|elem size|error skipping|size -?\d+ for enum|sz |type in decl chain|kind when adding base type|reference to base type)|distilled based? BTF/,
    "The object's BTF is malformed for this kernel",
    'The kernel validates the BTF type information in the object before verifying programs, and this type (or the BTF header) uses something the kernel does not accept — usually BTF kinds or flags newer than the kernel (type tags, enum64, decl tags) that libbpf could not sanitize.',
    'Load through a recent libbpf (it rewrites new BTF kinds for old kernels), or build with an older clang / without the newer attributes.',
    {
      wholeProgram: true,
      example: 'bpftool btf dump file prog.bpf.o   # inspect the type the kernel names',
      docsUrl: DOCS.btf,
      refine: (_d, { message = '' }) => {
        const section = /^Error loading ELF section (\.BTF(?:\.ext)?): (-?\d+)/.exec(message);
        return section
          ? {
              title: `libbpf could not read the object's ${section[1]} section`,
              why: `libbpf failed to parse the ${section[1]} section of the object file (${section[2]}) before anything reached the kernel: the object was built by a compiler newer than this libbpf understands (new BTF kinds or a newer .BTF.ext layout), or the section is damaged.`,
              fix: `Update the libbpf the loader is built with, or build the object with a compiler matching it; \`bpftool btf dump file prog.bpf.o\` shows whether ${section[1]} parses at all.`,
            }
          : /^(?:Error loading (?:\.BTF into kernel|BTF)|BTF loading error)/.test(message)
            ? {
                title: 'The kernel refused the BTF of the object',
                why: `libbpf uploads the object's BTF to the kernel before creating maps and loading programs, and the kernel rejected it (the BTF load log above, when printed, names the type).${libbpfEvidence(message, '', '').why} The BTF uses kinds or flags newer than this kernel that this libbpf did not rewrite, or is damaged. libbpf goes on without BTF when nothing requires it; maps with BTF-defined special fields, CO-RE, and BTF-typed programs then fail.`,
              }
            : btfTypeComplaint(message);
      },
    },
  ),
];

/**
 * The kernel's BTF checker names the type it refuses as it dumps it, `[12] DATASEC license size=0
 * vlen=1 size == 0`: the type's id, kind and name, then the complaint.
 */
function btfTypeComplaint(message: string): { title: string; why: string; fix?: string } | undefined {
  const t = /^\[(\d+)\] ([A-Z_0-9]+) (\S+)(?: .*?)? ((?:\S+ (?:==|!=) \S+)|[A-Z][^=]*)$/.exec(message);
  if (!t) return undefined;
  const [, id, kind, name, complaint] = t;
  const named = name === '(anon)' ? `an anonymous ${kind}` : `the ${kind} \`${name}\``;
  if (kind === 'DATASEC' && /^size == 0$/.test(complaint))
    return {
      title: `BTF type [${id}]: ${named} has size 0`,
      why: `The compiler writes every DATASEC (the BTF of an ELF section such as \`${name}\`) with size 0 and leaves it to the loader to fill in the section's real size and its variables' offsets before the BTF goes to the kernel. This loader did not (an iproute2 or other loader without libbpf's BTF fix-ups), so the kernel refuses type [${id}] (${complaint}).`,
      fix: 'Load with a libbpf-based loader (bpftool, libbpf, a recent iproute2 built with libbpf), which fills in DATASEC sizes; the program itself loads without BTF either way, but maps that need BTF and CO-RE do not work.',
    };
  return {
    title: `BTF type [${id}] (${named}) is refused: ${complaint}`,
    why: `The kernel checks each BTF type of the object as it reads it and stopped at type [${id}], ${named}: \`${complaint}\`. The object's BTF describes that type in a way this kernel does not accept — a kind or flag newer than the kernel that the loader did not rewrite, or a size or member the loader should have fixed up.`,
  };
}

// ---- libbpf: messages printed by the loader around the verifier ---------------------------
function lib(id: string, pattern: RegExp, title: string, why: string, fix: string, opts: Opts = {}): CatalogEntry {
  const own = opts.refine;
  return entry(id, pattern, title, why, fix, {
    origin: 'libbpf',
    docsUrl: DOCS.libbpf,
    ...opts,
    // Every libbpf warning: its own words, then the evidence of this case (errno, file, section).
    refine: (d, context) => {
      const r = own?.(d, context) ?? {};
      const extra = libbpfEvidence(context.message ?? '', r.why ?? why, r.title ?? title, r.fix ?? fix);
      if (!extra.why && !extra.fix) return own ? r : undefined;
      return { ...r, why: `${r.why ?? why}${extra.why}`, fix: `${r.fix ?? fix}${extra.fix}` };
    },
  });
}

/** The errno, file and section a libbpf warning names, as sentences the words so far lack. */
function libbpfEvidence(message: string, why: string, title: string, fixSoFar = ''): { why: string; fix: string } {
  const said = `${title} ${why}`;
  let out = '';
  let fix = '';
  const e = errnoOf(message);
  if (e && !said.includes(e.name)) out += ` The error is ${errnoWords(e)}.`;
  if (e?.name === 'EPERM' && !/CAP_BPF|root/.test(`${said} ${fixSoFar}`))
    fix =
      ' For EPERM: run as root or with CAP_BPF (+ CAP_PERFMON, CAP_NET_ADMIN), check kernel lockdown and kernel.unprivileged_bpf_disabled, and on kernels before 5.11 raise RLIMIT_MEMLOCK (`ulimit -l unlimited`).';
  const n = quotedNames(message);
  if (n.file && !said.includes(n.file)) out += ` The file is \`${n.file}\`.`;
  if (n.section && !said.includes(n.section) && n.section !== n.file) out += ` The section is \`${n.section}\`.`;
  return { why: out, fix };
}

catalog.push(
  lib(
    'libbpf-permission',
    /permission error while running as root|^(?!.*Couldn't load trivial).*RLIMIT_MEMLOCK|ulimit -l|\bnot permitted\b.*\b(?:capabilit|CAP_)/,
    'Not allowed to use BPF here',
    'The kernel refused the bpf() call for lack of privilege, before looking at the program. BPF needs root or CAP_BPF (with CAP_PERFMON for tracing and CAP_NET_ADMIN for networking programs, kernel 5.8+; CAP_SYS_ADMIN before); kernel lockdown and kernel.unprivileged_bpf_disabled refuse it too. On kernels before 5.11 maps and programs are charged to the locked-memory limit, so a low RLIMIT_MEMLOCK fails with EPERM even for root.',
    'Run as root (in a container: --privileged, or --cap-add BPF,PERFMON,NET_ADMIN), and on kernels before 5.11 raise the memlock limit: `ulimit -l unlimited`, or setrlimit(RLIMIT_MEMLOCK, RLIM_INFINITY) in the loader (libbpf 1.0+ does it itself when the kernel needs it).',
    {
      example: 'struct rlimit r = { RLIM_INFINITY, RLIM_INFINITY };\nsetrlimit(RLIMIT_MEMLOCK, &r);   /* only needed before 5.11 */',
      refine: (_d, { message = '' }) =>
        /RLIMIT_MEMLOCK|ulimit -l/.test(message)
          ? {
              title: /bump/i.test(message)
                ? 'libbpf could not raise the locked-memory limit'
                : 'EPERM as root: the locked-memory limit is too low',
              why: `libbpf ${/bump/i.test(message) ? 'tried to raise RLIMIT_MEMLOCK itself (it does on kernels that still charge BPF memory to it, before 5.11) and was not allowed' : 'got EPERM although the process runs as root'}: on kernels before 5.11 the memory of maps and programs counts against RLIMIT_MEMLOCK, which is often only 64 KiB, and a load beyond it fails with EPERM.`,
            }
          : undefined,
    },
  ),
  lib(
    'libbpf-kernel-feature',
    /[Kk]ernel doesn't support (?!BTF\b)|not supported (?:on|by) (?:the )?current kernel|^Detection of kernel \S+ support failed|unexpectedly succeeded|^Netlink error reporting not supported|libbpf doesn't support \S+ on current architecture|kernel too old|\bnot supported by kernel\b|^missing kernel support/,
    'This kernel lacks a feature the object needs',
    'libbpf probes the running kernel for the features the object uses (global data, BTF kinds, link types, helpers, USDT semaphores) and this one is missing: the kernel is older than the feature or built without it. libbpf works around some gaps itself (it sanitizes BTF, falls back to older attach methods); this one it cannot.',
    'Run on a kernel that has the feature (the message names it), or avoid it in the program: e.g. global variables need 5.2+, BPF links 5.7+, ring buffers 5.8+, kfuncs and fentry need BTF. `bpftool feature probe` lists what this kernel supports.',
    {
      example: 'bpftool feature probe kernel | grep -i <feature>\nuname -r',
      refine: (_d, { message = '' }) =>
        /^Detection of kernel (.+?) support failed/.test(message)
          ? {
              title: `libbpf could not tell whether this kernel supports ${/^Detection of kernel (.+?) support failed/.exec(message)![1]}`,
              why: 'libbpf probes each kernel feature it may use by trying it (loading a tiny program or creating a small map); this probe failed with an unexpected error rather than a clean yes or no, so libbpf assumes the feature is missing. The same error usually makes the real load fail too.',
              fix: 'Look at the error the probe got: EPERM means the process lacks privilege for any BPF (root, CAP_BPF; RLIMIT_MEMLOCK before 5.11); other errors point at a seccomp filter or a kernel without BPF.',
            }
          : /global data/.test(message)
            ? {
                title: 'This kernel has no global data (kernel before 5.2)',
                why: 'The program uses global or static variables (.data, .rodata, .bss), which libbpf turns into array maps the program reads directly; that needs BPF_PSEUDO_MAP_VALUE, added in kernel 5.2. This kernel is older.',
                fix: 'Run on kernel 5.2 or newer, or keep the values in an explicit array map (a one-entry BPF_MAP_TYPE_ARRAY) looked up with bpf_map_lookup_elem().',
              }
            : /USDT semaphore/.test(message)
              ? {
                  title: 'This kernel cannot count USDT semaphores',
                  why: 'The USDT probe has a semaphore (the traced program checks it before firing the probe). Kernel-side semaphore refcounting for uprobes came in 4.20; this kernel lacks it, so libbpf cannot enable the probe.',
                  fix: 'Run on kernel 4.20 or newer, or attach to a probe without a semaphore.',
                }
              : undefined,
    },
  ),
  lib(
    'libbpf-pin',
    /\bfailed to (?:auto-)?pin\b|\b(?:already pinned|can't be pinned)\b|\bpinned map at '[^']*': |\bnot on BPF FS\b|\bpath to (?:un)?pin\b|\bfailed to (?:unpin|statfs|mkdir)\b|\binvalid pin(?:ning)? |\bpin_path\b|\bpin(?:ning)? (?:path|type)\b|^failed to open link at |\b(?:load|use|replace) pinned (?:map|program)\b|\bpinned map \w+ is incompatible\b/,
    'Pinning in the BPF filesystem failed',
    'libbpf pins maps, programs and links as files in the BPF filesystem (bpffs, normally mounted at /sys/fs/bpf) so they outlive the loader. The pin failed: no bpffs is mounted at that path (the path must be inside a bpffs mount), a pin with that name already exists — an earlier run left it, possibly with another definition — or the process may not write there.',
    "Mount bpffs (`mount -t bpf bpf /sys/fs/bpf`; in a container, bind-mount the host's /sys/fs/bpf), remove a stale pin with `rm /sys/fs/bpf/<name>` (check it with `bpftool map show pinned <path>`), and pin under a directory you own. A map with __uint(pinning, LIBBPF_PIN_BY_NAME) is reused only when its definition matches the pinned one.",
    {
      example:
        'mount | grep -q " /sys/fs/bpf " || mount -t bpf bpf /sys/fs/bpf\nbpftool map show pinned /sys/fs/bpf/events && rm /sys/fs/bpf/events',
      refine: (_d, { message = '' }) => {
        const map = /\bmap '([^']+)'/.exec(message)?.[1];
        if (/reuse pinned map|parameter mismatch/.test(message))
          return {
            title: `A map pinned earlier does not match${map ? ` \`${map}\`` : ' this definition'}`,
            why: `The map is declared with pinning (LIBBPF_PIN_BY_NAME), so libbpf first opens the pin at its path and reuses it — and the pinned map's type, key size, value size, max_entries or flags differ from this object's definition (an earlier version of the program pinned it). libbpf refuses to reuse it rather than silently use the old layout.`,
            fix: 'Remove the stale pin (`rm /sys/fs/bpf/<map name>`, or the pin_root_path you set) and load again, or change the definition back to match the pinned map.',
          };
        if (/not on BPF FS|statfs/.test(message))
          return {
            title: 'The pin path is not inside a BPF filesystem',
            why: 'Pins can only be created inside a bpffs mount; the directory given is on another filesystem — usually because bpffs is not mounted at /sys/fs/bpf (minimal systems, containers without the host mount).',
            fix: "Mount it (`mount -t bpf bpf /sys/fs/bpf`, or bind-mount the host's /sys/fs/bpf into the container) or pin under an existing bpffs mount.",
          };
        const e = errnoOf(message);
        const path = /\bat '([^']+)'/.exec(message)?.[1];
        if (e?.name === 'EEXIST')
          return {
            title: `Something is already pinned at ${path ?? 'the pin path'}`,
            why: `A pin already exists at ${path ? `\`${path}\`` : 'that path'} (EEXIST) — usually left by an earlier run of this loader (pins outlive the process), possibly a map with another definition.`,
            fix: `Remove it (\`rm ${path ?? '/sys/fs/bpf/<name>'}\`) or reuse it deliberately (LIBBPF_PIN_BY_NAME reuses a matching pinned map), and unpin on exit if the pin is not meant to stay.`,
          };
        // Opening an existing pin (cilium/ebpf `load pinned map: open /sys/fs/bpf/x: permission denied`).
        const opened = /\b(?:load|use) pinned (map|program)\b.*?(\/sys\/fs\/bpf\/\S+?):? /.exec(message);
        if (opened && (e?.name === 'EPERM' || e?.name === 'EACCES'))
          return {
            title: `Cannot open the pinned ${opened[1]} ${opened[2]} (${e.name})`,
            why: `The loader reuses the ${opened[1]} pinned at \`${opened[2]}\` and the kernel refused to open it (${e.name}): the pin's owner and mode (set by whoever pinned it, usually root, 0600) deny this user, or the process lacks the capability to use BPF objects (CAP_BPF, or CAP_SYS_ADMIN before 5.8).`,
            fix: `Run the loader as the user (or with the capabilities) that pinned it, or let that user read and write the pin (\`chown\`/\`chmod\` on ${opened[2]}, or pin into a directory with a group the loader shares).`,
          };
        if (e?.name === 'ENOENT' || e?.name === 'EPERM' || e?.name === 'EACCES')
          return {
            title: `Cannot pin at ${path ?? 'the pin path'} (${e.name})`,
            why: `${e.name === 'ENOENT' ? 'The directory of the pin path does not exist, or is not inside a mounted BPF filesystem' : 'The process may not create files there: pinning needs write access to the bpffs directory (root or its owner)'}${path ? ` (\`${path}\`)` : ''}.`,
            fix: 'Mount bpffs at /sys/fs/bpf (`mount -t bpf bpf /sys/fs/bpf`), create the subdirectory first, and run the loader with the rights to write there.',
          };
        if (/already pinned/.test(message))
          return {
            title: `${map ? `Map \`${map}\`` : 'The object'} is already pinned`,
            why: 'The map already has a pin path set in this object (from pinning in its definition or an earlier bpf_map__pin()), so pinning it again is refused.',
            fix: 'Pin it once: either declare __uint(pinning, LIBBPF_PIN_BY_NAME) or call bpf_map__pin() yourself, not both; bpf_map__unpin() first to move it.',
          };
        return undefined;
      },
    },
  ),
  lib(
    'libbpf-core-relo',
    /<invalid CO-RE relocation>|failed to resolve CO-RE relocation|^relo #\d+: no matching targets found|apply CO-RE relocations: |^relo #-?\d+: (?=.*(?:fail|invalid|can't|unrecognized|substituting|doesn't support|bad |error|unexpected|ambigu|too big))|^relo -?\d+ at insn #-?\d+ can't be|^relo for \[\d+\] .* captures type|^failed to (?:read kernel BTF from|iterate BTF objects|load module \[|get BTF object #)|CO-RE relocation|^failed to perform CO-RE relocations|^failed to parse target BTF|^(?:\d+: )?.*\bunknown#195896080\b|^vmlinux BTF is not found|^failed to find valid kernel BTF|^Kernel doesn't support BTF|^Error loading vmlinux BTF: -?\d+/,
    'CO-RE relocation failed: field or type not in this kernel',
    "libbpf rewrites each field access of a CO-RE-relocatable type to the offset it has in the running kernel's BTF. The field or type named in the message does not exist in this kernel (renamed, removed, or behind a config option), so libbpf poisoned the instruction and the verifier refused it; libbpf 1.1 prints it as `<invalid CO-RE relocation>`.",
    'Guard the access with bpf_core_field_exists() / bpf_core_type_exists() and provide a fallback, or use a ___flavor struct matching the older layout.',
    {
      refine: (_d, { message = '' }) => {
        // The poison loaders write over an instruction they could not relocate: not a real helper.
        if (/\bunknown#195896080\b/.test(message))
          return {
            title: 'An instruction the loader poisoned after a failed CO-RE relocation',
            why: "`unknown#195896080` (0xbad2310) is no helper: libbpf (and cilium/ebpf, which calls it `bad CO-RE relocation`) writes this call over an instruction whose CO-RE relocation failed, a field or type access that the running kernel's BTF does not have (renamed, removed, or behind a config option), so that the verifier refuses the program if that instruction is reachable. The loader's relocation lines (`relo #N: ... [id] struct <type>.<field>`, `failed to resolve CO-RE relocation`) name the type and field; with cilium/ebpf, the full verifier log or `ebpf.LogLevelInstruction` shows them.",
            fix: 'Find the field the relocation names and guard its access with bpf_core_field_exists() (or bpf_core_type_exists()), with a fallback for kernels without it, or read it through a ___flavor struct with the older layout; an access in code that is dead on this kernel (a `const volatile` switch) is not refused.',
          };
        // cilium/ebpf says it with the kernel's release: `load kernel spec: no BTF found for kernel version 3.10.0-957.el7`.
        const release = /no BTF found for kernel version (\S+?):?(?:\s|$)/.exec(message)?.[1];
        if (
          release ||
          /^(?:vmlinux BTF is not found|failed to find valid kernel BTF|Kernel doesn't support BTF|Error loading vmlinux BTF)/.test(message)
        )
          return {
            title: release ? `Kernel ${release} has no BTF: CO-RE cannot relocate` : 'This kernel has no BTF: CO-RE cannot relocate',
            why: `${release ? `The loader found no BTF for the running kernel, ${release}` : 'libbpf found no BTF for the running kernel'} (/sys/kernel/btf/vmlinux is missing: a kernel built without CONFIG_DEBUG_INFO_BTF, common on older distributions and Android). CO-RE relocations, BTF-typed programs (tp_btf, fentry, struct_ops) and kfuncs need it, so the object cannot be loaded as it is.`,
            fix: "Run on a kernel with CONFIG_DEBUG_INFO_BTF=y, or give libbpf the kernel's BTF from a file (btf_custom_path in bpf_object_open_opts; BTFHub has BTF for many distribution kernels, and `bpftool gen min_core_btf` makes a small one for your object).",
          };
        const custom = /^failed to read kernel BTF from '([^']+)'/.exec(message)?.[1];
        if (custom)
          return {
            title: `libbpf could not read the kernel BTF file ${custom}`,
            why: `The loader told libbpf to take the kernel's BTF from \`${custom}\` (btf_custom_path, or LIBBPF_BTF_PATH-style options of the tool) instead of /sys/kernel/btf/vmlinux, and that file could not be read as BTF: a wrong path, or not a BTF/ELF file with a .BTF section.`,
            fix: 'Point btf_custom_path at the BTF of the running kernel (BTFHub files are compressed: unpack them), or leave it unset when the kernel has /sys/kernel/btf/vmlinux.',
          };
        if (/^failed to (?:iterate BTF objects|load module \[|get BTF object #)/.test(message))
          return {
            title: "libbpf could not read the kernel's module BTF",
            why: "To resolve CO-RE relocations and kfuncs against kernel modules, libbpf walks the kernel's BTF objects (vmlinux and one per module) with bpf() calls, and one of them failed — usually for lack of privilege (the walk needs CAP_SYS_ADMIN on many kernels) or a kernel too old for BTF object iteration (before 5.11).",
            fix: 'Run the loader as root (or with CAP_SYS_ADMIN); on kernels before 5.11 the object cannot use module BTF, so keep its CO-RE accesses to vmlinux types.',
          };
        const m = /parsing \[\d+\] (?:struct |union )?(\w+) \+ ([\d:]+) failed/.exec(message);
        return m
          ? {
              title: `CO-RE access into ${m[1]} is not valid for its own type`,
              why: `libbpf could not even follow the access path ${m[2]} (member and array indexes) through ${m[1]} as this object's BTF declares it, before looking at the kernel: the code reads past the declared end of an array member (an index larger than its length), or through a cast to an unrelated type. The kernel is not the problem here.`,
              fix: `Check the index against the member's declared length (e.g. ctx->args[] has 6 entries: indexes 0..5) and read only fields that ${m[1]} declares.`,
            }
          : undefined;
      },
      causes: ['core-field'],
      example:
        'struct task_struct___old { long state; } __attribute__((preserve_access_index));\nif (bpf_core_field_exists(t->__state))\n\ts = BPF_CORE_READ(t, __state);\nelse\n\ts = BPF_CORE_READ((struct task_struct___old *)t, state);',
      docsUrl: DOCS.core,
    },
  ),
  lib(
    'libbpf-extern',
    /^(?:failed to find BTF for extern '\S+'|extern (?:\((?:kcfg|ksym|var ksym|func ksym)\) )?'\S+': |extern '\S+' \(strong\): not resolved|extern function \S+ is unsupported under \S+ section|failed to resolve size of extern|failed to determine alignment of extern|unrecognized extern section|failed to find extern definition|extern relo failed to find extern|prog '\S+': extern relo failed|kfunc '\S+' is referenced but wasn't resolved)|^extern\b|^externs without BTF|\b(?:in-memory|system) Kconfig\b|^failed to parse '[^']*'(?: as integer|: no separator)|dummy_ksym/,
    'extern symbol cannot be resolved',
    "An `extern` in the BPF object — a kernel symbol (__ksym), a kfunc, or a Kconfig value (__kconfig) — is not present in this kernel's BTF/config, or lacks the BTF type information libbpf needs to resolve it.",
    'Check the symbol exists on the target kernel, mark optional ones __weak and test them (bpf_ksym_exists()), and compile with -g so externs have BTF.',
    {
      example:
        'extern int LINUX_KERNEL_VERSION __kconfig;\nextern void bpf_rcu_read_lock(void) __ksym __weak;\nif (bpf_ksym_exists(bpf_rcu_read_lock))\n\tbpf_rcu_read_lock();',
    },
  ),
  lib(
    'libbpf-map-definition',
    /^map '[^']+'(?::| BTF | \(global data\))(?!.*(?:without FD|auto-pin))|\bmap create: |^\.maps relo #-?\d+: |^Error setting initial map\(|^failed to alloc map '|^DATASEC '?\S+?'? not found|^no BTF info found for '[^']*' datasec|\bARENA map\b|\barena data relocation\b|^(?:prog '\S+': )?map relo failed to find map|^(?:prog '\S+': )?data relo failed to find map|^(?:prog '\S+': )?invalid relo against '\S+' in special section|^(?:prog '\S+': )?invalid relo (?:against|for '[^']*' in special section)|^failed to create map|^sec '\S+': (?!failed to find program symbol)(?=.*(?:fail|not found|corrupted|invalid))|^invalid (?:license|kver) section|^BTF is required, but is missing or corrupted\.|^failed to parse \.BTF(?:\.ext)? from |^failed to find '\S+' ELF section/,
    'Map or global variable definition problem',
    'libbpf could not create or wire a map (or a global variable\'s section) the program refers to: a wrong attribute in the SEC(".maps") definition, a map type/size the kernel refuses, an uninitialised global referenced from a special section, or missing BTF.',
    'Define maps with the BTF-style __uint/__type macros and sensible sizes, initialise globals, and compile with -g.',
    {
      example:
        'struct {\n\t__uint(type, BPF_MAP_TYPE_HASH);\n\t__uint(max_entries, 1024);\n\t__type(key, __u32);\n\t__type(value, __u64);\n} counts SEC(".maps");',
      docsUrl: DOCS.maps,
      refine: (_d, { message = '' }) => {
        // cilium/ebpf: `map events: map create: cannot allocate memory (MEMLOCK may be too low, ...)`.
        const create =
          /^map '([^']+)': failed to create(?: inner map)?: /.exec(message) ?? /(?:\bmap |\bfield |^)(\w*):? ?map create: /.exec(message);
        const e = create ? errnoOf(message) : undefined;
        if (!create || !e) return undefined;
        const map = create[1] || 'the map';
        if (/\bMEMLOCK may be too low\b/.test(message))
          return {
            title: `No memory for ${create[1] ? `map \`${map}\`` : 'the map'} (${e.name}): the locked-memory limit`,
            why: `Creating ${create[1] ? `map \`${map}\`` : 'the map'} failed with ${e.name}, and cilium/ebpf adds that MEMLOCK may be too low: kernels before 5.11 charge every map against the process's RLIMIT_MEMLOCK (often 64 KiB), so a map larger than what is left is refused; on 5.11+ maps are charged to the memory cgroup instead, and a container's memory limit refuses it the same way.`,
            fix: 'Call rlimit.RemoveMemlock() (github.com/cilium/ebpf/rlimit) before loading, or raise the limit (`ulimit -l unlimited`, LimitMEMLOCK=infinity in a systemd unit); in a container on 5.11+ raise its memory limit or shrink max_entries.',
          };
        const why: Record<string, string> = {
          EINVAL: `The kernel refused to create map \`${map}\` (EINVAL): its definition has an attribute this kernel does not accept for that map type — a map type newer than the kernel, a key or value size the type does not allow (an array needs a 4-byte key; a perf event array 4-byte values; a ring buffer no key or value and a power-of-two, page-multiple max_entries), max_entries 0, or flags the type does not take.`,
          E2BIG: `The kernel refused to create map \`${map}\` (E2BIG): a size is over its limit — a value larger than the type allows (e.g. more than 127 frames in a stack trace map), or a map attribute this older kernel does not know.`,
          ENOMEM: `The kernel could not allocate map \`${map}\` (ENOMEM): max_entries × value size is too much memory, or it exceeds RLIMIT_MEMLOCK (kernels before 5.11) or the memory cgroup's limit (5.11+, a container's memory limit).`,
          EPERM: `The kernel refused to create map \`${map}\` (EPERM): not privileged for this map type, or — on kernels before 5.11 — the locked-memory limit (RLIMIT_MEMLOCK) is too low for it.`,
          EOPNOTSUPP: `This kernel cannot create map \`${map}\` (EOPNOTSUPP): its map type or a flag is not supported here (newer kernel, other architecture or configuration).`,
          ENOTSUPP: `This kernel cannot create map \`${map}\` (ENOTSUPP): its map type or a flag is not supported here.`,
        };
        return why[e.name]
          ? {
              title: `The kernel refused to create map \`${map}\` (${e.name})`,
              why: why[e.name],
              fix:
                e.name === 'EPERM'
                  ? 'Run as root or with CAP_BPF, and on kernels before 5.11 raise RLIMIT_MEMLOCK (`ulimit -l unlimited`).'
                  : 'Compare the definition of the map with what its type requires on this kernel (`bpftool feature probe | grep map_type`) and fix the attribute: key/value types, max_entries, map_flags.',
            }
          : undefined;
      },
    },
  ),
  lib(
    'libbpf-section-name',
    /^(?:prog '\S+': )?(?:missing BPF prog type, check ELF section name|unrecognized ELF section name|section '\S+' missing ':function\[\+offset\]' specification|invalid format of section definition|invalid section name)|^failed to guess (?:program|attach) type|^(?:prog '\S+': )?missing \.BTF\.ext (?:function|line) info|^(?:prog '\S+': )?missing subprog addr relo|^(?:prog '\S+': )?failed to find kernel BTF type ID of '\S+'|^\S+ is not found in vmlinux BTF|^SEC\("[^"]*"\) is deprecated|^invalid section '[^']*', expected SEC|^failed to identify (?:btf_id|BTF ID) based on ELF section name|^no BTF-based attach target is specified/,
    'Section name or attach target not understood',
    "libbpf derives the program type and attach point from SEC(). This name is not one it knows, lacks the attach target, or names a kernel function that is not in the kernel's BTF.",
    'Use a documented section name, e.g. SEC("tp/syscalls/sys_enter_openat"), SEC("xdp"), SEC("tc"), SEC("kprobe/do_unlinkat"); check the function exists in /sys/kernel/btf/vmlinux.',
    {
      example: 'SEC("tracepoint/syscalls/sys_enter_execve")\nint handle_exec(void *ctx) { return 0; }',
      docsUrl: DOCS.libbpf,
      refine: (_d, { message = '' }) => {
        // tp_btf/sys_enter_openat: per-syscall tracepoints are not raw tracepoints, so BTF has no btf_trace_ type for them.
        const syscall = /failed to find kernel BTF type ID of '(sys_(enter|exit)_(\w+))'/.exec(message);
        if (syscall)
          return {
            title: `No raw tracepoint \`${syscall[1]}\` for tp_btf`,
            why: `libbpf looks up the attach target of a tp_btf (BTF-enabled raw tracepoint) program in the kernel's BTF as \`btf_trace_${syscall[1]}\`. The per-syscall tracepoints such as \`syscalls/${syscall[1]}\` are generated by the syscall tracing code and are no raw tracepoints, so there is none: only \`sys_${syscall[2]}\` (every syscall, raw_syscalls) exists for tp_btf and raw_tp.`,
            fix: `Keep SEC("tracepoint/syscalls/${syscall[1]}") (or "tp/syscalls/${syscall[1]}") for this syscall, or attach SEC("tp_btf/sys_${syscall[2]}") and filter by syscall id (\`__NR_${syscall[3]}\`) in the program.`,
          };
        // Another target libbpf did not find in the kernel's BTF: a tracepoint or function of another name.
        const missing = /failed to find kernel BTF type ID of '([^']+)'/.exec(message)?.[1];
        if (missing)
          return {
            title: `No \`${missing}\` in this kernel's BTF`,
            why: `libbpf looks up the attach target \`${missing}\` of a BTF-typed program (tp_btf, fentry/fexit, lsm, iter) in the kernel's BTF — a tp_btf tracepoint as \`btf_trace_${missing}\`, a function by its name — and this kernel has none of that name: a typo, a tracepoint or function of another kernel version, or one that is static, inlined or renamed here.`,
            fix: `Check the name on the target kernel (\`bpftool btf dump file /sys/kernel/btf/vmlinux | grep -w 'btf_trace_${missing}\\|${missing}'\`, or /sys/kernel/tracing/available_events) and use the one it has, or attach to another hook that exists on every kernel you support.`,
          };
        const sec = /\bsection(?: name)? '([^']+)'/.exec(message)?.[1];
        if (!sec) return undefined;
        const [base, ...rest] = sec.split('/');
        const target = rest.join('/');
        // Types that take no attach target: libbpf before 1.0 matched `xdp/anything` by prefix.
        if (
          target &&
          /^(?:xdp(?:\.frags)?|tc|classifier|action|socket|sk_skb|sk_msg|sockops|sk_lookup|flow_dissector|perf_event|syscall|netfilter|cgroup_skb)$/.test(
            base,
          )
        )
          return {
            title: `SEC("${sec}"): "${base}" takes no "/${target}"`,
            why: `The program's section is "${sec}": a ${base} program with a suffix libbpf does not know. libbpf before 1.0 matched section names by prefix and loaded it as plain "${base}"; libbpf 1.0 and later match names exactly (only documented forms such as "xdp.frags" or "xdp/devmap"), so this name gives no program type.`,
            fix: `Name the section SEC("${base}") (the suffix was never used by the kernel); to keep a name for the program, use the function name.`,
          };
        if (
          !target &&
          /^(?:kprobe|kretprobe|uprobe|uretprobe|fentry|fexit|fmod_ret|tp|tracepoint|raw_tp|raw_tracepoint|tp_btf|lsm|iter|struct_ops)$/.test(
            base,
          )
        )
          return {
            title: `SEC("${sec}") has no attach target`,
            why: `A ${base} section names what it attaches to after a slash (SEC("${base}/<target>")); "${sec}" has none, so libbpf cannot attach it automatically${/^(?:fentry|fexit|fmod_ret|tp_btf|lsm|iter)$/.test(base) ? ' or find the BTF type it must be verified against' : ''}.`,
            fix: `Write the target into the section, e.g. SEC("${base}/<function or event>"), or attach it by hand with the target given at attach time.`,
          };
        const near = nearestSections(sec);
        return {
          title: `libbpf does not know section "${sec}"`,
          why: `libbpf derives the program type from SEC(), and "${sec}" is not one of the names it knows: a typo, a name an older or newer libbpf used, or a type newer than the libbpf the loader links.${near.length ? ` The known names nearest to it: ${near.map((n) => `"${n}"`).join(', ')}.` : ''}`,
          fix: near.length
            ? `Name the section SEC("${near[0]}")${
                near.length > 1
                  ? ` (or ${near
                      .slice(1)
                      .map((n) => `SEC("${n}")`)
                      .join(', ')})`
                  : ''
              }, the form libbpf documents for this program type.`
            : undefined,
        };
      },
    },
  ),
  lib(
    'libbpf-struct-ops',
    /^struct_ops /,
    'struct_ops map does not match the kernel',
    'A SEC(".struct_ops") map is an instance of a kernel struct of function pointers (tcp_congestion_ops, sched_ext_ops, ...). libbpf matches it member by member against that struct in the running kernel\'s BTF and points each member at a program; here a struct or member is missing from this kernel, its type differs, or a member points to something that is not a struct_ops program of this object.',
    'Build against the vmlinux.h of the target kernel, leave out (or set to NULL) members this kernel lacks, and set every function-pointer member to a SEC("struct_ops/<member>") program defined in the same object.',
    {
      example: 'SEC(".struct_ops.link")\nstruct tcp_congestion_ops my_cc = {\n\t.init = (void *)my_init,\n\t.name = "my_cc",\n};',
      refine: (_d, { message = '' }) => {
        const member = /\b(?:Cannot find member|member) (\w+) in kernel BTF|\bUnmatched member type (\w+)/.exec(message);
        const struct = /\bstruct (\w+) is not found in kernel BTF/.exec(message)?.[1];
        if (struct)
          return {
            title: `This kernel has no struct ${struct} for struct_ops`,
            why: `The struct_ops map implements struct ${struct}, and the running kernel's BTF has no such struct: the kernel predates it or is built without the subsystem (e.g. sched_ext needs 6.12 and CONFIG_SCHED_CLASS_EXT).`,
          };
        if (member)
          return {
            title: `struct_ops member \`${member[1] ?? member[2]}\` does not match this kernel`,
            why: `The object's struct has a member \`${member[1] ?? member[2]}\` that the kernel's struct ${/\binit_kern (\w+)/.exec(message)?.[1] ?? ''} ${member[1] ? 'does not have (added in a later kernel, or renamed)' : 'declares with another type'}. libbpf only skips missing members that are zero.`,
            fix: `Leave \`${member[1] ?? member[2]}\` unset (zero) when the kernel may not have it, or build against this kernel's vmlinux.h.`,
          };
        return undefined;
      },
    },
  ),
  lib(
    'libbpf-linker',
    /^global(?:\/extern)? '[^']*':? |^global\/extern '|conflicting non-weak symbol|^sec \S+ (?:entsize|types) mismatch|^(?:ELF )?sections \S+ are (?:not compatible|incompatible)|^\.BTF\.ext generation failed|^failed to write out \.BTF|^failed to parse final \.BTF|^failed to find new ID mapping|^mismatch in core_relo_info record size|^BTF info is missing for global symbol|^failed to find matching ELF sec|^error while processing records|^failed to find symbol for variable|^linker: |^failed to create memfd|^Total maps exceeds|^Unknown relocation kind|^unsupported bswap size|^BTF fd off -?\d+ for kfunc/,
    'bpftool gen object / skeleton could not combine the objects',
    "Static linking (`bpftool gen object out.o a.bpf.o b.bpf.o`, or libbpf's bpf_linker) merges several BPF objects into one, matching globals, externs, maps and sections by name and BTF type. Two objects disagree here: the same non-static symbol is defined twice, an extern and its definition have different types, a map is declared with different attributes, or an input lacks BTF. (`bpftool gen skeleton -L` has limits of its own for light skeletons.)",
    'Make shared definitions agree: define each global in exactly one object (mark the others `extern`, or `static` if private), declare shared maps identically (or `extern` in all but one), mark optional duplicates __weak, and compile every input with `clang -g -O2 -target bpf`.',
    {
      example:
        '/* a.bpf.c */ int shared_cnt SEC(".data");\n/* b.bpf.c */ extern int shared_cnt;\n\nbpftool gen object prog.bpf.o a.bpf.o b.bpf.o',
      refine: (_d, { message = '' }) => {
        const name = /^global(?:\/extern)? '([^']+)'|non-weak symbol #-?\d+ \((\w+)\)/.exec(message)?.slice(1).find(Boolean);
        if (/^(?:Total maps exceeds|Unknown relocation kind|unsupported bswap size|BTF fd off)/.test(message))
          return {
            title: 'The light skeleton (bpftool gen skeleton -L) cannot express this object',
            why: 'A light skeleton replaces libbpf at run time with a small loader program generated at build time; it supports fewer maps, relocation kinds and instructions than libbpf itself, and this object goes beyond them.',
            fix: 'Use a regular skeleton (`bpftool gen skeleton` without -L), or reduce the object to what the light skeleton supports.',
          };
        if (!name) return undefined;
        return {
          title: `Objects disagree about \`${name}\``,
          why: `Two of the linked objects declare \`${name}\` differently (${/non-weak/.test(message) ? 'both define it as a non-weak global' : /map/.test(message) ? 'as maps with different attributes' : 'with incompatible BTF types'}), so the linker cannot tell which one is meant.`,
          fix: `Define \`${name}\` in one object only and declare it \`extern\` (same type) in the others, or make the copies \`static\` if each object means its own; mark an optional default __weak.`,
        };
      },
    },
  ),
  lib(
    'libbpf-attach',
    /\bfailed to (?:auto-)?attach\b|\bperf_event_open\(\) failed|\bperf event(?:: | FD)|\bfailed to create BPF link|\bfailed to (?:enable|attach to) pfd\b|\binvalid perf event FD|\blegacy (?:kprobe|uprobe) event|\bperf event ID\b|^usdt: |kretprobes do not support offset|^attach program FD is not set|[Tt]he target program doesn't have BTF|\bFailed to get BTF -?\d+ of the program\b|\bis not found in prog's BTF|\bretprobe bit\b|\/proc\/kallsyms|No procfs support|^Netlink-based XDP prog detected|\bXDP prog id\b|\bshared umems\b|^can't get link (?:by id|info)|trailing data in Netlink|extended error attributes|PERF_SAMPLE_CALLCHAIN|\bfailed to (?:add|remove) (?:legacy )?(?:k|u)probe|^failed to create \w+ '[^']*' perf event|\bkprobe_multi\b|\buprobe_multi\b|\bfailed to resolve (?:kprobe|uprobe|symbol)/,
    'Attaching the program failed',
    'The program loaded, but hooking it to its attach point failed. The usual reasons: the target does not exist on this kernel or binary (a kernel function that is inlined, renamed or static, a tracepoint that is not there, a USDT probe or symbol not in the binary), the program type cannot attach there, something else already occupies the hook, or the kernel lacks the link type libbpf uses (BPF links came in 5.7; libbpf falls back to older methods for kprobes and tracepoints).',
    'Check the target exists (`grep -w <func> /proc/kallsyms`, /sys/kernel/tracing/available_filter_functions, /sys/kernel/tracing/events/<cat>/<name>, `readelf -n <binary>` for USDT notes), that SEC() gives the right program type for it, and that no other program holds the hook (`bpftool net`, `bpftool link`).',
    {
      example:
        '# does the kernel function exist and is it traceable?\ngrep -w do_unlinkat /sys/kernel/tracing/available_filter_functions\nbpftool link list',
      refine: (_d, { message = '' }) => {
        const e = errnoOf(message);
        const prog = /\bprog(?:ram)? '([^']+)'/.exec(message)?.[1];
        const tp = /\btracepoint '([^']+)'/.exec(message)?.[1];
        const probe = /\b(?:kprobe|uprobe|kretprobe|uretprobe) (?:event )?(?:for )?'?([^\s':]+)/.exec(message)?.[1];
        const target = tp ?? probe ?? /\bto \w+ '([^']+)'/.exec(message)?.[1];
        const who = prog ? `Program \`${prog}\`` : 'The program';
        if (/^usdt: /.test(message))
          return {
            title: 'Attaching the USDT probe failed',
            why: 'libbpf attaches USDT probes by reading the ELF notes of the traced binary (its .note.stapsdt section), finding the probe address and its argument specs, and placing a uprobe there. Here the binary, the probe, its arguments or the process did not fit what libbpf can handle: a wrong binary path or PID, a probe that is not in this binary, a shared library without a PID on an older kernel, or an architecture libbpf does not decode USDT arguments for.',
            fix: 'Check the binary and probe with `readelf -n <binary> | grep -A4 stapsdt`, give the full path of the binary (or the shared library that holds the probe) and a PID when it is a library, and use SEC("usdt/<path>:<provider>:<name>").',
          };
        if (/doesn't have BTF|not found in prog's BTF|attach program FD is not set|BTF -?\d+ of the program/.test(message))
          return {
            title: 'freplace target is missing or has no BTF',
            why: "An freplace (BPF_PROG_TYPE_EXT) program replaces a function of another, already loaded BPF program; libbpf needs that program's fd (attach_prog_fd) and the function in its BTF. Here the target was not set, was built without BTF (-g), or has no function by that name.",
            fix: 'Call bpf_program__set_attach_target(prog, target_prog_fd, "func_name") before loading, build the target program with -g, and make the replaced function global (not static).',
          };
        const busy = e?.name === 'EBUSY' || e?.name === 'EEXIST' || /Netlink-based XDP prog detected/.test(message);
        if (busy)
          return {
            title: `${who} cannot attach: the hook is taken`,
            why: `${who} could not be attached${target ? ` to ${target}` : ''} because another program already holds this hook (${e ? e.name : 'EBUSY'}): an XDP program already on the interface, a program left by an earlier run, or an attachment that does not allow several programs.`,
            fix: 'Find and detach the other program (`bpftool net`, `bpftool link`, `ip link set dev <if> xdp off`), or attach with the flags that allow replacing or sharing the hook (XDP_FLAGS_REPLACE, BPF_F_ALLOW_MULTI, tcx/netkit on 6.6+).',
          };
        if (e?.name === 'ENOENT' || e?.name === 'ESRCH' || e?.name === 'EINVAL' || e?.name === 'EOPNOTSUPP' || e?.name === 'ENOTSUPP')
          return {
            title: `${who} cannot attach${target ? ` to ${target}` : ''} (${e.name})`,
            why: `${
              e.name === 'ENOENT' || e.name === 'ESRCH'
                ? `The attach target${target ? ` ${target}` : ''} does not exist here: a kernel function that is inlined, static or renamed on this kernel (or not traceable), a tracepoint this kernel does not have, or a symbol not in the binary.`
                : e.name === 'EINVAL'
                  ? `The kernel refused the attachment${target ? ` to ${target}` : ''} as invalid: the program type (from SEC()) does not fit this attach point, the offset or symbol is wrong, or the kernel does not know the attach type libbpf asked for.`
                  : 'This kernel (or driver) does not support attaching this way: the link or attach type is newer than the kernel, or the driver has no native support (XDP: try generic/SKB mode).'
            } libbpf's own error: ${errnoWords(e)}.`,
          };
        return prog ? { title: `Attaching \`${prog}\`${target ? ` to ${target}` : ''} failed` } : undefined;
      },
    },
  ),
  lib(
    'libbpf-buffer',
    /^(?:user )?ringbuf: |\bperf buffer\b|\bperf_buffer\b|\bcpu_buf\b|^failed to (?:mmap|munmap|epoll_ctl|enable perf buffer)|^page count should be power of two|\bCPU (?:range|mask)\b|\bcpu mask\b|^Empty CPU range/,
    'Setting up a ring buffer or perf buffer failed',
    "In the loader process, libbpf maps the kernel's ring buffer (BPF_MAP_TYPE_RINGBUF) or per-CPU perf buffers (BPF_MAP_TYPE_PERF_EVENT_ARRAY) into memory and polls them with epoll. That failed: the map fd is not a map of the right type (or not created yet), mmap was refused (a locked-memory limit before 5.11, a size too large for a 32-bit process), the page count is not a power of two, or the list of online CPUs could not be read.",
    'Pass the fd of the right map type, after the object is loaded (`ring_buffer__new(bpf_map__fd(skel->maps.events), ...)`, `perf_buffer__new(...)` for a PERF_EVENT_ARRAY), give perf buffers a power-of-two page count, and raise RLIMIT_MEMLOCK on kernels before 5.11.',
    {
      example: 'rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event, NULL, NULL);\nif (!rb) { err = -errno; goto cleanup; }',
      docsUrl: DOCS.ringbuf,
    },
  ),
  lib(
    'libbpf-api-usage',
    /\bwithout FD \(was it (?:loaded|created)\?\)|\bw\/o FD\b|can't be attempted twice|should not be loaded twice|^invalid program pointer|exclusive programs must be set|^excl_prog and map|relative_fd and relative_id|\balloc(?:ate)? memory failed|^oom |^failed to alloc(?:ate)?\b|\b[Nn]ot enough memory\b|\bout of memory\b|^Internal error|internal error$|^failed to (?:find|initialize|populate) skeleton|^subskeletons require BTF|^invalid prog instance|\binstance of program\b|instances\.nr|user context value is not supported|^failed bpf_obj_get_info_by_fd|^failed to get map info for map FD|can't associate|^realloc|realloc failed|^failed to initialize(?:: |$)|^failed to get (?:online CPU|BTF object #)/,
    'The loader used libbpf in a way it does not allow',
    'The program and the object may be fine: the loader code called libbpf out of order (used a program or map before bpf_object__load() gave it an fd, loaded an object twice, set an option after load), passed an invalid argument, or libbpf ran out of memory in the loader process.',
    'Follow the open → (set options) → load → attach order: skel__open(), change programs and maps, skel__load(), then skel__attach() or bpf_program__attach(); check each return value, and regenerate the skeleton after changing the BPF object (`bpftool gen skeleton`).',
    {
      example:
        'skel = my_prog_bpf__open();\nbpf_program__set_autoload(skel->progs.optional, false);   /* before load */\nerr = my_prog_bpf__load(skel);\nif (!err) err = my_prog_bpf__attach(skel);',
      refine: (_d, { message = '' }) =>
        /alloc|memory|\boom\b|realloc/i.test(message)
          ? {
              title: 'libbpf ran out of memory in the loader',
              why: 'An allocation in the loader process failed (ENOMEM): the process hit its memory limit (a cgroup or ulimit -v), or the object asks for something huge (a very large map value or global section, or many programs).',
              fix: 'Check the memory limits of the loader (container, cgroup, ulimit) and the sizes the object declares (max_entries, global arrays).',
            }
          : /skeleton/.test(message)
            ? {
                title: 'The skeleton does not match the object',
                why: 'A skeleton (`bpftool gen skeleton`) embeds the object and names its programs and maps; here the object inside does not have what the skeleton expects — the skeleton header is older than the object, or was generated from another object.',
                fix: 'Regenerate the skeleton from the object you build (make it a build dependency), and rebuild the loader.',
              }
            : undefined,
    },
  ),
  lib(
    'libbpf-object-file',
    /^elf: |^ELF |^zip: |^can't fetch symbol name|\bis not an? (?:valid )?eBPF object file|\bnot a 64-bit ELF\b|\bfailed to init libelf\b|^failed to (?:open|read) (?:file '[^']+'|(?!\/boot\/|\/proc\/)[^\s':]+)(?: as ELF file)?(?::|$)|^failed to get (?:e_shstrndx|section\(|sym name string|Elf_Data|map #-?\d+ name sym)|\bnon-native (?:ELF )?endianness\b|\bbyte order mismatch\b|^bad (?:data|map) relo against section|^unrecognized section #|^multiple SYMTAB|^no \.text section found yet relo|^relocation: |^can't fetch symbol name|^elf init: |^failed to alloc insns for prog under section|^failed to relocate calls|^bad subprog addr relo|^incorrect bpf_call opcode|^unexpected relo for insn|^invalid relo for insns\[|^failed to add subprog offsets|^error relocating \.BTF\.ext|^exception_callback:<value> decl tag|^(?:sec '\S+': )?failed to find program symbol at offset|\bdoesn't provide kernel version$|\bmissing (?:program|map) \S+$|\berror relocating (?:section|function) /,
    'The file is not a BPF object libbpf can load',
    'libbpf reads the object as an ELF file built for the BPF target: sections for programs and maps, a symbol table, relocations and BTF. This file is missing, is not ELF, or is ELF of another kind (a host object or executable, the other byte order), or is truncated or was rewritten by a tool that broke its sections.',
    'Check the path the loader opens, then rebuild the object with `clang -g -O2 -target bpf -c prog.bpf.c -o prog.bpf.o` (`file prog.bpf.o` should say "eBPF"); for a skeleton, regenerate it from the object you built.',
    {
      example:
        'clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -c prog.bpf.c -o prog.bpf.o\nfile prog.bpf.o   # ELF 64-bit LSB relocatable, eBPF',
      refine: (_d, { message = '' }) => {
        const e = errnoOf(message);
        const file = quotedNames(message).file ?? /\b(?:open|from|in) '?([^\s':]+)'?/.exec(message)?.[1];
        if (/exception[_ ]callback|^subprog '[^']*' arg#/.test(message))
          return {
            title: 'A BPF function is declared in a way libbpf does not accept',
            why: /exception/.test(message)
              ? 'The program names an exception callback (__exception_cb(), kernel 6.7+), and libbpf requires it to be one global, non-hidden function with that name.'
              : 'A global subprogram declares an argument with a type tag (__arg_ctx, __arg_trusted, ...) whose C type is not the one the tag requires.',
            fix: 'Declare the function as the tag requires (a global, non-static function; the argument type the tag expects), and build with a clang and libbpf that know the tags.',
          };
        // cilium/ebpf's LoadAndAssign: a struct field's `ebpf:"name"` tag the collection lacks.
        const missing = /\bmissing (program|map) (\S+)$/.exec(message);
        if (missing)
          return {
            title: `The object has no ${missing[1]} \`${missing[2]}\``,
            why: `The loader asked the object for ${missing[1]} \`${missing[2]}\` (cilium/ebpf: a field of the objects struct tagged \`ebpf:"${missing[2]}"\`), and the object file it loaded has none: the Go bindings (bpf2go output) are older or newer than the .o embedded or opened, or that ${missing[1]} was compiled out (an #ifdef, another architecture's build).`,
            fix: `Regenerate the bindings and the object together (\`go generate\` for bpf2go) so every tagged field exists in it; load only the ${missing[1]}s this kernel or architecture builds (a separate objects struct, or CollectionSpec and LoadAndAssign with what exists).`,
          };
        // libbpf before 0.0.4 (and bpf_load.c) required a `version` section for every object.
        const unversioned = /^(\S+) doesn't provide kernel version$/.exec(message)?.[1];
        if (unversioned)
          return {
            title: `\`${unversioned}\` has no kernel version section`,
            why: `This libbpf is old enough to require a \`version\` ELF section (the LINUX_VERSION_CODE the program was built for, which kernels before 5.0 checked for kprobe programs), and \`${unversioned}\` has none, so it refuses the object before the kernel sees it.`,
            fix: 'Add `__u32 _version SEC("version") = LINUX_VERSION_CODE;` to the program (include <linux/version.h>), or load with a current libbpf, which needs no version section.',
          };
        // iproute2's own ELF loader (tc/ip without libbpf): relocations only against maps and calls.
        const relo = /non-\{map,call\} related relo data in entry \d+ pointing to section (\d+)/.exec(message);
        if (relo)
          return {
            title: `ip/tc's own loader cannot place a relocation against section ${relo[1]}`,
            why: `This is iproute2's built-in ELF loader (ip/tc without libbpf), which relocates only references to maps and BPF-to-BPF calls. The object refers to section ${relo[1]}${relo[1] === '65522' ? ' — SHN_COMMON, a global variable declared without an initializer (a "common" symbol)' : relo[1] === '65521' ? ' — SHN_ABS, an absolute symbol' : ', a data section (a global or static variable, .data/.bss/.rodata)'}: global variables need libbpf (kernel 5.2+ and an iproute2 built with libbpf).`,
            fix: 'Load with an iproute2 built with libbpf (`ip -V` lists libbpf), with bpftool or a libbpf loader; or keep state in maps instead of globals, initialise globals and build with -fno-common.',
          };
        if (e?.name === 'ENOENT' || /No such file/.test(message))
          return {
            title: `The object file ${file ? `\`${file}\` ` : ''}does not exist`,
            why: `libbpf could not open ${file ? `\`${file}\`` : 'the object file'}: there is no file at that path — the loader runs in another working directory, the build did not produce it, or the name differs.`,
            fix: 'Give the loader the full path of the object, and check the build wrote it (`ls -l <path>`). For a skeleton, the object is embedded and this does not apply.',
          };
        return file && /not an? (?:valid )?eBPF object|not a 64-bit ELF|endianness|byte order/.test(message)
          ? {
              title: `\`${file}\` is not a BPF object`,
              why: `\`${file}\` is not an ELF object built for the BPF target (e_machine EM_BPF, 64-bit, this machine's byte order): it is a host object or executable, a source or text file, an object for the other byte order (bpfeb vs bpfel), or a truncated file.`,
            }
          : undefined;
      },
    },
  ),
  // libbpf's own handling of type information (the object's .BTF/.BTF.ext, the kernel's vmlinux
  // BTF): only as the subject of a warning no other entry knows (see libbpfSubject).
  lib(
    'libbpf-btf',
    /^(?:Error loading \.BTF into kernel|BTF is required, but is missing or corrupted)|\bparse types for module \S+: |\bfind target in modules: /,
    'libbpf could not handle the BTF type information',
    "libbpf reads the object's BTF (the types of its maps, globals and functions, which clang emits with -g) and the kernel's BTF (/sys/kernel/btf/vmlinux, for CO-RE, kfuncs and attach targets), rewrites what this kernel does not support and loads it. This step failed: the object has no BTF or BTF this libbpf cannot read (a newer clang), the kernel has no BTF (CONFIG_DEBUG_INFO_BTF), or the two disagree.",
    "Build with `clang -g -O2 -target bpf`, use a libbpf at least as new as that clang, and check that /sys/kernel/btf/vmlinux exists; `bpftool btf dump file prog.bpf.o` shows the object's BTF.",
    {
      example:
        'bpftool btf dump file prog.bpf.o | head   # the object has BTF\nls -l /sys/kernel/btf/vmlinux           # the kernel has BTF',
      // cilium/ebpf looks for an fentry/fexit target outside vmlinux in every module's BTF, and
      // one module whose BTF it cannot parse stops the search (and the load).
      refine: (_d, { message = '' }) => {
        const module = /\bparse types for module (\S+?): (.+)$/.exec(message);
        const target = /\bfind target for (\w+) (\w+)/.exec(message);
        if (!module) return undefined;
        return {
          title: `The loader could not read the BTF of kernel module ${module[1]}`,
          why: `${target ? `The ${target[1]} program's target, \`${target[2]}\`, is not in vmlinux's BTF, so the loader (cilium/ebpf) searched the kernel modules' BTF (/sys/kernel/btf/<module>) for it. ` : ''}The BTF of module \`${module[1]}\` could not be parsed (${module[2].trim()}): the kernel build produced module BTF this loader does not read (an empty or stripped string table, a newer BTF kind), and one unreadable module stops the whole search.`,
          fix: `Check /sys/kernel/btf/${module[1]} (\`bpftool btf dump file /sys/kernel/btf/${module[1]}\`); upgrade the loader, rebuild the kernel's module BTF, or skip the ${target ? `${target[1]} program on \`${target[2]}\`` : 'program'} (or fall back to a kprobe) when its target cannot be resolved.`,
        };
      },
    },
  ),
  // A warning no pattern knows and no subject fits: still a finding at its line, in libbpf's words.
  lib(
    'libbpf-warning',
    /(?!)/,
    'libbpf stopped with an error',
    "libbpf prints a warning like this when a step of opening, preparing, loading or attaching the object fails; the message names the step, and libbpf's debug lines before it name the program, map or section it was working on. The kernel may not have seen the program at all.",
    'Read the step the message names; rerun the loader with libbpf debug output (`bpftool -d prog load ...`, or libbpf_set_print() with LIBBPF_DEBUG) to see the lines that led to it, and check that libbpf is at least as new as the clang and bpftool that built the object.',
    { example: 'bpftool -d prog loadall prog.bpf.o /sys/fs/bpf/prog 2>&1 | tail -40' },
  ),
  lib(
    'libbpf-load-failed',
    /^(?:prog '\S+': )?(?:BPF program load failed|failed to load)(?:: |$)|^Failed to load program: [A-Z]|^failed to load object '|^failed to load BPF skeleton '|^Internal error: can't load program|^Error in \S+\(\):.*Couldn't (?:load trivial BPF program|create simple array map)/,
    'Program load failed',
    'The kernel refused to load the program. When the verifier produced a log, the finding for that log names the reason; without a log the cause is usually permissions (lockdown, missing CAP_BPF) or an attach type the kernel lacks.',
    'Read the verifier message above; for EPERM without a log check kernel lockdown and capabilities.',
    {
      example: 'sudo bpftool prog loadall prog.bpf.o /sys/fs/bpf/prog',
      // libbpf first loads a two-instruction program to see whether loading works at all.
      refine: (_d, { message = '' }) => {
        const probe = /^Error in \S+\(\):\s*([^(]+?)\s*\((-?\d+)\)/.exec(message);
        if (!probe) return undefined;
        return /not permitted/i.test(probe[1])
          ? {
              title: 'Not allowed to load any BPF program (EPERM)',
              why: 'Before loading the object libbpf loads a trivial two-instruction program, and even that was refused with EPERM: the process lacks the privilege (not root, no CAP_BPF + CAP_PERFMON, a container without them or with a seccomp profile that blocks bpf()), kernel lockdown or kernel.unprivileged_bpf_disabled applies, or, on kernels before 5.11, the locked-memory limit (RLIMIT_MEMLOCK) is too low.',
              fix: 'Run as root (or with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN; `--privileged` for a container), and on kernels before 5.11 raise the memlock limit (`ulimit -l unlimited`, or setrlimit(RLIMIT_MEMLOCK) in the loader).',
            }
          : {
              title: `Not even a trivial BPF program loads (${probe[1]})`,
              why: `Before loading the object libbpf loads a trivial two-instruction program, and the kernel refused it with ${probe[1]} (${probe[2]}): BPF is not available as this loader uses it (a kernel without CONFIG_BPF_SYSCALL, or one too old for the program type libbpf probes with), or a memlock limit on older kernels.`,
              fix: 'Check the kernel has BPF enabled (CONFIG_BPF_SYSCALL=y) and is new enough for this libbpf, and raise RLIMIT_MEMLOCK on kernels before 5.11.',
            };
      },
    },
  ),
);

// ---- clang's BPF backend --------------------------------------------------------------------
catalog.push(
  entry(
    'clang-builtin-not-supported',
    /A call to built-in function '(?<builtin>\w+)' is not supported/,
    'clang cannot emit {builtin} for BPF',
    'BPF has no libc: calls such as memcpy/memset are only possible when clang can expand them inline, which it does for small constant sizes. This call has a variable or too large size.',
    'Use __builtin_memcpy / __builtin_memset with a constant size, or copy with a bounded loop.',
    { example: '__builtin_memcpy(dst, src, sizeof(*dst));', origin: 'clang', docsUrl: DOCS.llvm },
  ),
  entry(
    'clang-undeclared',
    /^use of undeclared identifier '(?<identifier>\w+)'/,
    'clang does not know `{identifier}`',
    "`{identifier}` is not declared in this file or the headers it includes: a misspelt name, a header that is not included, or a constant that the kernel headers define with #define. vmlinux.h is generated from the kernel's BTF, which holds types and enums but no #define macros, so macro constants such as TC_ACT_OK, ETH_P_IP or AF_INET are not in it.",
    'Declare it, include the header that defines it, or — with vmlinux.h — define the constant yourself (`#define NAME value`): the UAPI headers that define them often clash with vmlinux.h.',
    {
      origin: 'clang',
      docsUrl: DOCS.llvm,
      example: '#include "vmlinux.h"\n#define TC_ACT_OK   0\n#define TC_ACT_SHOT 2\n#define ETH_P_IP    0x0800',
      refine: (d) => {
        const value = MACRO_CONSTANTS[d.identifier];
        if (value === undefined) return undefined;
        return {
          title: `\`${d.identifier}\` is a #define of the kernel headers, which vmlinux.h does not carry`,
          why: `\`${d.identifier}\` is a macro constant (${value.header}). vmlinux.h is generated from the kernel's BTF, which holds types and enums but no #define macros, so it has no \`${d.identifier}\`; including ${value.header} next to vmlinux.h usually clashes with the types vmlinux.h already declares.`,
          fix: `Define it after including vmlinux.h: \`#define ${d.identifier} ${value.value}\` (libbpf-tools and libbpf-bootstrap do the same).`,
          example: `#include "vmlinux.h"\n#define ${d.identifier} ${value.value}`,
        };
      },
    },
  ),
  entry(
    'clang-unsupported',
    /^(?:Unsupport(?:ed)?|unsupported) (?:signed division|atomic operations|dynamic stack allocation)|only small returns supported|too many args to|functions with VarArgs or StructRet are not supported|aggregate returns are not supported|pass by value not supported|stack arguments are not supported|Invalid usage of the XADD return value|incompatible with bpf|defined with too many args|Unsupport(?:ed)? \S+ for BPF|^cannot compile inline asm|\bindirect call in function, which are not supported by eBPF|\btoo many function arguments for eBPF|\beBPF stack limit exceeded/,
    'C construct the BPF backend cannot compile',
    'The BPF target has limits a normal CPU does not: at most 5 arguments per call passed in registers, no structs passed or returned by value, no variadic BPF functions, no dynamic stack allocation, limited atomics and signed division on older -mcpu.',
    'Pass structs by pointer, keep ≤ 5 arguments, avoid VLAs/alloca, and use -mcpu=v3 or newer for atomics and signed division.',
    {
      example: 'static __noinline int f(struct args *a);   /* pointer, not by value */',
      origin: 'clang',
      docsUrl: DOCS.llvm,
      refine: (_d, { message = '' }) =>
        /signed division/i.test(message)
          ? {
              title: 'Signed division is not available on this BPF CPU version',
              why: 'The BPF instruction set before -mcpu=v4 has only unsigned division and modulo, so clang cannot compile `/` or `%` on signed operands.',
              fix: 'Make the operands unsigned (cast to __u64 / __u32) when they cannot be negative, or build with -mcpu=v4 (kernel 6.6+).',
              example: 'avg = (__u64)sum / (__u64)n;',
            }
          : /too many args/i.test(message)
            ? {
                title: 'A BPF function takes at most five arguments',
                why: 'BPF passes arguments in registers R1..R5 only, so a function (or a call) with more than five arguments cannot be compiled.',
                fix: 'Group the arguments into a struct and pass a pointer to it, or make the function static inline.',
                example: 'struct mix_args { __u64 a, b, c, d, e, f; };\nstatic __noinline __u64 mix(struct mix_args *m);',
              }
            : /indirect call in function/.test(message)
              ? {
                  // GCC's BPF backend (bpf-gcc, bpf-unknown-none-gcc): a call through a function pointer.
                  title: 'A call through a function pointer cannot be compiled for BPF',
                  why: "GCC's BPF backend found an indirect call (a call through a function pointer) in this function, and BPF has only direct calls. At -O0, or when a function is not inlined, calls that optimisation would have made direct stay indirect (a static function passed or stored as a pointer, a callback table).",
                  fix: 'Build BPF code with optimisation (-O2), call the function directly (or mark the callee static __always_inline), and pass callbacks only to helpers that take them (bpf_loop, bpf_for_each_map_elem).',
                }
              : undefined,
    },
  ),
);

/** Macro constants BPF programs use that vmlinux.h cannot have (BTF carries no #defines), with their values. */
const MACRO_CONSTANTS: Record<string, { value: string; header: string }> = {
  ...Object.fromEntries(
    ['UNSPEC -1', 'OK 0', 'RECLASSIFY 1', 'SHOT 2', 'PIPE 3', 'STOLEN 4', 'QUEUED 5', 'REPEAT 6', 'REDIRECT 7', 'TRAP 8'].map((x) => {
      const [name, value] = x.split(' ');
      return [`TC_ACT_${name}`, { value, header: '<linux/pkt_cls.h>' }];
    }),
  ),
  ...Object.fromEntries(
    ['IP 0x0800', 'IPV6 0x86DD', 'ARP 0x0806', '8021Q 0x8100', '8021AD 0x88A8', 'MPLS_UC 0x8847', 'ALL 0x0003'].map((x) => {
      const [name, value] = x.split(' ');
      return [`ETH_P_${name}`, { value, header: '<linux/if_ether.h>' }];
    }),
  ),
  ETH_HLEN: { value: '14', header: '<linux/if_ether.h>' },
  ETH_ALEN: { value: '6', header: '<linux/if_ether.h>' },
  AF_INET: { value: '2', header: '<sys/socket.h>' },
  AF_INET6: { value: '10', header: '<sys/socket.h>' },
  SOL_SOCKET: { value: '1', header: '<asm-generic/socket.h>' },
  SOL_TCP: { value: '6', header: '<linux/socket.h>' },
  SO_MARK: { value: '36', header: '<asm-generic/socket.h>' },
  TCP_CONGESTION: { value: '13', header: '<linux/tcp.h>' },
  PAGE_SIZE: { value: '4096', header: '<asm/page.h> (4096 on x86_64 and most arm64 kernels)' },
  O_CREAT: { value: '0100', header: '<fcntl.h>' },
  O_WRONLY: { value: '01', header: '<fcntl.h>' },
  O_RDWR: { value: '02', header: '<fcntl.h>' },
  EPERM: { value: '1', header: '<errno.h>' },
  ENOENT: { value: '2', header: '<errno.h>' },
  EINVAL: { value: '22', header: '<errno.h>' },
  EACCES: { value: '13', header: '<errno.h>' },
};

let byId: Map<string, CatalogEntry> | undefined;
/** The catalog entry with this id (built once, on first use, after every part of the catalog is in). */
export function catalogEntry(id: string | null | undefined): CatalogEntry | undefined {
  byId ??= new Map(catalog.map((e) => [e.id, e]));
  return id ? byId.get(id) : undefined;
}

// libbpf's section names (its section_defs; `+` marks those that take a target after the slash).
const LIBBPF_SECTIONS =
  'socket sk_reuseport kprobe+ kretprobe+ kprobe.multi+ kretprobe.multi+ uprobe+ uretprobe+ uprobe.multi+ ksyscall+ kretsyscall+ usdt+ tc tc/ingress tc/egress tcx/ingress tcx/egress netkit/primary netkit/peer classifier action tracepoint+ tp+ raw_tracepoint+ raw_tp+ raw_tracepoint.w+ raw_tp.w+ tp_btf+ fentry+ fmod_ret+ fexit+ fentry.s+ fexit.s+ freplace+ lsm+ lsm.s+ lsm_cgroup+ iter+ iter.s+ syscall xdp xdp.frags xdp/devmap xdp/cpumap perf_event lwt_in lwt_out lwt_xmit lwt_seg6local sockops sk_skb sk_skb/stream_parser sk_skb/stream_verdict sk_msg lirc_mode2 flow_dissector cgroup_skb/ingress cgroup_skb/egress cgroup/skb cgroup/sock_create cgroup/sock_release cgroup/sock cgroup/post_bind4 cgroup/post_bind6 cgroup/bind4 cgroup/bind6 cgroup/connect4 cgroup/connect6 cgroup/connect_unix cgroup/sendmsg4 cgroup/sendmsg6 cgroup/sendmsg_unix cgroup/recvmsg4 cgroup/recvmsg6 cgroup/recvmsg_unix cgroup/getpeername4 cgroup/getpeername6 cgroup/getsockname4 cgroup/getsockname6 cgroup/sysctl cgroup/getsockopt cgroup/setsockopt cgroup/dev struct_ops+ struct_ops.s+ sk_lookup netfilter'.split(
    ' ',
  );

/** The known section names closest to `sec` (a few edits away, `_`/`-` ignored), nearest first. */
function nearestSections(sec: string): string[] {
  const [base, ...rest] = sec.split('/');
  const squash = (x: string) => x.replace(/[_-]/g, '');
  const scored = LIBBPF_SECTIONS.map((known) => {
    const name = known.replace(/\+$/, '');
    // A name that takes a target is compared on its prefix, and suggested with the user's target.
    const candidate = known.endsWith('+') && rest.length ? `${name}/${rest.join('/')}` : name;
    const against = known.endsWith('+') ? base : sec;
    return { candidate, d: distance(squash(against), squash(name)) };
  });
  const best = Math.min(...scored.map((x) => x.d));
  if (best > Math.max(1, Math.floor(base.length / 4))) return [];
  return [...new Set(scored.filter((x) => x.d === best).map((x) => x.candidate))].filter((x) => x !== sec).slice(0, 3);
}
