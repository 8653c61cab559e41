// The catalog against the kernel's own format strings (src/core/verifier/families.json, extracted by
// scripts/extract-verifier-families.mjs): every error family must have an entry.
import * as assert from 'node:assert/strict';
import families from '../../src/core/verifier/families.json';
import { catalog, explainMessage, matchEntry } from '../../src/core/verifier';
import { sampleOf, type Family } from '../../src/core/verifier/families';
import { rootCauseCoverage } from '../../src/core/verifier/root-cause';

const all = (families as { families: Family[] }).families;
const kernelErrors = all.filter((f) => f.kind === 'error' && !f.fragment && !f.origin);
const libbpfErrors = all.filter((f) => f.origin === 'libbpf');

function coverage(list: Family[]) {
  const missing = list.filter((f) => !matchEntry(sampleOf(f)));
  return { ratio: 1 - missing.length / list.length, missing };
}

describe('verifier catalog vs. kernel format strings', () => {
  it('extracted a realistic number of families', () => {
    assert.ok(kernelErrors.length > 300, `only ${kernelErrors.length} kernel error families extracted`);
    assert.ok(libbpfErrors.length > 20, `only ${libbpfErrors.length} libbpf families extracted`);
  });

  it('covers >= 95% of the kernel verifier error families', () => {
    const { ratio, missing } = coverage(kernelErrors);
    assert.ok(
      ratio >= 0.95,
      `coverage ${(ratio * 100).toFixed(1)}%; no entry for:\n${missing.map((f) => `  ${f.source}: ${f.format}`).join('\n')}`,
    );
  });

  it('covers >= 95% of the libbpf error families', () => {
    const { ratio, missing } = coverage(libbpfErrors);
    assert.ok(ratio >= 0.95, `coverage ${(ratio * 100).toFixed(1)}%; no entry for:\n${missing.map((f) => `  ${f.format}`).join('\n')}`);
  });

  it('never matches state dumps, instructions or progress lines', () => {
    const chatter = [
      '0: R1=ctx() R10=fp0',
      '7: (85) call bpf_for_each_map_elem#164',
      '; bpf_for_each_map_elem(&counts, cb, &gctx, 0); @ seed.bpf.c:10',
      'processed 5 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0',
      'from 4 to 6: R0=map_value(map=counts,ks=4,vs=8) R10=fp0',
      'func#1 @12',
      'Validating cb() func#1...',
      'mark_precise: frame0: last_idx 5 first_idx 0 subseq_idx -1',
    ];
    for (const line of chatter) assert.equal(matchEntry(line), undefined, line);
  });

  it('every entry is complete: title, why, fix, example, docs link, unique id', () => {
    const ids = new Set<string>();
    for (const e of catalog) {
      assert.ok(!ids.has(e.id), `duplicate id ${e.id}`);
      ids.add(e.id);
      assert.match(e.id, /^[a-z0-9-]+$/);
      assert.ok(e.title.length > 5 && e.why.length > 40 && e.fix.length > 15, e.id);
      assert.ok(e.example && e.example.length > 10, `${e.id} has no example`);
      assert.match(e.docsUrl ?? '', /^https:\/\/(docs\.kernel\.org|docs\.ebpf\.io|libbpf\.readthedocs\.io)\//, e.id);
    }
  });
});

describe('root causes', () => {
  it('every cause a family can name runs, and every cause is named by some family', () => {
    assert.deepEqual(rootCauseCoverage(), { unordered: [], unnamed: [] });
  });
});

describe('explainMessage', () => {
  it('explains the for_each callback context error with the stack-variable fix', () => {
    const ex = explainMessage('R3 type=map_value expected=fp', { helper: 'bpf_for_each_map_elem' });
    assert.equal(ex.catalogId, 'arg-expected-stack');
    assert.match(ex.title, /callback context must be a stack pointer/);
    assert.match(ex.fix, /local|stack/);
    assert.match(ex.fixExample ?? '', /bpf_for_each_map_elem\(&my_map, cb, &c, 0\)/);
    assert.equal(ex.details.register, 'R3');
    assert.equal(ex.details.type, 'map_value');
    assert.equal(ex.details.expected, 'fp');
    assert.match(ex.explanation, /global/);
  });

  it('explains the callback return range with 0 / 1', () => {
    for (const line of [
      'At callback return the register R0 has unknown scalar value should have been in [0, 1]',
      'At callback return the register R0 has smin=0 smax=4294967295 should have been in [0, 1]',
      'At callback return the register R0 has value (0x2; 0x0) should have been in (0x0; 0x1)',
    ]) {
      const ex = explainMessage(line);
      assert.equal(ex.catalogId, 'callback-return-range', line);
      assert.match(ex.fix, /0 to continue.*1 to stop/);
      assert.equal(ex.details.register, 'R0');
    }
    assert.equal(
      explainMessage('At callback return the register R0 has unknown scalar value should have been in [0, 1]').details.range,
      '[0, 1]',
    );
  });

  it('picks the specific NULL entry over the generic access entry', () => {
    const ex = explainMessage("R0 invalid mem access 'map_value_or_null'");
    assert.equal(ex.catalogId, 'null-deref');
    assert.match(ex.explanation, /may be NULL/);
    assert.equal(explainMessage("R1 invalid mem access 'scalar'").catalogId, 'scalar-deref');
  });

  it('decodes helper names and ids', () => {
    const ex = explainMessage('unknown func bpf_ringbuf_output#130');
    assert.equal(ex.catalogId, 'helper-not-allowed');
    assert.equal(ex.details.helper, 'bpf_ringbuf_output');
    assert.equal(ex.details.helperId, '130');
    assert.match(ex.title, /bpf_ringbuf_output/);
  });

  it('gives unknown messages the generic hint and a null catalog id', () => {
    const ex = explainMessage('something the verifier will say in 2030');
    assert.equal(ex.catalogId, null);
    assert.ok(ex.fix.length > 20);
  });
});
