// The streaming parser on real logs (captured from this kernel, in test/fixtures/verifier/logs)
// and on truncated, interleaved and malformed input: it must never throw.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyzeLog, classifyLine, createLogParser, parseRegisterState } from '../../src/core/verifier';

const LOGS = path.join(__dirname, '../fixtures/verifier/logs');
const level1 = readFileSync(path.join(LOGS, 'for-each-global-ctx.level1.log'), 'utf8');
const level2 = readFileSync(path.join(LOGS, 'for-each-global-ctx.level2.log'), 'utf8');

/** Deterministic pseudo-random numbers so failures reproduce. */
function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

describe('verifier log parser', () => {
  it('classifies instructions, states, annotations, frames and statistics', () => {
    const insn = classifyLine('4: (18) r3 = 0xffffc90000000000       ; R3=map_value(map=seed.bss,ks=4,vs=8)');
    assert.deepEqual(insn.kind === 'insn' && [insn.index, insn.opcode, insn.disasm, insn.state], [
      4,
      '18',
      'r3 = 0xffffc90000000000',
      'R3=map_value(map=seed.bss,ks=4,vs=8)',
    ]);
    const ann = classifyLine('; bpf_for_each_map_elem(&counts, cb, &gctx, 0); @ seed.bpf.c:10');
    assert.deepEqual(ann.kind === 'annotation' && [ann.text, ann.file, ann.line], [
      'bpf_for_each_map_elem(&counts, cb, &gctx, 0);',
      'seed.bpf.c',
      10,
    ]);
    const bare = classifyLine('; if (!val)');
    assert.deepEqual(bare.kind === 'annotation' && [bare.text, bare.file, bare.line], ['if (!val)', undefined, undefined]);
    assert.equal(classifyLine('func#1 @10').kind, 'subprog');
    assert.equal(classifyLine('caller:').kind, 'frame');
    assert.equal(classifyLine('from 4 to 6: R0=map_value(map=m,ks=4,vs=8) R10=fp0').kind, 'branch');
    assert.equal(classifyLine('12: safe').kind, 'pruned');
    assert.equal(classifyLine('0: R1=ctx() R10=fp0').kind, 'state');
    assert.equal(classifyLine('      7: .1234..... (85) call bpf_for_each_map_elem#164').kind, 'trace');
    const st = classifyLine('processed 5 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0');
    assert.deepEqual(st.kind === 'stats' && [st.insnsProcessed, st.insnLimit, st.totalStates], [5, 1000000, 1]);
    const cl = classifyLine("prog.bpf.c:12:5: error: A call to built-in function 'memcpy' is not supported.");
    assert.deepEqual(cl.kind === 'clang' && [cl.file, cl.line, cl.column], ['prog.bpf.c', 12, 5]);
  });

  it('splits register states honouring parentheses and frames', () => {
    const m = parseRegisterState('R1=map_value(map=seed.bss,ks=4,vs=8) R2_w=func() fp-8=mmmmmmmm frame1: R3=scalar(smin=0,smax=7)');
    assert.equal(m.get('R1'), 'map_value(map=seed.bss,ks=4,vs=8)');
    assert.equal(m.get('R2'), 'func()');
    assert.equal(m.get('fp-8'), 'mmmmmmmm');
    assert.equal(m.get('frame1.R3'), 'scalar(smin=0,smax=7)');
  });

  it('reads a level-1 libbpf-wrapped log: program, stats, error, location', () => {
    const a = analyzeLog(level1);
    assert.equal(a.truncated, false);
    assert.equal(a.programs.length, 1);
    assert.equal(a.programs[0].name, 'prog');
    assert.equal(a.programs[0].stats?.insnsProcessed, 5);
    assert.equal(a.findings.length, 1);
    const f = a.findings[0];
    assert.equal(f.message, 'R3 type=map_value expected=fp');
    assert.deepEqual([f.file, f.line, f.insnIndex, f.catalogId], ['seed.bpf.c', 10, 7, 'arg-expected-stack']);
    assert.match(f.registers ?? '', /R3=map_value\(map=seed\.bss/);
    assert.equal(f.related[0].insnIndex, 4);
    assert.deepEqual([f.quickFix?.kind, f.quickFix?.symbol], ['copy-to-stack', 'gctx']);
  });

  it('reads the level-2 log of the same program to the same finding', () => {
    const a = analyzeLog(level2);
    assert.equal(a.findings.length, 1, JSON.stringify(a.findings.map((f) => f.message)));
    assert.equal(a.findings[0].line, 10);
    assert.deepEqual(a.programs[0].subprograms, [
      { index: 0, insn: 0 },
      { index: 1, insn: 10 },
    ]);
    assert.equal(a.programs[0].stats?.verificationTimeUsec, 81);
    assert.equal(a.programs[0].stats?.stackDepth, '0+0');
  });

  it('gives the same result whatever the chunk boundaries', () => {
    const whole = JSON.stringify(analyzeLog(level2));
    const next = rng(7);
    for (let round = 0; round < 5; round++) {
      const p = createLogParser();
      for (let i = 0; i < level2.length;) {
        const n = 1 + Math.floor(next() * 40);
        p.push(level2.slice(i, i + n));
        i += n;
      }
      assert.equal(JSON.stringify(p.end()), whole);
    }
  });

  it('says a log cut anywhere is truncated, and never throws', () => {
    const body = level1.slice(0, level1.indexOf('processed'));
    for (let cut = 0; cut <= body.length; cut += 7) {
      const a = analyzeLog(level1.slice(0, cut));
      if (level1.slice(0, cut).includes('BEGIN PROG LOAD LOG')) assert.equal(a.truncated, true, `cut at ${cut}`);
    }
    // Cut right after the error line: the error is still found, and flagged as truncated.
    const a = analyzeLog(body);
    assert.equal(a.truncated, true);
    assert.equal(a.findings[0]?.catalogId, 'arg-expected-stack');
  });

  it('survives malformed and random input', () => {
    const next = rng(42);
    const alphabet = '0123456789abcdefR=:;()[]{}@ ,.-_\n\tlibbpf: prog processed insns from to frame';
    for (let round = 0; round < 200; round++) {
      let s = '';
      const n = Math.floor(next() * 400);
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(next() * alphabet.length)];
      assert.doesNotThrow(() => analyzeLog(s));
    }
    // Real lines shuffled: interleaving of two loaders' output.
    const lines = (level1 + level2).split('\n');
    for (let round = 0; round < 50; round++) {
      const shuffled = [...lines].sort(() => next() - 0.5).join('\n');
      assert.doesNotThrow(() => analyzeLog(shuffled));
    }
    assert.doesNotThrow(() => analyzeLog('\u0000\u0001\r\n;\n: (zz)\nfrom x to y:\nprocessed insns\n-- END PROG LOAD LOG --\n'));
  });

  it('reads a log indented by the tool that printed it', () => {
    const body = level1.slice(level1.indexOf('-- BEGIN PROG LOAD LOG --') + 26, level1.indexOf('-- END PROG LOAD LOG --'));
    const indented =
      'load program: permission denied:\n' +
      body
        .split('\n')
        .map((l) => `\t${l}`)
        .join('\n');
    const f = analyzeLog(indented).findings[0];
    assert.deepEqual([f.catalogId, f.file, f.line, f.message], ['arg-expected-stack', 'seed.bpf.c', 10, 'R3 type=map_value expected=fp']);
  });

  it('keeps two programs interleaved by libbpf apart', () => {
    const other = level1
      .replace(/prog 'prog'/g, "prog 'other'")
      .replace('R3 type=map_value expected=fp', "R0 invalid mem access 'map_value_or_null'");
    const a = analyzeLog(level1 + other);
    assert.deepEqual(
      a.programs.map((p) => p.name),
      ['prog', 'other'],
    );
    assert.deepEqual(
      a.findings.map((f) => [f.program, f.catalogId]),
      [
        ['prog', 'arg-expected-stack'],
        ['other', 'null-deref'],
      ],
    );
  });

  it('explains a libbpf warning no pattern knows by the part of libbpf it is about, only when nothing else explains the log', () => {
    // Wordings of a future libbpf: no pattern of the catalog knows them.
    const alone = (line: string) => analyzeLog(`libbpf: ${line}`).findings.map((f) => f.catalogId);
    assert.deepEqual(alone("inner map template of 'events' has an unexpected layout"), ['libbpf-map-definition']);
    assert.deepEqual(alone("prog 'trace_exec': failed to bind kprobe target 'do_sys_open'"), ['libbpf-attach']);
    assert.deepEqual(alone("kcfg value of 'CONFIG_HZ' could not be converted to its declared type"), ['libbpf-extern']);
    assert.deepEqual(alone('Unsupported BTF frobnication:1f'), [], 'BTF parser complaints are debug lines');
    // A failure in words no subject fits is still a finding at its line, in libbpf's own words.
    const unknown = analyzeLog('libbpf: widget frobnication failed: -95').findings;
    assert.deepEqual(
      unknown.map((f) => f.catalogId),
      ['libbpf-warning'],
    );
    assert.match(unknown[0].explanation, /EOPNOTSUPP/);
    assert.deepEqual(alone('btf_frobnicate_types failed: -22'), [], "libbpf's BTF code reports at debug level");
    // The call loaders write over an instruction they could not relocate is CO-RE's, not a helper's.
    const poisoned = analyzeLog('12: (85) call unknown#195896080\ninvalid func unknown#195896080\n').findings[0];
    assert.equal(poisoned.catalogId, 'libbpf-core-relo');
    assert.match(poisoned.explanation, /0xbad2310/);
    assert.doesNotMatch(poisoned.explanation, /helper unknown/);
    // ... and when libbpf then says the load failed, it is why: one finding, at the warning.
    const loadFailed = analyzeLog("libbpf: widget frobnication failed: -95\nlibbpf: failed to load object 'x.bpf.o'\n").findings;
    assert.deepEqual(
      loadFailed.map((f) => [f.catalogId, f.message]),
      [['libbpf-load-failed', 'libbpf: widget frobnication failed: -95']],
    );
    // A known warning in the same log is the finding; the guessed one adds nothing.
    const both = analyzeLog("libbpf: inner map template of 'events' has an unexpected layout\nlibbpf: failed to find valid kernel BTF\n");
    assert.deepEqual(
      both.findings.map((f) => f.catalogId),
      ['libbpf-core-relo'],
    );
  });

  it('reads raw kernel logs without libbpf markers, and splits the tail-call run-on line', () => {
    const raw = [
      '0: R1=ctx() R10=fp0',
      '; return bpf_tail_call(ctx, &jmp, 0); @ t.bpf.c:20',
      '0: (18) r2 = 0xffff888100000000 ; R2=map_ptr(map=jmp,ks=4,vs=4)',
      '2: (b7) r3 = 0 ; R3=0',
      '3: (85) call bpf_tail_call#12',
      'tail_calls are not allowed in non-JITed programs with bpf-to-bpf callsprocessed 4 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
    ].join('\n');
    const a = analyzeLog(raw);
    assert.equal(a.truncated, false);
    assert.equal(a.findings[0].message, 'tail_calls are not allowed in non-JITed programs with bpf-to-bpf calls');
    assert.equal(a.findings[0].catalogId, 'tail-call-misuse');
    assert.deepEqual([a.findings[0].file, a.findings[0].line], ['t.bpf.c', 20]);
    // Newer kernels print the time and stack depth first: the error runs into those instead.
    const newer = analyzeLog(raw.replace(/callsprocessed/, 'callsverification time 31 usec\nstack depth 8\nprocessed'));
    assert.equal(newer.findings[0].message, 'tail_calls are not allowed in non-JITed programs with bpf-to-bpf calls');
    assert.equal(newer.programs[0].stats?.verificationTimeUsec, 31);
  });

  it('maps bare annotations of older kernels through the sources', () => {
    const src = 'int x;\nint f(void *ctx)\n{\n\t__u64 *v = bpf_map_lookup_elem(&m, &k);\n\t*v += 1;\n\treturn 0;\n}\n';
    const log = [
      '; __u64 *v = bpf_map_lookup_elem(&m, &k);',
      '0: (85) call bpf_map_lookup_elem#1',
      '; *v += 1;',
      '1: (79) r1 = *(u64 *)(r0 +0)',
      "R0 invalid mem access 'map_value_or_null'",
      'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
    ].join('\n');
    const a = analyzeLog(log, { sources: new Map([['src/prog.bpf.c', src]]) });
    const f = a.findings[0];
    assert.deepEqual([f.file, f.line, f.catalogId], ['src/prog.bpf.c', 5, 'null-deref']);
    assert.deepEqual([f.related[0].file, f.related[0].line], ['src/prog.bpf.c', 4]);
    assert.deepEqual([f.quickFix?.kind, f.quickFix?.symbol, f.quickFix?.line], ['add-null-check', 'v', 5]);
  });

  it('reads logs of older kernels: bare annotations, full states on their own lines, inv scalars', () => {
    // The shape 5.x kernels print: no `@ file:line`, `N: R...` state lines, `inv` for scalars.
    const src = [
      'SEC("xdp")',
      'int handle(struct xdp_md *ctx)',
      '{',
      '\tvoid *data = (void *)(long)ctx->data;',
      '\tstruct ethhdr *eth = data;',
      '',
      '\tif (eth->h_proto == bpf_htons(ETH_P_IPV6))',
      '\t\treturn XDP_DROP;',
      '\treturn XDP_PASS;',
      '}',
    ].join('\n');
    const log = [
      'func#0 @0',
      '0: R1=ctx(id=0,off=0,imm=0) R10=fp0',
      '; void *data = (void *)(long)ctx->data;',
      '0: (61) r1 = *(u32 *)(r1 +0)',
      '1: R1_w=pkt(id=0,off=0,r=0,imm=0) R10=fp0',
      '; if (eth->h_proto == bpf_htons(ETH_P_IPV6))',
      '1: (69) r1 = *(u16 *)(r1 +12)',
      'invalid access to packet, off=12 size=2, R1(id=0,off=12,r=0)',
      'R1 offset is outside of the packet',
      'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
    ].join('\n');
    const a = analyzeLog(log, { sources: new Map([['xdp/drop.bpf.c', src]]) });
    const f = a.findings[0];
    assert.deepEqual([f.catalogId, f.file, f.line, f.insnIndex], ['packet-out-of-bounds', 'xdp/drop.bpf.c', 7, 1]);
    assert.deepEqual([f.related[0].file, f.related[0].line], ['xdp/drop.bpf.c', 4]);
    assert.match(f.registers ?? '', /R1=pkt\(id=0,off=0,r=0,imm=0\)/);
    assert.match(f.details?.alsoReported ?? '', /offset is outside of the packet/);
    assert.equal(analyzeLog("0: (79) r0 = *(u64 *)(r1 +0)\nR1 invalid mem access 'inv'\n").findings[0].catalogId, 'scalar-deref');
  });

  it('turns clang BPF backend errors into located findings', () => {
    const a = analyzeLog("prog.bpf.c:14:2: error: A call to built-in function 'memcpy' is not supported.\n1 error generated.\n");
    assert.deepEqual(
      a.findings.map((f) => [f.origin, f.file, f.line, f.column, f.catalogId]),
      [['clang', 'prog.bpf.c', 14, 2, 'clang-builtin-not-supported']],
    );
  });

  it('reads logs pasted the way people paste them: quoted around a cut, newlines lost, only a global function note', () => {
    // A log quoted in pieces with the middle cut to dots: the message, not a dot, is the error.
    const cut = analyzeLog(
      "'0: (bf) r6 = r1\n5: (3d) if r5 >= r8 goto pc+8'\n.\n.\n'R2 pointer arithmetic with <<= operator prohibited\nprocessed 628 insns (limit 1000000)\n",
    ).findings[0];
    assert.equal(cut.catalogId, 'pointer-arith-prohibited');
    assert.match(cut.title, /<<=/);
    assert.match(cut.explanation, /R2 holds a pointer/);
    // Newlines collapsed to spaces run the message into the instruction before it.
    assert.equal(
      analyzeLog(
        "libbpf: prog 'p': -- BEGIN PROG LOAD LOG -- 0: R1=ctx() R10=fp0 ; @ <stdin>:15 0: (b7) r1 = 0 ; R1_w=0 12: (61) r1 = *(u32 *)(r0 +0) R0 invalid mem access 'map_value_or_null' processed 13 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 1 -- END PROG LOAD LOG --\n",
      ).findings[0].catalogId,
      'null-deref',
    );
    // The verifier stopped at a global function's prototype, before any instruction.
    const proto = analyzeLog(
      "Validating probe_fn() func#1...\narg#0 reference type('UNKNOWN ') size cannot be determined: -22\nprocessed 0 insns (limit 1000000)\n",
    ).findings[0];
    assert.equal(proto?.catalogId, 'global-func-signature');
    assert.match(proto.explanation, /arg#0 of the global function `probe_fn\(\)`/);
  });

  it('explains a load refused with EINVAL after a clean verification, and the kernel lockdown note', () => {
    const after = analyzeLog(
      "libbpf: prog 'connect_v4': BPF program load failed: Invalid argument\nlibbpf: prog 'connect_v4': -- BEGIN PROG LOAD LOG --\nprocessed 5 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n-- END PROG LOAD LOG --\nlibbpf: prog 'connect_v4': failed to load: -22\n",
    ).findings;
    assert.equal(after.length, 1);
    assert.equal(after[0].catalogId, 'tail-call-misuse');
    assert.match(after[0].title, /accepted the program; the kernel refused it afterwards/);
    // A verifier error in the log is the reason, whatever the errno.
    const refused = analyzeLog(
      "libbpf: prog 'p': BPF program load failed: Invalid argument\nlibbpf: prog 'p': -- BEGIN PROG LOAD LOG --\n0: (b7) r0 = 0\n1: (95) exit\nR0 !read_ok\nprocessed 2 insns (limit 1000000)\n-- END PROG LOAD LOG --\n",
    ).findings;
    assert.notEqual(refused[0].catalogId, 'tail-call-misuse');
    const lockdown = analyzeLog('Lockdown: tracer: use of bpf to read kernel RAM is restricted; see man kernel_lockdown.7\n').findings[0];
    assert.equal(lockdown.catalogId, 'helper-not-allowed');
    assert.match(lockdown.explanation, /lockdown/);
    assert.match(lockdown.title, /tracer/);
  });

  it("explains clang's undeclared identifiers, and the #define constants vmlinux.h cannot carry with their values", () => {
    const tc = analyzeLog("prog.bpf.c:13:10: error: use of undeclared identifier 'TC_ACT_SHOT'\n1 error generated.\n").findings[0];
    assert.deepEqual([tc.catalogId, tc.line, tc.column], ['clang-undeclared', 13, 10]);
    assert.match(tc.fix, /#define TC_ACT_SHOT 2/);
    const typo = analyzeLog("prog.bpf.c:9:3: error: use of undeclared identifier 'coutner'\n").findings[0];
    assert.equal(typo.catalogId, 'clang-undeclared');
    assert.doesNotMatch(typo.fix, /#define coutner/);
  });

  it("keeps the register state across a newer kernel's partial state line after its SCC note (level 2, 6.18)", () => {
    const f = analyzeLog(
      '0: R1=ctx() R10=fp0\n0: (18) r1 = 0xffff88810a765400       ; R1=map_ptr(map=counts,ks=4,vs=8)\n2: (18) r2 = 0x7                      ; R2=func()\n4: (18) r3 = 0xffffc900043ea000       ; R3=map_value(map=for_each.bss,ks=4,vs=8)\n6: (b7) r4 = 0\nSCC enter (1)\n7: R4=0\n7: (85) call bpf_for_each_map_elem#164\nR3 type=map_value expected=fp\nprocessed 5 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0\n',
    ).findings;
    assert.equal(f.length, 1);
    assert.match(f[0].registers ?? '', /R3=map_value\(map=for_each\.bss/);
    assert.match(f[0].registers ?? '', /R4=0/);
  });

  it('puts iproute2 BTF complaints at the type the kernel names, after a program refused without BTF', () => {
    const btfOnly = analyzeLog(
      "BTF debug data section '.BTF' rejected: Invalid argument (22)!\nVerifier analysis:\n\n[11] VAR _license type_id=9 linkage=1\n[12] DATASEC license size=0 vlen=1 size == 0\n",
    ).findings[0];
    assert.equal(btfOnly.message, '[12] DATASEC license size=0 vlen=1 size == 0');
    assert.match(btfOnly.title, /DATASEC `license` has size 0/);
    const both = analyzeLog(
      "[63] DATASEC .data size=0 vlen=11 size == 0\nProg section '2/7' rejected: Argument list too long (7)!\nVerifier analysis:\nprocessed 1000001 insns (limit 1000000)\n",
    ).findings;
    assert.notEqual(both[0].catalogId, 'btf-invalid');
    assert.ok(both.some((f) => f.catalogId === 'btf-invalid'));
  });
});
