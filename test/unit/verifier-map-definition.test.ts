// Issue #9: a map the kernel refuses to create (libbpf: `map 'x': failed to create: Invalid
// argument(-22)`) says nothing of why; the definition's attribute that breaks the kernel's
// map_alloc_check rules is the line to point at. (Each rule was checked on the real kernel.)
import * as assert from 'node:assert/strict';
import { analyzeLog } from '../../src/core/verifier';
import { mapAttributeLine, mapDefinitionProblem, typeSize } from '../../src/core/verifier/source-hints';

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

  it('key and value sizes per map type, sizeof() included; flags only some types take; inner maps', () => {
    const first = (...attrs: string[]) => problem(map(...attrs))?.[0];
    const sv = 'struct sv {\n\t__u64 cookie;\n\t__u64 when;\n};\n';
    assert.equal(
      problem(
        sv + map('__uint(type, BPF_MAP_TYPE_SOCKMAP);', '__uint(max_entries, 4);', '__type(key, __u32);', '__type(value, struct sv);'),
      )?.[0],
      '__type(value, struct sv);',
    );
    assert.equal(
      first('__uint(type, BPF_MAP_TYPE_DEVMAP);', '__uint(max_entries, 4);', '__type(key, __u32);', '__type(value, __u32);'),
      undefined,
    );
    assert.equal(
      first('__uint(type, BPF_MAP_TYPE_STACK_TRACE);', '__uint(max_entries, 64);', '__type(key, __u32);', '__type(value, __u32[127]);'),
      '__type(value, __u32[127]);',
    );
    assert.equal(
      first(
        '__uint(type, BPF_MAP_TYPE_STACK_TRACE);',
        '__uint(max_entries, 64);',
        '__uint(key_size, sizeof(__u32));',
        '__uint(value_size, 127 * sizeof(__u64));',
      ),
      undefined,
    );
    assert.equal(
      first(
        '__uint(type, BPF_MAP_TYPE_ARRAY);',
        '__uint(max_entries, 64);',
        '__uint(key_size, sizeof(__u64));',
        '__uint(value_size, sizeof(__u64));',
      ),
      '__uint(key_size, sizeof(__u64));',
    );
    assert.equal(
      first(
        '__uint(type, BPF_MAP_TYPE_TASK_STORAGE);',
        '__uint(map_flags, BPF_F_NO_PREALLOC);',
        '__type(key, __u64);',
        '__type(value, __u32);',
      ),
      '__type(key, __u64);',
    );
    assert.equal(
      first(
        '__uint(type, BPF_MAP_TYPE_LPM_TRIE);',
        '__uint(map_flags, BPF_F_NO_PREALLOC);',
        '__uint(max_entries, 16);',
        '__type(key, __u32);',
        '__type(value, __u8);',
      ),
      '__type(key, __u32);',
    );
    for (const [type, flag] of [
      ['BPF_MAP_TYPE_HASH', 'BPF_F_MMAPABLE'],
      ['BPF_MAP_TYPE_HASH', 'BPF_F_NO_COMMON_LRU'],
      ['BPF_MAP_TYPE_LRU_HASH', 'BPF_F_NO_PREALLOC'],
    ])
      assert.equal(
        first(
          `__uint(type, ${type});`,
          `__uint(map_flags, ${flag});`,
          '__uint(max_entries, 16);',
          '__type(key, __u32);',
          '__type(value, __u64);',
        ),
        `__uint(map_flags, ${flag});`,
      );
    assert.equal(
      first('__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);', '__uint(max_entries, 4);', '__type(key, __u32);', '__type(value, __u32);'),
      '__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);',
    );
    // A bpf_spin_lock may not live in an LRU hash (EOPNOTSUPP on this kernel).
    const locked = 'struct val {\n\tstruct bpf_spin_lock lock;\n\t__u64 n;\n};\n';
    assert.match(
      problem(
        locked +
          map('__uint(type, BPF_MAP_TYPE_LRU_HASH);', '__uint(max_entries, 4);', '__type(key, __u32);', '__type(value, struct val);'),
      )![1],
      /bpf_spin_lock may only live in the value of a HASH, ARRAY or local storage map/,
    );
  });

  it('keys and values of no bytes, per-CPU values past 32 KiB written as arrays, anonymous structs sized in place, read-only and write-only at once', () => {
    const hash = (...a: string[]) => map('__uint(type, BPF_MAP_TYPE_HASH);', '__uint(max_entries, 64);', ...a);
    assert.equal(problem(hash('__type(key, struct {});', '__type(value, __u64);'))?.[0], '__type(key, struct {});');
    assert.equal(problem(hash('__type(key, __u32);', '__uint(value_size, 0);'))?.[0], '__uint(value_size, 0);');
    const percpu = problem(
      map('__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);', '__uint(max_entries, 1);', '__type(key, __u32);', '__type(value, char[65536]);'),
    );
    assert.equal(percpu?.[0], '__type(value, char[65536]);');
    assert.match(percpu![1], /65536 bytes/);
    const lpm = problem(
      map(
        '__uint(type, BPF_MAP_TYPE_LPM_TRIE);',
        '__uint(max_entries, 64);',
        '__uint(map_flags, BPF_F_NO_PREALLOC);',
        '__type(key, struct { __u32 prefixlen; __u8 data[300]; });',
        '__type(value, __u64);',
      ),
    );
    assert.equal(lpm?.[0], '__type(key, struct { __u32 prefixlen; __u8 data[300]; });');
    const devmap = problem(
      map(
        '__uint(type, BPF_MAP_TYPE_DEVMAP);',
        '__uint(max_entries, 8);',
        '__type(key, __u32);',
        '__type(value, struct { __u32 a; __u32 b; __u32 c; });',
      ),
    );
    assert.equal(devmap?.[0], '__type(value, struct { __u32 a; __u32 b; __u32 c; });');
    const flags = problem(
      hash('__uint(map_flags, BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);', '__type(key, __u32);', '__type(value, __u64);'),
    );
    assert.equal(flags?.[0], '__uint(map_flags, BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);');
    assert.match(flags![1], /the program may neither read nor write/);
    // Each flag alone is fine.
    assert.equal(problem(hash('__uint(map_flags, BPF_F_RDONLY_PROG);', '__type(key, __u32);', '__type(value, __u64);')), undefined);
  });

  it("libbpf's other words about a map name the attribute they are about", () => {
    const def = map(
      '__uint(type, BPF_MAP_TYPE_HASH);',
      '__uint(max_entries, 1024);',
      '__type(key, __u32);',
      '__type(value, __u64);',
      '__uint(pinning, LIBBPF_PIN_BY_NAME);',
      '__uint(frob, 3);',
    );
    const lines = def.split('\n');
    const at = (message: string) => {
      const l = mapAttributeLine(new Map([['m.bpf.c', def]]), 'm.bpf.c', lines.length, message)?.line;
      return l ? lines[l - 1].trim() : undefined;
    };
    assert.equal(at("map 'm': unknown field 'frob'."), '__uint(frob, 3);');
    assert.equal(at("map 'm': attr 'max_entries': expected ARRAY, got 5."), '__uint(max_entries, 1024);');
    assert.equal(at("map 'm': conflicting key size 4 != 8."), '__type(key, __u32);');
    assert.equal(at("map 'm': conflicting value size 8 != 16."), '__type(value, __u64);');
    assert.equal(at("couldn't reuse pinned map at '/sys/fs/bpf/m': parameter mismatch"), '__uint(pinning, LIBBPF_PIN_BY_NAME);');
    assert.equal(at("map 'm': failed to set initial contents: -22"), undefined);
  });

  it('cgroup storage is keyed by the cgroup (8 or 16 bytes) and has no max_entries', () => {
    const cg = (...attrs: string[]) => map('__uint(type, BPF_MAP_TYPE_CGROUP_STORAGE);', ...attrs, '__type(value, __u64);');
    assert.equal(problem(cg('__type(key, __u32);'))?.[0], '__type(key, __u32);');
    assert.equal(problem(cg('__type(key, struct bpf_cgroup_storage_key);', '__uint(max_entries, 64);'))?.[0], '__uint(max_entries, 64);');
    // No max_entries is right for it (libbpf's 0), with either key.
    assert.equal(problem(cg('__type(key, __u64);')), undefined);
  });

  it('sizes types as C lays them out: padding, one-line structs, typedefs, unions and bit-fields', () => {
    const header = [
      'struct event { __u32 pid; __u64 ts; char comm[16]; };',
      'typedef struct { __u16 port; __u8 proto; } l4_t;',
      'typedef __u32 ip4_t;',
      'struct flow {',
      '\tip4_t saddr, daddr;',
      '\tl4_t l4;',
      '\tunion { __u32 mark; __u16 vlan[3]; };',
      '\t__u8 syn:1, ack:1;',
      '} __attribute__((packed));',
    ].join('\n');
    const sources = new Map([['events.h', header]]);
    assert.equal(typeSize(sources, 'struct event', [])?.bytes, 32);
    assert.equal(typeSize(sources, 'l4_t', ['4'])?.bytes, 16);
    assert.equal(typeSize(sources, 'struct flow', [])?.bytes, 4 + 4 + 4 + 8 + 1);
    assert.equal(typeSize(sources, 'struct { __u8 a; __u64 b; }', [])?.bytes, 16);
  });

  it("reads the value's type from a header the object's source includes", () => {
    const prog = [
      '#include "events.h"',
      'struct {',
      '\t__uint(type, BPF_MAP_TYPE_DEVMAP);',
      '\t__uint(max_entries, 8);',
      '\t__type(key, __u32);',
      '\t__type(value, struct event);',
      '} tx SEC(".maps");',
      'SEC("xdp") int fwd(struct xdp_md *ctx) { return bpf_redirect_map(&tx, 0, 0); }',
    ].join('\n');
    const sources = new Map([
      ['fwd.bpf.c', prog],
      ['events.h', 'struct event { __u32 pid; __u64 ts; char comm[16]; };'],
      ['other.bpf.c', 'struct { __uint(type, BPF_MAP_TYPE_HASH); } tx SEC(".maps");'],
    ]);
    // The object's line info names only fwd.bpf.c: its header still gives the value's size.
    const lineInfo = { files: () => ['/src/fwd.bpf.c'], programs: () => ['fwd'], locate: () => undefined };
    const f = analyzeLog("libbpf: map 'tx': failed to create: Invalid argument(-22)\n", { sources, lineInfo }).findings[0];
    assert.equal(f.file, 'fwd.bpf.c');
    assert.equal(f.line, 6);
    assert.match(f.explanation, /32-byte value \(`struct event`\)/);
  });

  it('a program array cannot be the inner map of a map-in-map, named or written in place', () => {
    const named = [
      'struct stages {',
      '\t__uint(type, BPF_MAP_TYPE_PROG_ARRAY);',
      '\t__uint(max_entries, 8);',
      '\t__type(key, __u32);',
      '\t__type(value, __u32);',
      '};',
      map('__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);', '__uint(max_entries, 4);', '__type(key, __u32);', '__array(values, struct stages);'),
    ].join('\n');
    const p = problem(named);
    assert.equal(p?.[0], '__uint(type, BPF_MAP_TYPE_PROG_ARRAY);');
    assert.match(p![1], /ENOTSUPP \(-524\)/);
    // An ARRAY inner map is fine.
    assert.equal(problem(named.replace('BPF_MAP_TYPE_PROG_ARRAY', 'BPF_MAP_TYPE_ARRAY')), undefined);
  });
});
