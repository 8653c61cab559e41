// "eBPF: Show Verifier Log" documents: what folds and which `@ file:line` become links.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { logDocumentObject, logFoldingRanges, logSourceReferences, stripLinePrefixes } from '../../src/server/verifierLogDocument';

const log = readFileSync(path.resolve(__dirname, '../fixtures/verifier-editor/callback_return.kernel.log'), 'utf8');
const lines = log.split('\n');
const at = (needle: string) => lines.findIndex((l) => l.startsWith(needle));

describe('server: verifier log documents', () => {
  it("folds the program log, each verification path and each source line's instructions", () => {
    const folds = logFoldingRanges(log);
    const has = (start: number, end: number) => folds.some((f) => f.startLine === start && f.endLine === end);
    const begin = lines.findIndex((l) => l.includes('BEGIN PROG LOAD LOG'));
    const end = lines.findIndex((l) => l.includes('END PROG LOAD LOG'));
    assert.ok(has(begin, end), 'program log');
    // The path into the callback runs from `from 9 to 15:` up to the statistics.
    const path15 = at('from 9 to 15:');
    const stats = at('verification time');
    const callbackPath = folds.find((f) => f.startLine === path15);
    assert.ok(callbackPath && callbackPath.endLine < stats && callbackPath.endLine > path15, JSON.stringify(folds));
    // `; census->elements++; @ ...:20` folds its instructions, up to the next annotation.
    const annotation = at('; census->elements++;');
    assert.ok(has(annotation, at('; return *value;') - 1), JSON.stringify(folds));
    // Ranges nest: none starts inside another and ends outside it.
    for (const a of folds)
      for (const b of folds) {
        assert.ok(
          !(a.startLine < b.startLine && b.startLine <= a.endLine && b.endLine > a.endLine),
          `${JSON.stringify(a)} crosses ${JSON.stringify(b)}`,
        );
      }
  });

  it('never throws on text that is not a log', () => {
    assert.deepEqual(logFoldingRanges(''), []);
    assert.deepEqual(logFoldingRanges('from 1 to\n; @ x:\n-- END PROG LOAD LOG --\n'), []);
  });

  it('finds the `file:line` of every annotation with a real line', () => {
    const refs = logSourceReferences(log);
    const expected = lines.filter((l) => / @ callback_return\.bpf\.c:[1-9]\d*$/.test(l)).length;
    assert.equal(refs.length, expected);
    const first = refs[0];
    assert.equal(lines[first.line].slice(first.start, first.end), `${first.file}:${first.sourceLine}`);
    assert.equal(first.file, 'callback_return.bpf.c');
  });

  it('reads the object path back from a log document URI, encoded once or twice', () => {
    const object = '/work/a b/prog+x.bpf.o';
    assert.equal(logDocumentObject(`ebpf-verifier-log:/prog.verifier-log?object=${encodeURIComponent(object)}`), object);
    assert.equal(
      logDocumentObject(`ebpf-verifier-log:/prog.verifier-log?object%3D${encodeURIComponent(encodeURIComponent(object))}`),
      object,
    );
    assert.equal(logDocumentObject('ebpf-verifier-log:/prog.verifier-log'), '');
  });

  it("removes CI timestamps so a log pasted from a CI run parses like the kernel's", () => {
    const ci = log
      .split('\n')
      .map((l, i) => (l ? `2026-11-25T18:${String(i % 60).padStart(2, '0')}:00.1234567Z ${l}` : l))
      .join('\n');
    assert.equal(stripLinePrefixes(ci), log);
    assert.equal(stripLinePrefixes(log), log);
    const mixed = '2026-11-25T18:00:00Z one line only\nR1=ctx()\nplain\nplain';
    assert.equal(stripLinePrefixes(mixed), mixed);
  });
});
