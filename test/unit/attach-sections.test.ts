// How a program attaches, from its section (core/attach/sections.ts), and the "did you mean" of a
// missing kernel function (core/attach/closest.ts, against this machine's kind of symbol names).
import * as assert from 'node:assert/strict';
import { attachPlan } from '../../src/core/attach/sections';
import { closestNames } from '../../src/core/attach/closest';

describe('attach plans from section names', () => {
  const cases: [string, Partial<ReturnType<typeof attachPlan>>][] = [
    ['tp/sched/sched_process_exec', { kind: 'tracepoint', tracepoint: 'sched:sched_process_exec', needs: [] }],
    ['tracepoint/syscalls/sys_enter_openat', { kind: 'tracepoint', tracepoint: 'syscalls:sys_enter_openat', needs: [] }],
    ['tracepoint', { kind: 'tracepoint', needs: ['tracepoint'] }],
    ['raw_tp/sched_switch', { kind: 'raw_tracepoint', tracepoint: 'sched_switch', needs: [] }],
    ['raw_tracepoint.w/sched_switch', { kind: 'raw_tracepoint', tracepoint: 'sched_switch' }],
    ['tp_btf/sched_process_exec', { kind: 'tracing', function: 'sched_process_exec', needs: [] }],
    ['fentry/do_unlinkat', { kind: 'tracing', function: 'do_unlinkat' }],
    ['fexit.s/vfs_read', { kind: 'tracing', function: 'vfs_read', sleepable: true }],
    ['lsm/file_open', { kind: 'lsm', function: 'file_open' }],
    ['kprobe/do_unlinkat', { kind: 'kprobe', function: 'do_unlinkat', needs: [] }],
    ['kprobe', { kind: 'kprobe', needs: ['function'] }],
    ['kretprobe/tcp_v4_connect', { kind: 'kretprobe', function: 'tcp_v4_connect' }],
    ['ksyscall/openat', { kind: 'ksyscall', function: 'openat' }],
    ['kprobe.multi/tcp_*', { kind: 'kprobe_multi', function: 'tcp_*' }],
    ['uprobe//usr/bin/bash:readline', { kind: 'uprobe', binary: '/usr/bin/bash', function: 'readline', needs: [] }],
    ['uretprobe.s/libc.so.6:malloc', { kind: 'uretprobe', binary: 'libc.so.6', function: 'malloc', sleepable: true }],
    ['uprobe', { kind: 'uprobe', needs: ['binary', 'function'] }],
    ['usdt/libc.so.6:libc:setjmp', { kind: 'usdt', binary: 'libc.so.6', usdt: 'libc:setjmp' }],
    ['xdp', { kind: 'xdp', needs: ['iface'] }],
    ['xdp.frags', { kind: 'xdp', needs: ['iface'] }],
    ['tc', { kind: 'tc', needs: ['iface', 'direction'] }],
    ['tcx/egress', { kind: 'tc', direction: 'egress', needs: ['iface'] }],
    ['classifier', { kind: 'tc' }],
    ['cgroup_skb/egress', { kind: 'cgroup', cgroupAttach: 'cgroup_inet_egress', needs: ['cgroup'] }],
    ['cgroup/connect4', { kind: 'cgroup', cgroupAttach: 'cgroup_inet4_connect' }],
    ['sockops', { kind: 'cgroup', cgroupAttach: 'cgroup_sock_ops' }],
    ['netfilter', { kind: 'netfilter', needs: ['netfilter'] }],
    ['sk_lookup', { kind: 'netns' }],
    ['sk_skb/stream_verdict', { kind: 'sockmap' }],
    ['perf_event', { kind: 'perf_event' }],
    ['struct_ops/tcp_init', { kind: 'struct_ops' }],
    ['iter/bpf_map', { kind: 'iter', function: 'bpf_map' }],
  ];
  for (const [section, want] of cases) {
    it(section, () => {
      const plan = attachPlan(section);
      for (const [k, v] of Object.entries(want)) assert.deepEqual(plan[k as keyof typeof plan], v, `${section}: ${k}`);
    });
  }

  it('says why programs that attach elsewhere are not attached here', () => {
    assert.match(attachPlan('socket').why!, /SO_ATTACH_BPF/);
    assert.match(attachPlan('syscall').why!, /Test Run/);
    assert.match(attachPlan('xdp/devmap').why!, /devmap/);
    assert.match(attachPlan('my_custom_section').why!, /not one libbpf knows/);
  });
});

describe('closest kernel names', () => {
  const symbols = [
    'do_unlinkat',
    'do_rmdir',
    'do_sys_openat2',
    'do_sys_open.isra.0',
    'vfs_unlink',
    'tcp_v4_connect',
    'tcp_v6_connect',
    'security_inode_unlink',
  ];

  it('finds a misspelling, a compiler clone and substrings, best first', () => {
    assert.deepEqual(closestNames('do_unlinkt', symbols).slice(0, 1), ['do_unlinkat']);
    assert.deepEqual(closestNames('do_sys_open', symbols).slice(0, 2), ['do_sys_open.isra.0', 'do_sys_openat2']);
    assert.deepEqual(closestNames('tcp_v5_connect', symbols), ['tcp_v4_connect', 'tcp_v6_connect']);
    assert.ok(closestNames('unlink', symbols).includes('vfs_unlink'));
  });

  it('offers nothing when nothing is close', () => {
    assert.deepEqual(closestNames('completely_unrelated_name', symbols), []);
  });
});
