// The decoder on material nobody on the team wrote (issue #9), scored on the held-out halves only
// (the tune halves may be looked at while improving it; see test/eval/verifier-eval.ts).
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { catalog } from '../../src/core/verifier';
import {
  formatFramings,
  formatLibbpf,
  formatSelftests,
  formatWild,
  scoreFramings,
  scoreLibbpfMessages,
  scoreSelftestMessages,
  scoreWildLogs,
} from '../eval/verifier-eval';

describe('verifier decoder on held-out material from others', () => {
  it('labels of the public logs name catalog entries that exist, and every error line is in its log', () => {
    const dir = path.join(__dirname, '..', 'fixtures', 'verifier-wild');
    const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as {
      logs: { id: string; file: string; truth: { catalogIds: string[]; errorLine: string[] } }[];
    };
    const ids = new Set(catalog.map((e) => e.id));
    for (const e of index.logs) {
      for (const id of e.truth.catalogIds) assert.ok(ids.has(id), `${e.id}: no catalog entry ${id}`);
      // Escaped newlines of a log inside a JSON or logfmt field are spaces on both sides.
      const flat = (t: string) => t.replace(/\\n|\\t/g, ' ').replace(/\s+/g, ' ');
      const text = flat(readFileSync(path.join(dir, e.file), 'utf8'));
      assert.ok(
        e.truth.errorLine.some((l) => text.includes(flat(l).trim())),
        `${e.id}: error line not in the log`,
      );
    }
  });

  it('logs from public issue threads: a finding at the real error line (target 94% not met), a specific entry (target 90% not met)', () => {
    const s = scoreWildLogs();
    console.log(formatWild(s));
    const h = s.heldout;
    assert.ok(h.total >= 254, `only ${h.total} held-out logs`);
    // NOT MET: issue #9 asks for >= 94% with a finding at the real error line. Measured 92.7%
    // (161/174) after round 8 (an error followed by instructions that start over ends its attempt,
    // logs quoted in mail read as printed); the decoder at the start of round 8 scored 92.0%
    // (160/174) on the same logs, and the 34 logs added in round 8 (held-out half) 97% on first
    // sight. This asserts the measured value so a change that loses ground fails.
    // Round 14 (this session's start): 93.8% of 224; its tune misses mended (quoted cuts, glued
    // messages, iproute2 BTF dumps): 94.2%. Rounds 15-16 added 14 held-out logs (loaders other than
    // libbpf, old kernels, summary-only EINVALs) that score 6/14 at the line (round 16 on first sight): 91.2% of 238.
    // Round 18 added 3 held-out logs, all at the line and specific on first sight: 90.6% of 254.
    assert.ok(h.errorLine / h.total >= 0.9, `error line ${h.errorLine}/${h.total} (issue #9 target 94%, measured 90.6% of 254)`);
    // NOT MET: issue #9 asks for >= 90% with a specific entry. Measured 85.6% (185/216; the 23 logs
    // added in round 13, most from Stack Overflow, were scored on first sight inside this); 87.0%
    // once libbpf's CO-RE poison call (`unknown#195896080`) was no longer read as an unknown helper.
    // 88.4% of 224 after this round's mends; 85.3% of 238 with rounds 15-16 (5/14 on first sight); 85.0% of 254.
    assert.ok(h.specific / h.total >= 0.845, `specific entry ${h.specific}/${h.total} (issue #9 target 90%, measured 85.0% of 254)`);
  });

  it('the same public logs as other programs pass them on (prefixed, indented, quoted, CRLF, in a logger field, HTML-escaped, coloured) give the same first finding', function () {
    this.timeout(60000);
    const s = scoreFramings();
    console.log(formatFramings(s));
    // Measured on the held-out half when this test was written; before the unframer peeled stacked
    // prefixes and read each logger field's lines as lines: compose 96.0%, kubectl 95.2%, journald
    // 96.0%, crlf 100%, indented 98.4%, quoted 96.0%, logrus 90.5% (of 126 logs with a finding; 133
    // with the logs of round 9, logrus 95.5%). Round 18 read logger lines as clang lines no more and
    // split a flattened log inside a field: logrus 96.3% -> 98.3% of 240.
    const floors: Record<string, number> = {
      compose: 0.98,
      kubectl: 0.98,
      journald: 0.98,
      crlf: 1,
      indented: 0.98,
      quoted: 0.99,
      logrus: 0.98,
      // Before lines were normalised (tune half): html 62%, nbsp 6%, ansi 63%, typographic 75%, buildkit 65%.
      html: 0.99,
      nbsp: 0.99,
      ansi: 0.99,
      typographic: 0.99,
      buildkit: 0.99,
    };
    for (const [name, floor] of Object.entries(floors)) {
      const h = s.heldout[name];
      assert.ok(h.same / h.total >= floor, `${name}: ${h.same}/${h.total} give the same finding (measured >= ${floor * 100}%)`);
    }
  });

  it('kernel selftest messages: >= 90% of the distinct messages map to a specific entry', () => {
    const s = scoreSelftestMessages();
    console.log(formatSelftests(s));
    assert.ok(s.heldout.total >= 200, `only ${s.heldout.total} held-out messages`);
    // Issue #9's target, met.
    assert.ok(s.heldout.specific / s.heldout.total >= 0.9, `specific ${s.heldout.specific}/${s.heldout.total} (issue #9: >= 90%)`);
  });

  it("libbpf's own messages: warnings give a finding with an entry, info and debug lines stay quiet", () => {
    const s = scoreLibbpfMessages();
    console.log(formatLibbpf(s));
    const h = s.heldout;
    assert.ok(h.warn >= 450 && h.info >= 100, `only ${h.warn} warning and ${h.info} info/debug formats held out`);
    // Before the libbpf families (attach, pinning, object file, linker, ...) and the wider warning
    // filter: 19.0% (87/459) of the held-out warnings gave a finding at their line, all with an
    // entry, and 94.6% (106/112) of the info/debug lines stayed quiet. Measured after: 65.4%
    // (300/459) and 92.9% (104/112). With warnings no pattern knows explained by the part of libbpf
    // they are about (last resort only): 76.5% (351/459) and 89.3% (100/112). With a finding in
    // libbpf's words for a failure-worded warning that no entry or subject knows (not counted as an
    // entry; BTF-code words excluded, libbpf prints those at debug level): 90.4% (415/459) at the
    // line, 78.9% with an entry, 86.6% (97/112) quiet.
    assert.ok(h.line / h.warn >= 0.9, `finding at the line ${h.line}/${h.warn} (measured 90.4%)`);
    assert.ok(h.entry / h.warn >= 0.78, `specific entry ${h.entry}/${h.warn} (measured 78.9%)`);
    assert.ok(h.quiet / h.info >= 0.86, `quiet ${h.quiet}/${h.info} (measured 86.6%)`);
  });
});
