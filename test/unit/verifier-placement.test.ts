// Issue #9: where the primary diagnostic goes when the line info points elsewhere — an exit
// whose R0 the compiler set on another line (a hoisted constant, an inlined helper's `return
// -EPERM;`), and a BPF_PROG()/BPF_KPROBE() wrapper's argument loads, which carry the macro's line.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyzeLog } from '../../src/core/verifier';
import { definesOf, firstUse, returnedConstant, wrapperArgument, wrapperHeader } from '../../src/core/verifier/placement';

const STATS = 'processed 6 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0';

describe('verifier placement', () => {
  it('reads the constant a return statement returns, named constants and #defines included', () => {
    const defs = definesOf(['#define EPERM 1', '#define DENY (-EPERM)', '#define LIMIT 0x10']);
    assert.equal(returnedConstant('return -EPERM;', defs), -1);
    assert.equal(returnedConstant('return DENY;', defs), -1);
    assert.equal(returnedConstant('return (LIMIT);', defs), 16);
    assert.equal(returnedConstant('return XDP_DROP;'), 1);
    assert.equal(returnedConstant('return TC_ACT_SHOT;'), 2);
    assert.equal(returnedConstant('return false;'), 0);
    assert.equal(returnedConstant('return verdict(ctx);'), undefined);
    assert.equal(returnedConstant('return ret;'), undefined);
  });

  it('maps a wrapper argument load to its parameter and that parameter to its first use', () => {
    assert.equal(wrapperArgument('BPF_PROG', 'r1 = *(u64 *)(r1 +16)'), 2);
    assert.equal(wrapperArgument('BPF_KPROBE', 'r6 = *(u64 *)(r1 +104)'), 1);
    assert.equal(wrapperArgument('BPF_PROG', 'r1 = *(u64 *)(r1 +12)'), undefined);
    const src = [
      'SEC("tp_btf/x")',
      'int BPF_PROG(on_x, struct a *first,',
      '\t     u64 flags /* unused */, struct b *second)',
      '{',
      '\tif (!first)',
      '\t\treturn 0;',
      '\treturn second->v;',
      '}',
    ];
    const h = wrapperHeader(src, 2);
    assert.deepEqual(h, { macro: 'BPF_PROG', params: ['first', 'flags', 'second'], bodyStart: 4 });
    assert.equal(firstUse(src, h!.bodyStart, 'second'), 7);
    assert.equal(firstUse(src, h!.bodyStart, 'flags'), undefined);
  });

  it("puts a hoisted constant's out-of-range return on the inlined helper's `return -EPERM;`, not on the caller's return", () => {
    const file = 'verdict.bpf.c';
    const source = [
      '#include <linux/bpf.h>', // 1
      '#define EPERM 1', // 2
      'static __always_inline int verdict(struct bpf_sock_addr *ctx)', // 3
      '{', // 4
      '\tif (ctx->user_port == bpf_htons(25))', // 5
      '\t\treturn -EPERM;', // 6
      '\treturn 1;', // 7
      '}', // 8
      'SEC("cgroup/connect4")', // 9
      'int block(struct bpf_sock_addr *ctx)', // 10
      '{', // 11
      '\treturn verdict(ctx);', // 12
      '}', // 13
    ].join('\n');
    // This kernel's own log for that program (6.18, log level 1).
    const log = [
      '0: R1=ctx() R10=fp0',
      `; if (ctx->user_port == bpf_htons(25)) @ ${file}:5`,
      '0: (61) r1 = *(u32 *)(r1 +24)         ; R1=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))',
      '1: (b7) r0 = -1                       ; R0=-1',
      `; return verdict(ctx); @ ${file}:12`,
      '2: (15) if r1 == 0x1900 goto pc+1 4: R0=-1 R1=6400 R10=fp0',
      '4: (95) exit',
      'At program exit the register R0 has smin=-1 smax=-1 should have been in [0, 1]',
      STATS,
    ].join('\n');
    const f = analyzeLog(log, { sources: new Map([[file, source]]) }).findings[0];
    assert.equal(f?.catalogId, 'program-return-range');
    assert.equal(f.line, 6);
    // A return of the value the verifier saw stays where it is.
    const same = log
      .replace('r0 = -1                       ; R0=-1', 'r0 = 1                        ; R0=1')
      .replace(/R0=-1 R1/, 'R0=1 R1');
    const g = analyzeLog(same.replace('smin=-1 smax=-1', 'smin=1 smax=1'), {
      sources: new Map([[file, source.replace('return verdict(ctx);', 'return 1;')]]),
    }).findings[0];
    assert.equal(g?.line, 12);
  });

  it("puts an error at a wrapper's argument load on the first use of that parameter", () => {
    const file = 'wrap.bpf.c';
    const source = [
      '#include "vmlinux.h"', // 1
      'SEC("tp_btf/sched_process_exec")', // 2
      'int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm, long extra)', // 3
      '{', // 4
      '\tif (old_pid == 1)', // 5
      '\t\treturn 0;', // 6
      '\tseen = extra;', // 7
      '\treturn 0;', // 8
      '}', // 9
    ].join('\n');
    const log = [
      '0: R1=ctx() R10=fp0',
      `; int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm, long extra) @ ${file}:3`,
      '0: (79) r2 = *(u64 *)(r1 +24)',
      'invalid bpf_context access off=24 size=8',
      STATS,
    ].join('\n');
    const f = analyzeLog(log, { sources: new Map([[file, source]]) }).findings[0];
    assert.equal(f?.catalogId, 'ctx-access');
    assert.equal(f.line, 7);
  });

  it("puts a leak on the caller's return when the path left through an inlined helper's early return", () => {
    // The helper's `return -1;` ends fill(), not the program: the program leaves at line 18.
    const source = [
      '#include "h.h"',
      'char LICENSE[] SEC("license") = "GPL";',
      'static __always_inline int fill(struct ev *e)',
      '{',
      '\tu64 id = bpf_get_current_pid_tgid();',
      '\tif ((id >> 32) < 100)',
      '\t\treturn -1;',
      '\te->pid = id >> 32;',
      '\treturn 0;',
      '}',
      'SEC("tracepoint/syscalls/sys_enter_openat")',
      'int on_open(struct trace_event_raw_sys_enter *ctx)',
      '{',
      '\tstruct ev *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);',
      '\tif (!e)',
      '\t\treturn 0;',
      '\tif (fill(e))',
      '\t\treturn 0;',
      '\tbpf_ringbuf_submit(e, 0);',
      '\treturn 0;',
      '}',
    ].join('\n');
    const log = readFileSync(path.join(__dirname, '../fixtures/verifier/logs/inline-helper-early-return-leak.log'), 'utf8');
    const f = analyzeLog(log, { sources: new Map([['ringbuf-fill.bpf.c', source]]) }).findings[0];
    assert.equal(f?.catalogId, 'unreleased-reference');
    assert.equal(f.line, 18);
    assert.ok(f.related.some((r) => r.line === 14));
  });
});
