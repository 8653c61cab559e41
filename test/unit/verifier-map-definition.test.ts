// Issue #9: a map the kernel refuses to create (libbpf: `map 'x': failed to create: Invalid
// argument(-22)`) says nothing of why; the definition's attribute that breaks the kernel's
// map_alloc_check rules is the line to point at. (Each rule was checked on the real kernel.)
import * as assert from 'node:assert/strict';
import { mapDefinitionProblem } from '../../src/core/verifier/source-hints';

/** The line and the first words of why, for a definition ending at its `} name SEC(".maps")` line. */
function problem(def: string): [string, string] | undefined {
  const lines = def.split('\n');
  const end = lines.findIndex((l) => /SEC\("\.maps"\)/.test(l)) + 1;
  const p = mapDefinitionProblem(new Map([['m.bpf.c', def]]), 'm.bpf.c', end);
  return p ? [lines[p.line - 1].trim(), p.why] : undefined;
}

const map = (...attrs: string[]) => `struct {\n${attrs.map((a) => `\t${a}\n`).join('')}} m SEC(".maps");`;

describe('verifier map definitions the kernel refuses', () => {
  it('queues, stacks and bloom filters have no key', () => {
    const p = problem(map('__uint(type, BPF_MAP_TYPE_QUEUE);', '__type(key, __u32);', '__type(value, __u64);', '__uint(max_entries, 64);'));
    assert.equal(p?.[0], '__type(key, __u32);');
    assert.match(p![1], /has no key/);
  });

  it('local storage needs BPF_F_NO_PREALLOC and no max_entries; an LPM trie needs BPF_F_NO_PREALLOC; arrays refuse it', () => {
    assert.equal(
      problem(map('__uint(type, BPF_MAP_TYPE_TASK_STORAGE);', '__type(key, int);', '__type(value, __u64);'))?.[0],
      '__uint(type, BPF_MAP_TYPE_TASK_STORAGE);',
    );
    assert.equal(
      problem(
        map(
          '__uint(type, BPF_MAP_TYPE_SK_STORAGE);',
          '__uint(map_flags, BPF_F_NO_PREALLOC);',
          '__uint(max_entries, 1024);',
          '__type(key, int);',
          '__type(value, __u64);',
        ),
      )?.[0],
      '__uint(max_entries, 1024);',
    );
    assert.equal(
      problem(map('__uint(type, BPF_MAP_TYPE_LPM_TRIE);', '__uint(max_entries, 16);', '__type(key, __u64);', '__type(value, __u8);'))?.[0],
      '__uint(type, BPF_MAP_TYPE_LPM_TRIE);',
    );
    assert.equal(
      problem(
        map(
          '__uint(type, BPF_MAP_TYPE_ARRAY);',
          '__uint(map_flags, BPF_F_NO_PREALLOC);',
          '__uint(max_entries, 16);',
          '__type(key, __u32);',
          '__type(value, __u64);',
        ),
      )?.[0],
      '__uint(map_flags, BPF_F_NO_PREALLOC);',
    );
  });

  it('max_entries: 0 or missing is refused, computed sizes and #defines are evaluated', () => {
    assert.equal(
      problem(map('__uint(type, BPF_MAP_TYPE_HASH);', '__type(key, __u32);', '__type(value, __u64);'))?.[0],
      '__uint(type, BPF_MAP_TYPE_HASH);',
    );
    assert.equal(
      problem(
        `#define SLOTS 0\n${map('__uint(type, BPF_MAP_TYPE_HASH);', '__uint(max_entries, SLOTS);', '__type(key, __u32);', '__type(value, __u64);')}`,
      )?.[0],
      '__uint(max_entries, SLOTS);',
    );
    assert.equal(problem(map('__uint(type, BPF_MAP_TYPE_RINGBUF);', '__uint(max_entries, 256 * 1024);')), undefined);
    assert.equal(problem(map('__uint(type, BPF_MAP_TYPE_RINGBUF);', '__uint(max_entries, 1 << 18);')), undefined);
    assert.equal(
      problem(map('__uint(type, BPF_MAP_TYPE_RINGBUF);', '__uint(max_entries, 4096 * 3);'))?.[0],
      '__uint(max_entries, 4096 * 3);',
    );
    // Nothing to say of a definition the kernel accepts.
    assert.equal(
      problem(map('__uint(type, BPF_MAP_TYPE_HASH);', '__uint(max_entries, 1024);', '__type(key, __u32);', '__type(value, __u64);')),
      undefined,
    );
  });
});
