// The insight core (#13) on real data kept as fixtures (test/fixtures/insight/logs): the printer
// against bpftool's dump of the same xlated bytes, the log index against the kernel's counts, the
// stepper's states, the heat map's sums, and budgets with their per-build file.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  budgetFromLog,
  compareBudgets,
  describeBudget,
  formatComparison,
  lastStats,
  recordStats,
  secPrograms,
  type ProgramBudget,
} from '../../src/core/insight/budget';
import { decodeInsns, effectOfText, printInsn, type BpfInsn } from '../../src/core/insight/disasm';
import { heatMap } from '../../src/core/insight/heat';
import { formatListing, listFromLog, listXlated } from '../../src/core/insight/listing';
import { bufferSource, indexLog, LogIndexer } from '../../src/core/insight/logIndex';
import { Stepper } from '../../src/core/insight/stepper';
import type { ProgInsnsResult } from '../../src/protocol/types';

const LOGS = path.join(__dirname, '..', 'fixtures', 'insight', 'logs');
const read = (f: string) => fs.readFileSync(path.join(LOGS, f), 'utf8');

function encode(insns: BpfInsn[]): Uint8Array {
  const b = Buffer.alloc(insns.length * 8);
  insns.forEach((i, k) => {
    b.writeUInt8(i.code, k * 8);
    b.writeUInt8((i.src << 4) | i.dst, k * 8 + 1);
    b.writeInt16LE(i.off, k * 8 + 2);
    b.writeInt32LE(i.imm, k * 8 + 4);
  });
  return b;
}
const insn = (code: number, dst = 0, src = 0, off = 0, imm = 0): BpfInsn => ({ code, dst, src, off, imm });

