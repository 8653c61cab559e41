// Issue #11: the parser's memory and work are bounded by the caps, whatever the input: a single
// endless line is cut, findings and program logs past their caps are counted, not kept. The sizes
// are generated here; how long they take is measured by the benchmark, not by this test.
import * as assert from 'node:assert/strict';
import { analyzeLog, createLogParser, LineSplitter } from '../../src/core/verifier';

const STATS = 'processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0';

describe('verifier parser bounds', () => {
  it('cuts a 40 MB line at 64 KiB, pushed whole or in 1 MiB chunks, and still reads the lines after it', () => {
    const long = 'x'.repeat(40 * 1024 * 1024);
    const log = `${long}\n0: (95) exit\nR0 !read_ok\n${STATS}\n`;
    const whole = analyzeLog(log);
    assert.equal(whole.omitted?.longLines, 1);
    assert.equal(whole.findings[0]?.catalogId, 'invalid-register');
    const p = createLogParser();
    for (let i = 0; i < log.length; i += 1 << 20) p.push(log.slice(i, i + (1 << 20)));
    const chunked = p.end();
    assert.equal(chunked.omitted?.longLines, 1);
    assert.equal(chunked.findings[0]?.message, whole.findings[0]?.message);
  });

  it('keeps 1000 findings and program logs of 20,000 rejected programs and says how many more there were', () => {
    const one = (i: number) =>
      `libbpf: prog 'p${i}': -- BEGIN PROG LOAD LOG --\n0: R1=ctx() R10=fp0\n0: (95) exit\nR0 !read_ok\n${STATS}\nlibbpf: prog 'p${i}': -- END PROG LOAD LOG --\n`;
    const a = analyzeLog(Array.from({ length: 20000 }, (_, i) => one(i)).join(''));
    assert.equal(a.findings.length, 1000);
    assert.equal(a.programs.length, 1000);
    assert.equal(a.omitted?.findings, 19000);
    assert.equal(a.omitted?.programs, 19000);
    assert.equal(a.findings[999].program, 'p999');
  });

  it('LineSplitter holds no more than the cap of an unfinished line', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), 10);
    s.push('abcdefghijklmnop');
    s.push('qrstuvwxyz\nshort\r\n');
    s.end();
    assert.deepEqual(lines, ['abcdefghij', 'short']);
    assert.equal(s.longLines, 1);
  });
});
