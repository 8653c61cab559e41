// Broken programs from test/fixtures/verifier, compiled by real clang and loaded into the real
// kernel in this run. Each fixture states what the analysis must say: the catalog id in its
// header (`CATALOG: id`), the line where the verifier stopped (`EXPECT: primary`) and the
// root-cause line (`EXPECT: cause`) as comments in the source. Each fixture is loaded at log
// level 1 (what libbpf and bpftool print on failure) and at level 2 (the full trace), and both
// must give the same answer; `LEVELS: 1` in the header limits a fixture to level 1.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { analyzeLog, readLineInfo, type Analysis, type Finding } from '../../src/core/verifier';
import { requireKernel } from './requirements';
import { FixtureLoader, formatPrograms, restyledCopy, scorePrograms, sourcesOf } from './verifier-load';

const DIR = path.join(__dirname, '..', 'fixtures', 'verifier');

interface Expectation {
  name: string;
  file: string;
  source: string;
  catalogIds: string[];
  primary: number;
  cause?: number;
  levels: number[];
}

function expectations(): Expectation[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.bpf.c'))
    .sort()
    .map((file) => {
      const source = readFileSync(path.join(DIR, file), 'utf8');
      const lines = source.split('\n');
      const lineOf = (tag: string) => {
        const i = lines.findIndex((l) => new RegExp(String.raw`/\* EXPECT:[^*]*\b${tag}\b`).test(l));
        return i >= 0 ? i + 1 : undefined;
      };
      const ids = /CATALOG: ([\w -]+)/.exec(source)?.[1].trim().split(/\s+/) ?? [];
      const primary = lineOf('primary');
      if (!primary || ids.length === 0) throw new Error(`${file}: missing CATALOG or EXPECT: primary`);
      const levels = (/LEVELS: ([\d ]+)/.exec(source)?.[1] ?? '1 2').trim().split(/\s+/).map(Number);
      return { name: file.replace(/\.bpf\.c$/, ''), file, source, catalogIds: ids, primary, cause: lineOf('cause'), levels };
    });
}

function describeAnalysis(a: Analysis, text: string): string {
  const f = a.findings.map((x) => `${x.catalogId} ${x.file}:${x.line} "${x.message}" related=${JSON.stringify(x.related)}`).join('\n');
  return `findings:\n${f}\n--- log tail ---\n${text.split('\n').slice(-25).join('\n')}`;
}

describe('verifier findings on real broken programs', function () {
  const all = expectations();
  let loader: FixtureLoader;

  before(async function () {
    requireKernel(this);
    loader = new FixtureLoader();
    await loader.vmlinuxHeader();
  });
  after(async () => loader?.close());

  it(`has at least 40 distinct broken fixtures (${all.length})`, () => {
    assert.equal(new Set(all.map((e) => e.source)).size, all.length);
    assert.ok(all.length >= 40);
  });

  for (const ex of all)
    for (const level of ex.levels) {
      it(`${ex.name} (log level ${level}): ${ex.catalogIds[0]} at line ${ex.primary}${ex.cause ? `, cause at line ${ex.cause}` : ''}`, async function () {
        this.timeout(120000);
        // As `explain --source DIR` would: every C file of the fixture directory.
        const sources = sourcesOf(DIR);
        const built = await loader.compile(path.join(DIR, ex.file));
        let text = built.stderr;
        if (built.object) {
          const res = await loader.load(built.object, level);
          assert.equal(res.loaded, false, `${ex.file} loaded: the fixture is not broken on this kernel`);
          text = res.text;
        }
        // As the language server does: the loaded object's line info places what the log did not annotate.
        const lineInfo = built.object ? readLineInfo(readFileSync(built.object)) : undefined;
        const a = analyzeLog(text, { sources, lineInfo });
        const f: Finding | undefined = a.findings[0];
        const why = describeAnalysis(a, text);
        assert.ok(f, `no finding\n${why}`);
        assert.ok(
          ex.catalogIds.includes(f.catalogId ?? 'null'),
          `catalog id ${f.catalogId}, expected ${ex.catalogIds.join(' or ')}\n${why}`,
        );
        assert.equal(f.file, ex.file, why);
        assert.equal(f.line, ex.primary, `primary line\n${why}`);
        if (ex.cause) {
          const lines = [f.line, ...f.related.map((r) => r.line)];
          assert.ok(
            f.related.some((r) => r.line === ex.cause && r.file === ex.file) || (ex.cause === ex.primary && lines.includes(ex.cause)),
            `root cause line ${ex.cause} not among related ${JSON.stringify(f.related)}\n${why}`,
          );
        }
      });
    }
});