describe('insight: instruction printer', () => {
  for (const name of ['simple', 'subprogs']) {
    it(`reprints ${name}'s xlated bytes exactly as bpftool printed them (instructions and line records)`, () => {
      const dump = JSON.parse(read(`${name}.xlated.json`)) as ProgInsnsResult;
      const theirs = read(`${name}.bpftool.txt`)
        .split('\n')
        .filter((l) => /^\s*\d+: \(|^; /.test(l))
        .map((l) => l.replace(/^; (.*) \[file:(.*) line_num:(\d+) line_col:\d+\]$/, '; $1 @ $2:$3').trimEnd());
      const ours = formatListing(listXlated(dump))
        .split('\n')
        .filter((l) => /^\s*\d+: \(|^; /.test(l));
      assert.deepEqual(ours, theirs);
    });
  }

  it('prints every instruction class the way kernel/bpf/disasm.c does', () => {
    const cases: [BpfInsn[], string][] = [
      [[insn(0x07, 2, 0, 0, -4)], '(07) r2 += -4'],
      [[insn(0x04, 1, 0, 0, 7)], '(04) w1 += 7'],
      [[insn(0xbc, 1, 2)], '(bc) w1 = w2'],
      [[insn(0xbf, 1, 2, 8)], '(bf) r1 = (s8)r2'],
      [[insn(0x3f, 1, 2, 1)], '(3f) r1 s/= r2'],
      [[insn(0x87, 3)], '(87) r3 = -r3'],
      [[insn(0x84, 3)], '(84) w3 = -w3'],
      [[insn(0xdc, 4, 0, 0, 16)], '(dc) r4 = be16 r4'],
      [[insn(0xd4, 4, 0, 0, 32)], '(d4) r4 = le32 r4'],
      [[insn(0xd7, 4, 0, 0, 64)], '(d7) r4 = bswap64 r4'],
      [[insn(0xc7, 5, 0, 0, 63)], '(c7) r5 s>>= 63'],
      [[insn(0x61, 1, 6, 112)], '(61) r1 = *(u32 *)(r6 +112)'],
      [[insn(0x91, 1, 10, -8)], '(91) r1 = *(s8 *)(r10 -8)'],
      [[insn(0x7b, 10, 1, -16)], '(7b) *(u64 *)(r10 -16) = r1'],
      [[insn(0x62, 10, 0, -4, 0)], '(62) *(u32 *)(r10 -4) = 0'],
      [[insn(0xdb, 1, 2, 0, 0x00)], '(db) lock *(u64 *)(r1 +0) += r2'],
      [[insn(0xc3, 1, 2, 8, 0x50)], '(c3) lock *(u32 *)(r1 +8) &= r2'],
      [[insn(0xdb, 1, 2, 0, 0x01)], '(db) r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)'],
      [[insn(0xdb, 1, 2, 0, 0xe1)], '(db) r2 = atomic64_xchg((u64 *)(r1 +0), r2)'],
      [[insn(0xdb, 1, 2, 0, 0xf1)], '(db) r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)'],
      [[insn(0x30, 0, 0, 0, 12)], '(30) r0 = *(u8 *)skb[12]'],
      [[insn(0x40, 0, 7, 0, 2)], '(40) r0 = *(u32 *)skb[r7 + 2]'],
      [[insn(0x18, 1, 0, 0, 0x1234), insn(0, 0, 0, 0, 1)], '(18) r1 = 0x100001234'],
      [[insn(0x18, 1, 1, 0, 42), insn(0)], '(18) r1 = 0x2a'],
      [[insn(0x85, 0, 0, 0, 1)], '(85) call unknown#1'],
      [[insn(0x85, 0, 1, 0, 5)], '(85) call pc+5'],
      [[insn(0x85, 0, 2, 0, 9)], '(85) call kernel-function#9'],
      [[insn(0x05, 0, 0, -3)], '(05) goto pc-3'],
      [[insn(0x06, 0, 0, 0, 100)], '(06) gotol pc+100'],
      [[insn(0xe5, 0, 0, 4)], '(e5) may_goto pc+4'],
      [[insn(0x95)], '(95) exit'],
      [[insn(0x15, 0, 0, 25, 0)], '(15) if r0 == 0x0 goto pc+25'],
      [[insn(0x25, 5, 0, 1, -1)], '(25) if r5 > 0xffffffff goto pc+1'],
      [[insn(0x2d, 1, 9, 2)], '(2d) if r1 > r9 goto pc+2'],
      [[insn(0x16, 1, 0, -2, 3)], '(16) if w1 == 0x3 goto pc-2'],
      [[insn(0xcd, 1, 2, 1)], '(cd) if r1 s< r2 goto pc+1'],
    ];
    for (const [insns, want] of cases) assert.equal(printInsn(decodeInsns(encode(insns)), 0), want);
    // Helper names when the caller knows them, as the verifier log prints them.
    const call = decodeInsns(encode([insn(0x85, 0, 0, 0, 1)]));
    assert.equal(
      printInsn(call, 0, { helperName: (id) => (id === 1 ? 'bpf_map_lookup_elem' : undefined) }),
      '(85) call bpf_map_lookup_elem#1',
    );
  });

  it('agrees with the verifier on instruction texts it printed (the liveness table of a level-2 log)', () => {
    // The log prints pre-rewrite instructions; its texts must at least parse as our effects.
    const index = new LogIndexer();
    index.push(Buffer.from(read('subprogs.level2.log')));
    const listing = index.end().programs[0].listing;
    assert.ok(listing.size > 20);
    for (const text of listing.values()) assert.match(text, /^\([0-9a-f]{2}\) /);
  });

  it('knows which registers and stack slots an instruction writes and reads', () => {
    assert.deepEqual(effectOfText('(79) r1 = *(u64 *)(r10 -8)'), { writes: ['r1'], reads: ['r10'], stackRead: 'fp-8' });
    assert.deepEqual(effectOfText('(7b) *(u64 *)(r10 -16) = r6'), { writes: [], reads: ['r10', 'r6'], stackWrite: 'fp-16' });
    assert.deepEqual(effectOfText('(0f) r5 += r3'), { writes: ['r5'], reads: ['r5', 'r3'] });
    assert.deepEqual(effectOfText('(85) call bpf_map_lookup_elem#1').writes, ['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
    assert.deepEqual(effectOfText('(25) if r5 > 0xa goto pc+1'), { writes: [], reads: ['r5'] });
  });
});

describe('insight: log index, stepper, heat map', () => {
  it('counts instruction lines and pruning points to the kernel processed count, whatever the chunk size', async () => {
    for (const name of ['loops', 'subprogs', 'simple']) {
      const text = read(`${name}.level2.log`);
      const index = await indexLog(bufferSource(text));
      const p = index.programs.find((x) => x.stats)!;
      assert.equal(p.endStep - p.firstStep + p.pruned, p.stats!.processedInsns, name);
      assert.equal(index.stepOffset.length, text.split('\n').filter((l) => /^\d+: \([0-9a-f]{2}\) /.test(l)).length, name);
      const small = await indexLog(bufferSource(text), 7);
      assert.deepEqual([...small.stepOffset], [...index.stepOffset], `${name}: 7-byte chunks`);
      assert.deepEqual([...small.stepLine], [...index.stepLine]);
      assert.equal(small.segments.length, index.segments.length);
    }
  });

  it("indexes level 2's explored branches: where each starts, which jump pushed it, how it ended", async () => {
    const index = await indexLog(bufferSource(read('loops.level2.log')));
    assert.ok(index.level2);
    const branches = index.segments.filter((s) => s.from !== undefined);
    assert.equal(branches.length, 3);
    for (const b of branches) {
      assert.ok(b.parentStep !== undefined && index.stepInsn[b.parentStep] === b.from, `branch ${b.from} -> ${b.to} pushed at its jump`);
      assert.ok(['pruned', 'exit'].includes(b.end));
    }
    assert.ok(index.segments.some((s) => s.end === 'pruned' && s.prunedAt !== undefined));
    assert.equal(index.segments[0].end, 'exit');
  });

  it('steps with the state before and after each instruction and what changed', async () => {
    const text = read('loops.level2.log');
    const index = await indexLog(bufferSource(text));
    const stepper = new Stepper(index, bufferSource(text));
    const first = await stepper.view(0);
    assert.equal(first.insn, 0);
    assert.deepEqual(first.before, { R1: 'ctx()', R10: 'fp0' });
    assert.ok(first.source?.line && first.source.file === 'loops.bpf.c');
    // The lookup (an array with a constant key: never NULL): r0 is a map value and r1-r5 are gone after the call.
    let calls = 0;
    for (let s = 0; s < 12; s++) {
      const v = await stepper.view(s);
      if (!/call bpf_map_lookup_elem/.test(v.text)) continue;
      calls++;
      assert.match(v.after.R0, /^map_value\(/);
      assert.equal(v.after.R1, undefined);
      assert.ok(v.changed.includes('R0') && v.changed.includes('R1'));
    }
    assert.equal(calls, 1);
    // A branch starts from the log's full state.
    const seg = index.segments.find((x) => x.from !== undefined)!;
    const v = await stepper.view(seg.firstStep);
    assert.equal(v.segment.from, seg.from);
    assert.ok(Object.keys(v.before).length >= 3);
    // The backward slice: where did the jump's register get its value?
    const jump = await stepper.view(seg.parentStep!);
    const reg = /if ([rw]\d+)/.exec(jump.text)![1];
    const def = await stepper.definition(seg.parentStep!, reg);
    assert.ok(def && def.step < seg.parentStep!);
    assert.match(def.text, new RegExp(`\\) r${reg.slice(1)} `));
  });

  it('heat map: visits per source line add up to the instruction lines, hottest first', async () => {
    const text = read('loops.level2.log');
    const index = await indexLog(bufferSource(text));
    const heat = heatMap(index, index.programs[0]);
    assert.equal(
      heat.lines.reduce((n, l) => n + l.visits, 0),
      heat.instructionLines,
    );
    for (let i = 1; i < heat.lines.length; i++) assert.ok(heat.lines[i - 1].visits >= heat.lines[i].visits);
    assert.match(heat.summary, /of loops\.bpf\.c took \d+% of the verifier's \d+ instruction visits/);
  });

  it('lists a rejected program from its log: the liveness table plus the annotations', async () => {
    const text = read('subprogs.level2.log');
    const index = await indexLog(bufferSource(text));
    const stepper = new Stepper(index, bufferSource(text));
    const listing = await listFromLog(index, index.programs[0], async (s) => (await stepper.readStepLines(s, s + 1))[0]);
    assert.equal(listing.origin, 'log');
    assert.ok(listing.insns.length >= index.programs[0].listing.size);
    assert.ok(listing.insns.some((i) => i.startsLine && i.file === 'subprogs.bpf.c'));
  });
});

describe('insight: complexity budgets', () => {
  it('reads the statistics lines of accepted (level 2) and rejected (level 4) logs', () => {
    const ok = budgetFromLog('subprogs', read('subprogs.level2.log'), 'accepted', 48);
    assert.equal(ok.processedInsns, 48);
    assert.equal(ok.verifiedInsns, 48);
    assert.equal(ok.stackDepth, undefined, 'stack depths are printed at level 4 only');
    assert.ok(ok.totalStates !== undefined && ok.peakStates !== undefined);
    const bad = budgetFromLog('too_complex', read('too-complex.level4.log'), 'rejected');
    assert.deepEqual(
      [bad.processedInsns, bad.totalStates, bad.peakStates, bad.verificationMicros, bad.error],
      [163839, 1644, 1644, 205349, 'The sequence of 8193 jumps is too complex.'],
    );
    assert.equal(describeBudget(bad), 'rejected: processed 163,839 / 1,000,000 insns · states 1,644 (peak 1,644) · stack 8 B · 205,349 µs');
  });

  it('compares two loads program by program, veristat-style', () => {
    const a: ProgramBudget[] = [{ name: 'x', verdict: 'accepted', processedInsns: 100, insnLimit: 1e6, totalStates: 10 }];
    const b: ProgramBudget[] = [
      { name: 'x', verdict: 'accepted', processedInsns: 12500, insnLimit: 1e6, totalStates: 12 },
      { name: 'y', verdict: 'rejected', processedInsns: 5, insnLimit: 1e6 },
    ];
    const rows = compareBudgets(a, b);
    assert.deepEqual(
      rows.map((r) => [r.name, r.insns, r.totalStates]),
      [
        ['x', 12400, 2],
        ['y', undefined, undefined],
      ],
    );
    const t = formatComparison(rows);
    assert.deepEqual(t.rows[0], ['x', 'success', 'success', '100', '12,500', '+12,400 (+12400.0%)', '10', '12', '+2 (+20.0%)']);
    assert.equal(describeBudget(b[0], a[0]), 'processed 12,500 / 1,000,000 insns (+12,400) · states 12 (peak -)');
  });

  it('finds the programs of a C file: SEC() and the function (or BPF_PROG macro) after it', () => {
    const text = [
      'SEC("tc")',
      'int count_packets(struct __sk_buff *skb)',
      '{ return 0; }',
      'SEC("tp_btf/sched_process_exec")',
      'int BPF_PROG(handle_exec, struct task_struct *p)',
      '{ return 0; }',
      'SEC("socket") int inline_one(void *ctx) { return 0; }',
      'struct { int x; } m SEC(".maps");',
    ].join('\n');
    assert.deepEqual(secPrograms(text), [
      { name: 'count_packets', line: 0 },
      { name: 'handle_exec', line: 3 },
      { name: 'inline_one', line: 6 },
    ]);
  });

  it('keeps the last two loads per object in the stats file beside the objects', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'insight-stats-'));
    try {
      const obj = path.join(dir, 'x.bpf.o');
      const one = recordStats(obj, [{ name: 'p', verdict: 'accepted', processedInsns: 1, insnLimit: 1e6 }], new Date(0));
      assert.equal(one.previous, undefined);
      recordStats(obj, [{ name: 'p', verdict: 'accepted', processedInsns: 2, insnLimit: 1e6 }], new Date(1000));
      const last = lastStats(obj)!;
      assert.equal(last.current.programs[0].processedInsns, 2);
      assert.equal(last.previous!.programs[0].processedInsns, 1);
      assert.ok(fs.existsSync(path.join(dir, '.ebpf-verifier-stats.json')));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
