// The program context and the case's numbers in explanations (issue #9): which field of which
// context struct, per program type; off-by-one and oversized copies into map values; the map a
// helper needs; the call chain of a combined stack size.
import * as assert from 'node:assert/strict';
import { analyzeLog, explainMessage } from '../../src/core/verifier';
import { contextField, programKind } from '../../src/core/verifier/context';
import { callChain } from '../../src/core/verifier/source-hints';

describe('verifier: program context and case-specific explanations', () => {
  it('knows the context struct of each SEC() and the field at each offset', () => {
    assert.equal(programKind('socket')?.name, 'socket filter');
    assert.equal(programKind('tc/ingress')?.struct, '__sk_buff');
    assert.equal(programKind('xdp.frags')?.struct, 'xdp_md');
    assert.deepEqual(programKind('cgroup/setsockopt')?.bounds, ['optval', 'optval_end']);
    assert.equal(programKind('cgroup/connect4')?.struct, 'bpf_sock_addr');
    assert.equal(programKind('license'), undefined);
    assert.deepEqual(contextField('__sk_buff', 76), { name: 'data', off: 76, size: 4 });
    assert.deepEqual(contextField('__sk_buff', 50), { name: 'cb', off: 48, size: 20 });
    assert.equal(contextField('bpf_perf_event_data', 168)?.name, 'sample_period');
    assert.equal(contextField('xdp_md', 400), undefined);
    assert.equal(programKind('sk_lookup')?.struct, 'bpf_sk_lookup');
    assert.deepEqual(contextField('bpf_sk_lookup', 60), { name: 'local_port', off: 60, size: 4 });
    assert.equal(programKind('cgroup/dev')?.struct, 'bpf_cgroup_dev_ctx');
  });

  it('says which field a context access touches and why this program type refuses it', () => {
    const filter = explainMessage('invalid bpf_context access off=76 size=4', { section: 'socket', access: 'read' });
    assert.match(filter.title, /socket filter/);
    assert.match(filter.explanation, /`data`.*struct __sk_buff/);
    assert.match(filter.fix, /bpf_skb_load_bytes/);
    const perf = explainMessage('invalid bpf_context access off=168 size=8', { section: 'perf_event', access: 'write' });
    assert.match(perf.explanation, /writes `sample_period`/);
    assert.match(perf.explanation, /read-only/);
    const classid = explainMessage('invalid bpf_context access off=72 size=4', { section: 'socket', access: 'read' });
    assert.match(classid.explanation, /only tc programs/);
    // Without the program type there is nothing more to say than the family's text.
    const bare = explainMessage('invalid bpf_context access off=76 size=4');
    assert.doesNotMatch(bare.explanation, /socket filter/);
  });

  it('names optval_end for sockopt programs instead of data_end', () => {
    const e = explainMessage('invalid access to packet, off=0 size=4, R1(id=0,off=0,r=0)', { section: 'cgroup/setsockopt' });
    assert.match(e.title, /optval_end/);
    assert.match(e.fix, /ctx->optval_end/);
    const tc = explainMessage('invalid access to packet, off=0 size=4, R1(id=0,off=0,r=0)', { section: 'tc' });
    assert.match(tc.title, /data_end/);
  });

  it('states the numbers: off == value_size is an off-by-one, an oversized copy says how much is left', () => {
    const one = explainMessage('invalid access to map value, value_size=16 off=16 size=1');
    assert.match(one.title, /Off-by-one/);
    assert.match(one.explanation, /`<=`/);
    const big = explainMessage('invalid access to map value, value_size=24 off=8 size=32');
    assert.match(big.explanation, /32 bytes starts at offset 8/);
    assert.match(big.fix, /at most 16/);
    const neg = explainMessage('math between map_value pointer and register with unbounded min value is not allowed');
    assert.match(neg.explanation, /negative/);
    assert.match(neg.fix, /unsigned/);
  });

  it('says 8 bytes is the size of a pointer, and a CO-RE access path that is wrong for its own type', () => {
    const e = explainMessage('invalid access to memory, mem_size=8 off=8 size=4');
    assert.match(e.title, /size of a pointer/);
    assert.match(e.fix, /sizeof\(\*e\)/);
    const core = explainMessage("libbpf: prog 'k': relo #1: parsing [2] struct trace_event_raw_sys_enter + 0:2:7 failed: -22");
    assert.equal(core.catalogId, 'libbpf-core-relo');
    assert.match(core.explanation, /past the declared end of an array/);
  });

  it('says why a register used as an address is a number, from where it got its value', () => {
    const log = (origin: string) =>
      [
        '0: R1=ctx() R10=fp0',
        '; struct task_struct *t = (void *)bpf_get_current_task(); @ a.bpf.c:8',
        `0: (85) ${origin}`,
        '; last = t->tgid; @ a.bpf.c:9',
        '1: (61) r1 = *(u32 *)(r0 +2476)',
        "R0 invalid mem access 'scalar'",
        'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
      ].join('\n');
    const task = analyzeLog(log('call bpf_get_current_task#35       ; R0=scalar()')).findings[0];
    assert.match(task.fix, /bpf_get_current_task_btf/);
    const zero = analyzeLog(log('r0 = 0                        ; R0=0')).findings[0];
    assert.match(zero.explanation, /known to be 0/);
  });

  it('names the map type a helper needs and the one it got', () => {
    const e = explainMessage('cannot pass map_type 1 into func bpf_redirect_map#51');
    assert.match(e.title, /BPF_MAP_TYPE_DEVMAP/);
    assert.match(e.explanation, /BPF_MAP_TYPE_HASH/);
    assert.match(explainMessage('expected prog array map for tail call').title, /PROG_ARRAY/);
  });

  it('points at the helper of the program type that does the same thing', () => {
    const e = explainMessage('program of this type cannot use helper bpf_skb_load_bytes#26', { section: 'xdp' });
    assert.match(e.fix, /bpf_xdp_load_bytes/);
    assert.match(
      explainMessage('program of this type cannot use helper bpf_skb_store_bytes#9', { section: 'socket' }).explanation,
      /may not modify/,
    );
  });

  it('finds the deepest chain of calls for a combined stack size, puts it on the largest local and relates each call', () => {
    const src = [
      'static __noinline int inner(int x)', // 1
      '{',
      '\tchar big[300];',
      '\treturn big[x & 255];',
      '}',
      'static __noinline int outer(int x)', // 6
      '{',
      '\tchar mid[260];',
      '\treturn inner(x) + mid[x & 255];', // 9
      '}',
      'SEC("xdp")',
      'int prog(struct xdp_md *ctx)', // 12
      '{',
      '\treturn outer(ctx->rx_queue_index) ? XDP_PASS : XDP_DROP;', // 14
      '}',
    ].join('\n');
    const sources = new Map([['s.bpf.c', src]]);
    assert.deepEqual(
      callChain(sources, 's.bpf.c', 'prog').map((l) => l.line),
      [14, 9],
    );
    const f = analyzeLog(
      "libbpf: prog 'prog': BPF program load failed: Permission denied\ncombined stack size of 3 calls is 576. Too large\nprocessed 55 insns (limit 1000000) max_states_per_insn 0 total_states 2 peak_states 2 mark_read 0\n",
      {
        sources,
      },
    ).findings[0];
    assert.equal(f.catalogId, 'stack-too-large');
    // The finding is on the largest local of the stacked frames (what to move off the stack); the
    // program whose chain it is, each call and the other frame's large local are related.
    assert.equal(f.line, 3);
    assert.match(f.fix, /Move `big` \(300 bytes\)/);
    for (const line of [12, 14, 9, 8])
      assert.ok(
        f.related.some((r) => r.line === line),
        `${line} in ${JSON.stringify(f.related)}`,
      );
  });
});
