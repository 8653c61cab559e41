// The catalog: one entry per message family of the kernel verifier (and of libbpf and clang's
// BPF backend). Families come from the kernel's format strings (see families.json and
// scripts/extract-verifier-families.mjs); the unit test checks every family has an entry.
// Order matters: the first matching entry wins, so specific patterns come before general ones.
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

type Opts = Partial<Pick<CatalogEntry, 'example' | 'docsUrl' | 'sinceKernel' | 'origin' | 'severity' | 'refine'>>;

function entry(id: string, pattern: RegExp, title: string, why: string, fix: string, opts: Opts = {}): CatalogEntry {
  return { id, pattern, title, why, fix, origin: 'verifier', docsUrl: DOCS.verifier, ...opts };
}

const CALLBACK_HELPERS = /^(?:bpf_for_each_map_elem|bpf_loop|bpf_timer_set_callback|bpf_find_vma|bpf_user_ringbuf_drain)$/;

export const catalog: CatalogEntry[] = [
  // ---- The two seed errors, exactly -------------------------------------------------------
  entry(
    'callback-return-range',
    /^At callback return the register (?<register>R\d+) (?:has (?:unknown scalar value|value (?<value>\S+)|(?<bounds>smin=.*?))) should have been in (?<range>\[.*?\]|\(.*?\))/,
    'Callback returns a value outside {range}',
    'Callbacks of bpf_for_each_map_elem, bpf_loop, bpf_find_vma and friends must return exactly 0 (continue) or 1 (stop); the helper uses the value as a loop control. The verifier could not prove your callback returns only those values — typically it returns a computed number, a helper\'s result, or a variable.',
    'Make every return statement of the callback return the constant 0 to continue iterating or 1 to stop.',
    {
      example: 'static long cb(struct bpf_map *map, __u32 *key, __u64 *val, void *ctx)\n{\n\tif (*val > 100)\n\t\treturn 1; /* stop */\n\treturn 0;     /* continue */\n}',
      docsUrl: helperDoc('bpf_for_each_map_elem'),
      sinceKernel: '5.13',
    },
  ),
  entry(
    'async-callback-return',
    /^At async callback return the register (?<register>R\d+) /,
    'Timer / async callback must return 0',
    'Callbacks run asynchronously (bpf_timer callbacks, workqueue callbacks) must return 0; the verifier could not prove that.',
    'End the callback with `return 0;`.',
    { example: 'static int timer_cb(void *map, int *key, struct elem *val)\n{\n\t/* ... */\n\treturn 0;\n}', docsUrl: helperDoc('bpf_timer_set_callback') },
  ),
  entry(
    'program-return-range',
    /^At program exit the register (?<register>R\d+) (?:has|is not a known value)/,
    'Program returns a value outside the allowed range',
    'Some program types give the return value a meaning (cgroup programs: 0 reject / 1 allow; LSM: 0 or -errno; tracing iterators: 0 or 1) and the verifier checks every return path against that range. One path can return another value, or a value it cannot pin down.',
    'Return only the allowed constants from the program, e.g. `return 1;` to allow and `return 0;` to deny in cgroup programs.',
    { example: 'SEC("cgroup/skb")\nint filter(struct __sk_buff *skb)\n{\n\tif (skb->len > 1500)\n\t\treturn 0; /* drop */\n\treturn 1;     /* allow */\n}' },
  ),
  entry(
    'arg-expected-stack',
    /^(?<register>R\d+) type=(?<type>\S+) expected=(?<expected>fp|fp, pkt, pkt_meta, map_key, map_value.*?)$/,
    '{register} must point to the stack, not {type}',
    'The helper wants this argument to be a pointer to the BPF stack (fp: a local variable of the program). You passed a {type} pointer instead.',
    'Copy the value into a local variable and pass the local\'s address.',
    {
      example: '__u32 key = 0;            /* on the stack */\nbpf_map_lookup_elem(&my_map, &key);',
      refine: (d, ctx) =>
        ctx.helper && CALLBACK_HELPERS.test(ctx.helper)
          ? {
              title: `${ctx.helper}: callback context must be a stack pointer`,
              why: `The callback context argument (${d.register ?? 'R3'}) of ${ctx.helper} must point to the program's stack. A global variable or a map value (both are map_value to the verifier) is not accepted there, because the helper hands that pointer to your callback as its last argument and the verifier only tracks stack memory across the call.`,
              fix: 'Declare a local struct on the stack, copy the global or map value into it if you need its contents, pass its address as the context, and copy the result back after the call.',
              example: 'struct cb_ctx c = {};          /* on the stack, not a global */\nbpf_for_each_map_elem(&my_map, cb, &c, 0);\nglobal_sum = c.sum;          /* copy the result back if needed */',
              docsUrl: helperDoc(ctx.helper),
            }
          : undefined,
    },
  ),
];
