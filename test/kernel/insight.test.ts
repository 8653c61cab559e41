// Seeing what the verifier saw (#13), on real programs in the running kernel: the complexity
// budget of `ebpf-workbench stats` equals the kernel's own numbers, `disasm` prints what bpftool
// prints, the heat map of a program rejected for complexity has the loop on top, and the stepper's
// states are the log's. The CLI runs bundled, as a user runs it.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HelperClientError, type HelperClient } from '../../src/core/connection/client';
import { heatMap } from '../../src/core/insight/heat';
import { bufferSource, indexLog } from '../../src/core/insight/logIndex';
import { Stepper } from '../../src/core/insight/stepper';
import { parseRegisterState } from '../../src/core/verifier/parse';
import type { LoadFailureDetails } from '../../src/protocol/types';
import { buildHelperBpf, bundleCli, compileBpf, mountBpffsLikeBpftool, repoRoot, startHelper, tempDir } from './helper-support';
import { requireKernel } from './requirements';

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'insight');

const compile = (dir: string, name: string): string => compileBpf(path.join(FIXTURES, `${name}.bpf.c`), dir);

/** bpftool's xlated dump with line numbers, parsed: per instruction its text and the line record covering it. */
function bpftoolXlated(id: number): { index: number; text: string; file?: string; line?: number; starts: boolean }[] {
  const text = execFileSync('bpftool', ['prog', 'dump', 'xlated', 'id', String(id), 'linum'], { encoding: 'utf8' });
  const out: { index: number; text: string; file?: string; line?: number; starts: boolean }[] = [];
  let rec: { file: string; line: number } | undefined;
  let fresh = false;
  for (const l of text.split('\n')) {
    let m = /^; .* \[file:(.*) line_num:(\d+) line_col:\d+\]$/.exec(l);
    if (m) {
      rec = { file: m[1], line: Number(m[2]) };
      fresh = true;
      continue;
    }
    m = /^\s*(\d+): (\(.*)$/.exec(l);
    if (m) {
      out.push({ index: Number(m[1]), text: m[2], file: rec?.file, line: rec?.line, starts: fresh });
      fresh = false;
    }
  }
  return out;
}

/** Loads with the helper at `logLevel` and returns the rejected program's log. */
async function rejectedLog(client: HelperClient, object: string, logLevel: number): Promise<string> {
  try {
    const r = await client.loadObject({ path: object, logLevel });
    await client.unloadObject(r.handle);
  } catch (e) {
    if (e instanceof HelperClientError && e.data.code === 'VERIFIER_REJECTED') return (e.data.details as LoadFailureDetails).verifierLog;
    throw e;
  }
  throw new Error(`${object} loaded, but the test needs it rejected`);
}

describe('insight: budgets, instructions, heat map, stepper (real kernel)', function () {
  const outDir = path.join(repoRoot, 'out', 'test-insight-cli');
  const pinRoot = `/sys/fs/bpf/ebpf-test-insight-${process.pid}`;
  let dir: string;
  let objects: Record<'simple' | 'loops' | 'subprogs' | 'tooComplex', string>;
  let client: HelperClient;

  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [path.join(outDir, 'cli.js'), ...args], {
      encoding: 'utf8',
      timeout: 120_000,
      maxBuffer: 64 << 20,
    });
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };

  before(async function () {
    requireKernel(this);
    this.timeout(120_000);
    buildHelperBpf();
    dir = tempDir();
    objects = {
      simple: compile(dir, 'simple'),
      loops: compile(dir, 'loops'),
      subprogs: compile(dir, 'subprogs'),
      tooComplex: compile(dir, 'too-complex'),
    };
    await bundleCli(outDir);
    client = startHelper().client;
  });

  after(async () => {
    await client?.dispose();
    fs.rmSync(pinRoot, { recursive: true, force: true });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  it('stats: processed instructions, states and stack depths equal the kernel numbers (bpftool -d, bpf_prog_info) for simple, loop-heavy and subprogram programs', function () {
    this.timeout(120_000);
    for (const name of ['simple', 'loops', 'subprogs'] as const) {
      const ours = JSON.parse(cli('stats', objects[name], '--json')) as {
        programs: {
          name: string;
          verdict: string;
          processedInsns: number;
          totalStates: number;
          peakStates: number;
          stackDepth: number[];
          verifiedInsns: number;
          verificationMicros: number;
        }[];
      };
      // bpftool -d loads with log level 1|2|4 and prints the kernel's statistics lines for each program.
      const pin = `${pinRoot}-${name}`;
      mountBpffsLikeBpftool();
      const r = spawnSync('bpftool', ['-d', 'prog', 'loadall', objects[name], pin], { encoding: 'utf8', maxBuffer: 256 << 20 });
      fs.rmSync(pin, { recursive: true, force: true });
      assert.equal(r.status, 0, r.stderr.slice(-2000));
      const stats = [
        ...r.stderr.matchAll(/^processed (\d+) insns \(limit \d+\) max_states_per_insn \d+ total_states (\d+) peak_states (\d+)/gm),
      ];
      const depths = [...r.stderr.matchAll(/^stack depth ([\d+]+)$/gm)];
      assert.equal(ours.programs.length, 1, name);
      assert.equal(stats.length, 1, `${name}: bpftool printed ${stats.length} statistics lines`);
      const p = ours.programs[0];
      assert.equal(p.verdict, 'accepted');
      assert.equal(p.processedInsns, Number(stats[0][1]), `${name}: processed`);
      assert.equal(p.processedInsns, p.verifiedInsns, `${name}: equals bpf_prog_info.verified_insns`);
      assert.equal(p.totalStates, Number(stats[0][2]), `${name}: total_states`);
      assert.equal(p.peakStates, Number(stats[0][3]), `${name}: peak_states`);
      assert.deepEqual(p.stackDepth, depths[0][1].split('+').map(Number), `${name}: stack depth`);
      assert.ok(p.verificationMicros > 0);
    }
    const sub = JSON.parse(cli('stats', objects.subprogs, '--json')).programs[0];
    assert.equal(sub.stackDepth.length, 3, 'main program and two subprograms');
    const loops = JSON.parse(cli('stats', objects.loops, '--json')).programs[0];
    assert.ok(loops.processedInsns > 1000, 'the loop is walked iteration by iteration');
  });

  it('stats of two objects: a veristat-style comparison with the difference', function () {
    this.timeout(60_000);
    const out = JSON.parse(cli('stats', objects.simple, objects.loops, '--json')) as {
      comparison: {
        name: string;
        before?: { processedInsns: number };
        after?: { processedInsns: number };
        delta: { processedInsns?: number };
      }[];
    };
    // Different program names: one row for each, no difference.
    assert.deepEqual(out.comparison.map((r) => r.name).sort(), ['loops', 'simple']);
    const table = cli('stats', objects.loops, objects.loops);
    assert.match(table, /^Program\s+Verdict \(A\)\s+Verdict \(B\)\s+Insns \(A\)\s+Insns \(B\)\s+Insns \(DIFF\)/);
    assert.match(table, /loops\s+success\s+success\s+[\d,]+\s+[\d,]+\s+±0 \(\+0\.0%\)/);
  });

  it('stats of a rejected program: its verdict, error and the log numbers', function () {
    this.timeout(120_000);
    const p = JSON.parse(cli('stats', objects.tooComplex, '--json')).programs[0];
    assert.equal(p.verdict, 'rejected');
    assert.match(p.error, /The sequence of 8193 jumps is too complex/);
    assert.ok(p.processedInsns > 100_000 && p.totalStates > 1000, JSON.stringify(p));
  });

  it('disasm: every instruction and line record equals bpftool prog dump xlated linum', async function () {
    this.timeout(120_000);
    for (const name of ['simple', 'loops', 'subprogs'] as const) {
      const pin = `${pinRoot}-${name}`;
      mountBpffsLikeBpftool();
      execFileSync('bpftool', ['prog', 'loadall', objects[name], pin]);
      try {
        const shown = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show', 'pinned', path.join(pin, name)], { encoding: 'utf8' }));
        const theirs = bpftoolXlated(shown.id);
        const ours = JSON.parse(cli('disasm', String(shown.id), '--json')).programs[0].insns as {
          index: number;
          text: string;
          file?: string;
          line?: number;
        }[];
        assert.ok(theirs.length > 3, `${name}: bpftool printed instructions`);
        assert.deepEqual(
          ours.map((i) => `${i.index}: ${i.text} @ ${i.file}:${i.line}`),
          theirs.map((i) => `${i.index}: ${i.text} @ ${i.file}:${i.line}`),
          name,
        );
        if (name === 'subprogs')
          assert.ok(
            ours.some((i) => /call pc[+-]\d+#bpf_prog_\w+/.test(i.text)),
            'subprogram calls named',
          );
        // The text form interleaves source lines the way the document shows them.
        const text = cli('disasm', String(shown.id));
        assert.match(text, new RegExp(`^${name}:\\n; .* @ .*${name}\\.bpf\\.c:\\d+\\n\\s+0: \\(`, 'm'));
      } finally {
        fs.rmSync(pin, { recursive: true, force: true });
      }
    }
  });

  it('disasm of an object that is rejected lists its instructions from the level-2 log', function () {
    this.timeout(120_000);
    const out = JSON.parse(cli('disasm', objects.tooComplex, '--json')).programs[0];
    assert.equal(out.origin, 'log');
    assert.ok(out.insns.length > 10);
    assert.ok(
      out.insns.every((i: { text: string }) => /^\([0-9a-f]{2}\) /.test(i.text)),
      'kernel-printed instructions',
    );
    assert.ok(out.insns.some((i: { line?: number }) => i.line && i.line > 0));
  });

  it('heat map of a program rejected for complexity: the loop lines on top, visits add up to the instruction lines', async function () {
    this.timeout(180_000);
    const log = await rejectedLog(client, objects.tooComplex, 2);
    const file = path.join(dir, 'too-complex.level2.log');
    fs.writeFileSync(file, log);
    const heat = JSON.parse(cli('explain', file, '--heat', '--json')) as {
      instructionLines: number;
      programs: {
        name: string;
        instructionLines: number;
        processedInsns: number;
        pruned: number;
        lines: { file: string; line: number; visits: number }[];
        summary: string;
      }[];
    };
    const instructionLines = log.split('\n').filter((l) => /^\d+: \([0-9a-f]{2}\) /.test(l)).length;
    assert.equal(heat.instructionLines, instructionLines);
    const p = heat.programs[0];
    assert.equal(
      p.lines.reduce((n, l) => n + l.visits, 0),
      instructionLines,
    );
    assert.equal(p.instructionLines + p.pruned, p.processedInsns, 'instruction lines + pruning points = the kernel count');
    // The loop: the `for` line and its body, lines 25-29 of the fixture.
    const source = fs.readFileSync(path.join(FIXTURES, 'too-complex.bpf.c'), 'utf8').split('\n');
    const loopStart = source.findIndex((l) => /for \(__u64 i = 0; i < v\[16\]; i\+\+\)/.test(l)) + 1;
    const top = p.lines.slice(0, 4).map((l) => l.line);
    assert.deepEqual(
      [...top].sort((a, b) => a - b),
      [loopStart, loopStart + 1, loopStart + 2, loopStart + 3],
      `top lines ${top} are the loop ${loopStart}-${loopStart + 3}`,
    );
    assert.match(p.summary, new RegExp(`lines ${loopStart}-${loopStart + 3} of too-complex\\.bpf\\.c took (9\\d|100)%`));
    // The finding names the run-time bound `v[16]` and where `v` is set (the lookup), not `v` alone.
    // (explain exits 1 when it has findings.)
    const run = spawnSync(process.execPath, [path.join(outDir, 'cli.js'), 'explain', file, '--source', FIXTURES, '--json'], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 1, run.stderr);
    const explained = JSON.parse(run.stdout) as {
      findings: { explanation: string; related: { line: number; message: string }[] }[];
    };
    const lookup = source.findIndex((l) => l.includes('bpf_map_lookup_elem(&table')) + 1;
    const f = explained.findings[0];
    assert.match(f.explanation, /bounded by `v\[16\]`/);
    assert.ok(
      f.related.some((r) => r.line === lookup && /`v\[16\]` is read through it/.test(r.message)),
      JSON.stringify(f.related),
    );
  });

  it("stepper: the state before each instruction holds every register the log printed there; branches start from the log's full state", async function () {
    this.timeout(120_000);
    // A level-2 log of the loop program: many explored branches and pruning points.
    const r = await client.loadObject({ path: objects.loops, logLevel: 2 });
    const log = r.programs[0].log ?? '';
    await client.unloadObject(r.handle);
    const index = await indexLog(bufferSource(log));
    const stepper = new Stepper(index, bufferSource(log));
    const program = index.programs[0];
    assert.ok(index.segments.length > 10 && program.pruned > 0, 'branches explored and pruned');

    // Independently from the log text: the state lines printed right before each instruction line.
    const lines = log.split('\n');
    const printed: { step: number; state: Map<string, string>; full: boolean }[] = [];
    let step = -1;
    let pending: { state: Map<string, string>; full: boolean }[] = [];
    for (const l of lines) {
      const from = /^from \d+ to \d+: (R.*)$/.exec(l);
      const at = /^\d+: (R\d.*)$/.exec(l);
      if (from) pending = [{ state: parseRegisterState(from[1]), full: true }];
      else if (at) pending.push({ state: parseRegisterState(at[1]), full: false });
      else if (/^\d+: \([0-9a-f]{2}\) /.test(l)) {
        step++;
        for (const p of pending) printed.push({ step, ...p });
        pending = [];
      }
    }
    assert.equal(step + 1, index.stepOffset.length, 'the index counts every instruction line');
    assert.ok(printed.length > 20);
    let compared = 0;
    for (const p of printed) {
      const view = await stepper.view(p.step);
      for (const [name, value] of p.state) {
        assert.equal(view.before[name], value, `step ${p.step} (insn ${view.insn}): ${name}`);
        compared++;
      }
      if (p.full) {
        const segStart = index.segments[index.stepSegment[p.step]].firstStep === p.step;
        assert.ok(segStart, `a from-line starts a branch at step ${p.step}`);
      }
    }
    assert.ok(compared > 100, `${compared} register values compared`);

    // Forward from the error of a rejected log, and the backward slice lands on a writer of the register.
    const errLog = await rejectedLog(client, objects.tooComplex, 1);
    const errIndex = await indexLog(bufferSource(errLog));
    const errStepper = new Stepper(errIndex, bufferSource(errLog));
    const at = errStepper.initialStep()!;
    const view = await errStepper.view(at);
    assert.match(view.error ?? '', /too complex/);
    const reg = Object.keys(view.before).find((k) => /^R[0-9]$/.test(k) && k !== 'R10')!;
    const def = await errStepper.definition(at, reg);
    assert.ok(def && def.step < at, `definition of ${reg}`);
    assert.match(def.text, new RegExp(`\\) [rw]${reg.slice(1)} |call `));
    assert.ok(heatMap(errIndex, errIndex.programs[0]).lines[0].visits > 1000);
  });
});
