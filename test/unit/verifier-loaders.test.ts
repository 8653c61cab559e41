// Issue #9: loader and compiler errors as other tools print them (cilium/ebpf error chains, GCC's
// BPF backend, libbpf of 2019), each explained for its case: the map, program, module or kernel named.
import * as assert from 'node:assert/strict';
import { analyzeLog } from '../../src/core/verifier';

const first = (log: string) => analyzeLog(log).findings[0];

describe('verifier: other loaders and compilers', () => {
  it("explains GCC's BPF backend refusing an indirect call", () => {
    const f = first(
      "restrict-fs.bpf.c: In function 'restrict_filesystems':\nrestrict-fs.bpf.c:61:1: error: indirect call in function, which are not supported by eBPF",
    );
    assert.equal(f.catalogId, 'clang-unsupported');
    assert.equal(f.line, 61);
    assert.match(f.explanation, /function pointer/);
    assert.match(f.fix, /-O2/);
  });

  it('names the program or map a cilium/ebpf objects struct asks for and the object lacks', () => {
    const f = first('Error: loading objects: field KprobeInetDgramConnect: missing program kprobe__inet_dgram_connect');
    assert.equal(f.catalogId, 'libbpf-object-file');
    assert.match(f.title, /no program `kprobe__inet_dgram_connect`/);
    assert.match(f.fix, /bpf2go|go generate/);
  });

  it("reads cilium/ebpf's map create error and its MEMLOCK hint", () => {
    const f = first('field Events: map create: cannot allocate memory (MEMLOCK may be too low, consider rlimit.RemoveMemlock)');
    assert.equal(f.catalogId, 'libbpf-map-definition');
    assert.match(f.title, /map `Events`.*ENOMEM/);
    assert.match(f.fix, /rlimit\.RemoveMemlock/);
  });

  it('tells opening a pinned map apart from pinning one', () => {
    const f = first('load pinned map: open /sys/fs/bpf/tc/globals/flows: permission denied');
    assert.equal(f.catalogId, 'libbpf-pin');
    assert.match(f.title, /Cannot open the pinned map \/sys\/fs\/bpf\/tc\/globals\/flows/);
  });

  it('names the module whose BTF the fentry target search could not parse, and the kernel without BTF', () => {
    const f = first(
      'load bpf failed: field FentryNatPkt: program fentry_nat_pkt: attach Tracing/TraceFEntry: find target for fentry nf_nat_manip_pkt: find target in modules: parse types for module cast_common: string table is empty',
    );
    assert.equal(f.catalogId, 'libbpf-btf');
    assert.match(f.explanation, /`nf_nat_manip_pkt`.*`cast_common`/);
    const old = first(
      'program kp: apply CO-RE relocations: load kernel spec: no BTF found for kernel version 3.10.0-1160.el7.x86_64: not supported',
    );
    assert.equal(old.catalogId, 'libbpf-core-relo');
    assert.match(old.title, /Kernel 3\.10\.0-1160\.el7\.x86_64 has no BTF/);
  });

  it("explains an old libbpf's demand for a version section, and a read past a BTF struct's end", () => {
    const f = first("libbpf: probe.bpf.o doesn't provide kernel version");
    assert.equal(f.catalogId, 'libbpf-object-file');
    assert.match(f.fix, /SEC\("version"\)/);
    const b = first('access beyond struct sock_common at off 136 size 8');
    assert.equal(b.catalogId, 'btf-struct-access');
    assert.match(b.title, /Offset 136 is past the end of struct sock_common/);
  });
  it('reads the instruction limit from a log cut down to its statistics line, and not from one within the limit', () => {
    const over = first('processed 1000001 insns (limit 1000000) max_states_per_insn 28 total_states 45898 peak_states 2906 mark_read 371');
    assert.equal(over?.catalogId, 'program-too-complex');
    const both = analyzeLog('BPF program is too large. Processed 1000001 insn\nprocessed 1000001 insns (limit 1000000)').findings;
    assert.deepEqual(
      both.map((f) => f.message),
      ['BPF program is too large. Processed 1000001 insn'],
    );
    assert.equal(first('processed 131073 insns (limit 131072), stack depth 64')?.catalogId, 'program-too-complex');
    assert.equal(first('processed 4096 insns (limit 1000000) max_states_per_insn 2 total_states 90 peak_states 90 mark_read 3'), undefined);
  });
  it('reports the later of two attempts of one program pasted together, not a restatement of the first', () => {
    const attempt = (size: number) =>
      `15: (69) r3 = *(u16 *)(r0 +8)\n R0=map_value(id=0,off=0,ks=4,vs=8,imm=0) R10=fp0\ninvalid access to map value, value_size=8 off=8 size=${size}\nR0 min value is outside of the allowed memory range\nprocessed 14 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 1\n`;
    assert.equal(first(attempt(2) + attempt(8))?.message, 'invalid access to map value, value_size=8 off=8 size=8');
    const restated =
      'jump out of range from insn 8 to 584\nprocessed 0 insns (limit 1000000)\nRuntime error: bpf_load_program() err=22 message=jump out of range from insn 8 to 584\n';
    assert.equal(first(restated)?.message, 'jump out of range from insn 8 to 584');
  });
  it("names an attach target libbpf did not find in the kernel's BTF", () => {
    const f = first(
      "libbpf: prog 'sw': failed to find kernel BTF type ID of 'sched_switched': -3\nlibbpf: prog 'sw': failed to prepare load attributes: -3",
    );
    assert.equal(f?.title, "No `sched_switched` in this kernel's BTF");
    assert.match(f?.fix ?? '', /btf_trace_sched_switched/);
  });
});

describe('verifier: lines as web pages, terminals and word processors pass them on', () => {
  it('reads a log with colour escapes, HTML entities, no-break spaces and typographic quotes like the plain one', () => {
    const plain = "0: (61) r2 = *(u32 *)(r1 +76)\n1: (71) r3 = *(u8 *)(r2 +0)\nR2 invalid mem access 'scalar'";
    const mangled = plain
      .replace(/>/g, '&gt;')
      .replace(/ /g, '\u00a0')
      .replace(/'scalar'/, '\u2018scalar\u2019')
      .split('\n')
      .map((l) => `\x1b[1;31m${l}\x1b[0m`)
      .join('\n');
    const [a, b] = [first(plain), first(mangled)];
    assert.equal(b.catalogId, a.catalogId);
    assert.equal(b.message, a.message);
  });
});