// Broken programs written the way other people write them (bcc habits, libbpf-bootstrap with
// vmlinux.h and CO-RE, cilium-style tc/xdp with __section, kfuncs, dynptrs, locks). They are
// scored, not asserted one by one: the held-out half (by hash of the file name, fixed before the
// decoder was tuned) is held to issue #9's targets where they are met (see the assertions).
const OTHERS = path.join(__dirname, '..', 'fixtures', 'verifier-others');

describe('verifier findings on broken programs written by others', function () {
  let loader: FixtureLoader;
  before(async function () {
    requireKernel(this);
    loader = new FixtureLoader();
    await loader.vmlinuxHeader();
  });
  after(async () => loader?.close());

  it('held-out programs: primary at the causing line, root cause among related locations, case-specific explanation (scored)', async function () {
    this.timeout(1200000);
    const sources = sourcesOf(OTHERS);
    const { all: scores, sets } = await scorePrograms(loader, OTHERS, sources);
    console.log(formatPrograms(scores));
    for (const [set, byHalf] of Object.entries(sets)) console.log(formatPrograms(byHalf, `  set ${set}:`));
    const h = scores.heldout;
    assert.ok(h.total >= 485, `only ${h.total} held-out programs`);
    // The held-out misses stay hidden unless asked for, so nobody tunes on them by accident.
    const msg = process.env.VERIFIER_EVAL_SHOW_HELDOUT ? `\n${h.misses.join('\n')}` : '';
    if (scores.tune.misses.length) console.log(`tune misses:\n  ${scores.tune.misses.join('\n  ')}`);
    // Issue #9's targets are NOT MET on the held-out half of all eighteen sets (286 programs). Each
    // line asserts the value measured when round 8 was written, so a change that loses ground fails;
    // none of them is the target. Sets 11-13 (round 8: data-plane edges, socket programs and CO-RE
    // tracing, mistakes made away from the refused line; 52 held out) scored 70-88% primary, 31-62%
    // root cause and 24-59% case-specific on first sight, so the aggregate is lower than round 7's
    // 88.7 / 78.8 / 75.7 on 177. The decoder at the start of round 8 scored 86.9% / 69.4% / 67.7% on
    // the same 229.
    // Sets 17-18 (round 10: data-plane bounds made away from the refused line, tracing and socket
    // declarations; 20 held out) scored 100/87.5/25.0 and 91.7/85.7/58.3 on first sight.
    // Sets 19-20 (round 11: memory bounds made away from the refused line; references, callbacks,
    // global functions, pointer ALU, return ranges; 19 held out) scored 100/88.9/22.2 and
    // 70.0/66.7/50.0 on first sight.
    // Round 12 measured the 305 of sets 1-20 on the kernel of 2026-12-07 at 88.9 / 72.3 / 68.9
    // (89.8 / 72.8 / 69.8 on the kernel before: the same decoder, other logs). Sets 21-22 (round 12:
    // bounds checked in inlined helpers and macros, references through goto, map definitions,
    // number dereferences, regions, stack, context; 22 held out) scored 100/83.3/75.0 and 100/90.0/30.0 on first
    // sight; set 23 (round 13: leaks in inlined helpers, map definitions, packets checked on the wrong pointer; 14 held out) 78.6/83.3/50.0; with the decoder of round 13 all 341 score 89.7 / 77.5 / 70.1.
    // Sets 24-28 (round 14: data planes, kfuncs, dynptrs, sockops, tracers, security agents and
    // beginners' programs; 51 held out) scored 94.1 / 80.4 / 78.4 on first sight; with the decoder of
    // round 14 the same 341 as before score 89.7 / 80.5 / 71.6, and all 392 score 90.3 / 80.5 / 73.0.
    // Sets 29-38 (round 15: data planes, observability tools, security agents and sockets, learners,
    // Go/Rust products, BCC ports, rare program types, ported code, students, newer kernel APIs; 93
    // held out) scored 95.7 / 79.6 / 78.5 on first sight (each set when it was added); with the
    // decoder of round 15 the 392 of sets 1-28 score 90.6 / 82.6 / 75.0 (90.3 / 80.5 / 73.0 before),
    // and all 485 score 91.5 / 82.1 / 76.3.
    // Target 80% case-specific, measured 76.3% on 485.
    assert.ok(h.caseSpecific / h.total >= 0.755, `case-specific ${h.caseSpecific}/${h.total} (issue #9 target 80%, measured 76.3%)${msg}`);
    // Target 90% root cause among the related locations, measured 82.1%.
    assert.ok(h.cause / h.withCause >= 0.815, `root cause ${h.cause}/${h.withCause} (issue #9 target 90%, measured 82.1%)${msg}`);
    // Target 97% primary diagnostic at the causing line, measured 91.5%.
    assert.ok(h.primary / h.total >= 0.91, `primary ${h.primary}/${h.total} (issue #9 target 97%, measured 91.5%)${msg}`);
  });

  // Other people build with other compilers: clang 20 and later emit 32-bit subregister code
  // (-mcpu=v3) by default, which changes the instructions, the registers the verifier reports
  // (w1, smax32) and often the message itself. The same programs, built that way, must be
  // explained as well as the way this machine's clang builds them.
  // Other people write C in other styles: braces on lines of their own, the return type above the
  // function's name, long statements wrapped. The decoder reads the sources (struct and function
  // definitions, checks, returns), so the same programs restyled must be explained as well.
  it('held-out programs restyled by clang-format (LLVM style, Allman braces, return types on their own line): the same measures (scored)', async function () {
    this.timeout(1200000);
    const dir = restyledCopy(OTHERS);
    try {
      const sources = sourcesOf(dir);
      const { all: scores, loaded } = await scorePrograms(loader, dir, sources, [], ['heldout']);
      console.log(formatPrograms(scores, `broken programs written by others, restyled (${loaded} load that way, left out):`));
      const h = scores.heldout;
      assert.ok(h.total >= 470, `only ${h.total} held-out programs restyled`);
      const msg = process.env.VERIFIER_EVAL_SHOW_HELDOUT ? `\n${h.misses.join('\n')}` : '';
      // The values measured when this test was written (RESTYLED FLOORS), not issue #9's targets.
      assert.ok(h.primary / h.total >= RESTYLED_FLOORS.primary, `restyled primary ${h.primary}/${h.total}${msg}`);
      assert.ok(h.cause / h.withCause >= RESTYLED_FLOORS.cause, `restyled root cause ${h.cause}/${h.withCause}${msg}`);
      assert.ok(h.caseSpecific / h.total >= RESTYLED_FLOORS.caseSpecific, `restyled case-specific ${h.caseSpecific}/${h.total}${msg}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('held-out programs built with -mcpu=v3 (32-bit subregisters, newer clang default): the same measures (scored)', async function () {
    this.timeout(1200000);
    const sources = sourcesOf(OTHERS);
    const { all: scores, loaded } = await scorePrograms(loader, OTHERS, sources, ['-mcpu=v3'], ['heldout']);
    console.log(formatPrograms(scores, `broken programs written by others, built with -mcpu=v3 (${loaded} load that way, left out):`));
    const h = scores.heldout;
    assert.ok(h.total >= 470, `only ${h.total} held-out programs fail to load when built with -mcpu=v3`);
    const msg = process.env.VERIFIER_EVAL_SHOW_HELDOUT ? `\n${h.misses.join('\n')}` : '';
    // The values measured when this test was written (v3 FLOORS), not issue #9's targets.
    assert.ok(h.primary / h.total >= V3_FLOORS.primary, `-mcpu=v3 primary ${h.primary}/${h.total}${msg}`);
    assert.ok(h.cause / h.withCause >= V3_FLOORS.cause, `-mcpu=v3 root cause ${h.cause}/${h.withCause}${msg}`);
    assert.ok(h.caseSpecific / h.total >= V3_FLOORS.caseSpecific, `-mcpu=v3 case-specific ${h.caseSpecific}/${h.total}${msg}`);
  });
});

/** Held-out scores of the restyled programs, as measured (see the test). */
// Measured: 90.9% / 81.6% / 76.1% of 485 (the same programs as written: 91.5% / 82.1% / 76.3%).
const RESTYLED_FLOORS = { primary: 0.905, cause: 0.81, caseSpecific: 0.755 };

/** Held-out scores of the programs built with -mcpu=v3, as measured (see the test). */
// Measured: 90.7% / 82.1% / 76.1% of 485.
const V3_FLOORS = { primary: 0.9, cause: 0.815, caseSpecific: 0.755 };
