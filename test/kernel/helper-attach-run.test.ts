// Attach and detach through the real helper, watching the programs work: a tracepoint, a raw
// tracepoint and a tp_btf program count /bin/true runs; a uprobe counts calls in a binary this test
// compiles; XDP and tc (tcx) count UDP packets sent across a veth pair into a network namespace the
// test creates; a cgroup skb program counts the packets a process in a test cgroup sends. bpf_printk
// lines reach the trace subscription. After detach and unload, bpftool shows nothing of ours. This
// kernel has no kprobes and forces lockdown: kprobe and fentry fail with exactly that explanation.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireKernel } from './requirements';
import { compileFixture, repoRoot, startHelper, tempDir, waitGone, until } from './helper-support';
import type { HelperClient } from '../../src/core/connection/client';
import { HelperClientError } from '../../src/core/connection/client';
import type { AttachResult, LogParams, ObjectLoadResult, TraceLine } from '../../src/protocol';
import { isKernelPidOf } from '../support/pids';

const C = { tp: 0, rawTp: 1, tpBtf: 2, uprobe: 3, xdp: 4, tc: 5, cgroup: 6, perf: 8 } as const;
const tag = String(process.pid % 100000);
const NS = `ebpfwb-test-${tag}`;
const HOST_IF = `ewb${tag}h`;
const NS_IF = `ewb${tag}n`;
const HOST_IP = '10.201.0.1';
const NS_IP = '10.201.0.2';
const PIN = `/sys/fs/bpf/ebpf-test-attach-run-${tag}`;

const sh = (...argv: string[]) => execFileSync(argv[0], argv.slice(1), { stdio: 'pipe' });
/** `n` UDP packets to port 9999 of `ip`, sent by bash's /dev/udp (each redirect is one datagram). */
const udpScript = (ip: string, n: number) => `for i in $(seq ${n}); do echo ping > /dev/udp/${ip}/9999; done`;

function cgroup2Root(): string {
  const line = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .find((l) => l.split(' - ')[1]?.startsWith('cgroup2 '));
  assert.ok(line, 'cgroup2 is mounted');
  return line.split(' ')[4];
}

describe('helper: attach and detach, watched working (real kernel)', function () {
  this.timeout(90_000);
  let dir: string;
  let client: HelperClient;
  let loaded: ObjectLoadResult;
  let cgroup: string;
  const linkIds: number[] = [];
  const id = (name: string) => loaded.programs.find((p) => p.name === name)!.id;
  const counts = async () => {
    const { entries } = await client.mapEntries({ id: loaded.maps.find((m) => m.name === 'counts')!.id });
    return entries.map((e) => Number(Buffer.from(e.value!, 'base64').readBigUInt64LE(0)));
  };
  const attach = async (name: string, target: object = {}): Promise<AttachResult> => {
    const r = await client.attach({ id: id(name), ...target });
    linkIds.push(...r.links.map((l) => l.linkId));
    return r;
  };
  const kernelLinks = () =>
    (JSON.parse(execFileSync('bpftool', ['-j', 'link', 'list'], { encoding: 'utf8' })) as { id: number }[]).map((l) => l.id);

  before(async function () {
    requireKernel(this);
    dir = tempDir();
    // A veth pair: HOST_IF here, NS_IF in a namespace of our own; IPv6 off so nothing else flows.
    spawnSync('ip', ['netns', 'del', NS]);
    sh('ip', 'netns', 'add', NS);
    sh('ip', 'link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF);
    sh('ip', 'link', 'set', NS_IF, 'netns', NS);
    sh('sysctl', '-qw', `net.ipv6.conf.${HOST_IF}.disable_ipv6=1`);
    sh('ip', 'addr', 'add', `${HOST_IP}/30`, 'dev', HOST_IF);
    sh('ip', 'link', 'set', HOST_IF, 'up');
    sh('ip', 'netns', 'exec', NS, 'sysctl', '-qw', `net.ipv6.conf.${NS_IF}.disable_ipv6=1`);
    sh('ip', 'netns', 'exec', NS, 'ip', 'addr', 'add', `${NS_IP}/30`, 'dev', NS_IF);
    sh('ip', 'netns', 'exec', NS, 'ip', 'link', 'set', NS_IF, 'up');
    sh('ip', 'netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up');
    cgroup = path.join(cgroup2Root(), `ebpf-test-${tag}`);
    fs.mkdirSync(cgroup, { recursive: true });
    ({ client } = startHelper());
    loaded = await client.loadObject({ path: compileFixture(dir, 'attach-run') });
  });

  after(async function () {
    const progIds = loaded?.programs.map((p) => p.id) ?? [];
    await client?.dispose();
    for (const p of progIds) assert.ok(await waitGone('prog', p), `program ${p} is still loaded`);
    const left = kernelLinks().filter((l) => linkIds.includes(l));
    fs.rmSync(PIN, { force: true });
    spawnSync('ip', ['link', 'del', HOST_IF]);
    spawnSync('ip', ['netns', 'del', NS]);
    // A cgroup directory goes with rmdir once empty; a process that just exited may still be
    // counted in it for a moment (EBUSY), so try again for a while.
    for (let i = 0; cgroup && fs.existsSync(cgroup); i++) {
      try {
        fs.rmdirSync(cgroup);
      } catch (e) {
        if (i >= 50) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(left, [], 'no link of ours is left');
  });

  it('tracepoint, raw_tp and tp_btf on sched_process_exec count /bin/true runs; the hash follows', async () => {
    const tp = await attach('on_exec_tp');
    assert.deepEqual(
      tp.links.map((l) => [l.type, l.target]),
      [['tracepoint', 'tracepoint sched:sched_process_exec']],
    );
    assert.equal((await attach('on_exec_raw')).links[0].type, 'raw_tracepoint');
    assert.equal((await attach('on_exec_btf')).links[0].target, 'tp_btf sched_process_exec');
    const before = await counts();
    for (let i = 0; i < 5; i++) sh('/bin/true');
    await until(async () => (await counts())[C.tp] - before[C.tp] >= 5, 'five exec counts');
    const after = await counts();
    // Other processes may exec meanwhile: at least ours, and the three programs saw the same execs.
    assert.ok(after[C.tp] - before[C.tp] >= 5);
    assert.equal(after[C.rawTp] - before[C.rawTp], after[C.tp] - before[C.tp]);
    assert.equal(after[C.tpBtf] - before[C.tpBtf], after[C.tp] - before[C.tp]);
    const execs = await client.mapEntries({ id: loaded.maps.find((m) => m.name === 'execs')!.id });
    const trueRuns = execs.entries.find((e) => Buffer.from(e.key, 'base64').toString('utf8').replace(/\0+$/, '') === 'true');
    assert.ok(trueRuns && Number(Buffer.from(trueRuns.value!, 'base64').readBigUInt64LE(0)) >= 5, 'the hash counts "true" runs');
  });

  it("bpf_printk of the attached program reaches the trace subscription with the process's pid and comm", async () => {
    const lines: TraceLine[] = [];
    const sub = await client.subscribeTrace({}, { onBatch: (b) => void lines.push(...b.lines) });
    try {
      const child = spawnSync('/bin/true');
      await until(
        () => lines.some((l) => l.text === 'ebpfwb-attach exec true' && isKernelPidOf(l.pid, child.pid)),
        'the exec line of our /bin/true',
      );
      assert.equal(lines.find((l) => l.text === 'ebpfwb-attach exec true' && isKernelPidOf(l.pid, child.pid))!.comm, 'true');
    } finally {
      await sub.dispose();
    }
  });

  it('a uprobe on a function of a binary counts its calls', async () => {
    const bin = path.join(dir, 'probe-me');
    sh('clang', '-O0', '-g', path.join(repoRoot, 'test', 'fixtures', 'helper', 'probe-me.c'), '-o', bin);
    const r = await attach('on_probe_me', { binary: bin, function: 'ebpfwb_probe_me' });
    assert.equal(r.links[0].type, 'uprobe');
    assert.equal(r.links[0].target, `uprobe ${bin}:ebpfwb_probe_me`);
    const before = (await counts())[C.uprobe];
    sh(bin, '7');
    await until(async () => (await counts())[C.uprobe] - before === 7, 'seven uprobe hits');
    await assert.rejects(client.attach({ id: id('on_probe_me'), binary: bin, function: 'no_such_fn' }), (e: HelperClientError) => {
      assert.match(e.data.message, new RegExp(`no function no_such_fn in ${bin}`));
      assert.match(e.data.fix ?? '', /nm -D/);
      return true;
    });
  });

  it('XDP (driver mode on veth) and tcx count UDP packets from the namespace; auto mode falls back to generic and says so', async () => {
    const x = await attach('count_xdp', { iface: HOST_IF, xdpMode: 'driver' });
    assert.equal(x.links[0].target, `${HOST_IF} (driver mode)`);
    const t = await attach('count_tc', { iface: HOST_IF, direction: 'ingress' });
    assert.equal(t.links[0].type, 'tcx');
    assert.equal(t.links[0].target, `${HOST_IF} (tcx ingress)`);
    const before = await counts();
    sh('ip', 'netns', 'exec', NS, 'bash', '-c', udpScript(HOST_IP, 10));
    await until(async () => (await counts())[C.xdp] - before[C.xdp] === 10, 'ten packets through XDP');
    await until(async () => (await counts())[C.tc] - before[C.tc] === 10, 'ten packets through tcx');

    // A second XDP program on the same interface: refused with what to do.
    await assert.rejects(
      client.attach({ id: id('count_xdp'), iface: HOST_IF }),
      (e: HelperClientError) => e.code === 'BUSY' && /bpftool net show dev/.test(e.data.fix ?? ''),
    );
    // lo has no native XDP: driver mode is refused, auto falls back to generic out loud.
    await assert.rejects(client.attach({ id: id('count_xdp'), iface: 'lo', xdpMode: 'driver' }), /lo does not support XDP driver mode/);
    const auto = await attach('count_xdp', { iface: 'lo' });
    assert.equal(auto.links[0].target, 'lo (generic mode)');
    assert.match(auto.notes.join(' '), /no native XDP support \(driver mode\): attached in generic mode/);
    // A second one in auto mode: the generic fallback is taken too, and that is said, not a bare EBUSY.
    await assert.rejects(
      client.attach({ id: id('count_xdp'), iface: 'lo' }),
      (e: HelperClientError) => e.code === 'BUSY' && /lo already has an XDP program/.test(e.message),
    );
    await client.detach(auto.links[0].linkId);

    // Detached: the counts stop.
    await client.detach(x.links[0].linkId);
    await client.detach(t.links[0].linkId);
    const stopped = await counts();
    sh('ip', 'netns', 'exec', NS, 'bash', '-c', udpScript(HOST_IP, 3));
    await new Promise((r) => setTimeout(r, 300));
    const later = await counts();
    assert.equal(later[C.xdp], stopped[C.xdp]);
    assert.equal(later[C.tc], stopped[C.tc]);
    assert.ok(!kernelLinks().includes(x.links[0].linkId), 'the XDP link is gone from bpftool link list');
  });

  it('says which interfaces exist and when one is down', async () => {
    await assert.rejects(client.attach({ id: id('count_xdp'), iface: `${HOST_IF}x` }), (e: HelperClientError) => {
      assert.match(e.data.message, new RegExp(`there is no network interface ${HOST_IF}x here`));
      assert.match(e.data.fix ?? '', new RegExp(`did you mean ${HOST_IF}`));
      return true;
    });
    await assert.rejects(client.attach({ id: id('count_xdp') }), /needs a network interface/);
    sh('ip', 'link', 'set', HOST_IF, 'down');
    try {
      const r = await attach('count_xdp', { iface: HOST_IF });
      assert.match(r.notes.join(' '), new RegExp(`${HOST_IF} is down: no packets reach the program until "ip link set ${HOST_IF} up"`));
      await client.detach(r.links[0].linkId);
    } finally {
      sh('ip', 'link', 'set', HOST_IF, 'up');
    }
    const places = await client.attachPlaces();
    assert.ok(places.interfaces.some((i) => i.name === HOST_IF && i.up));
    assert.ok(places.cgroups.includes(cgroup));
  });

  it('a cgroup skb egress program counts the packets a process in the test cgroup sends', async () => {
    const r = await attach('count_cgroup', { cgroup });
    assert.equal(r.links[0].type, 'cgroup');
    assert.equal(r.links[0].target, `cgroup ${cgroup} (inet_egress)`);
    const before = (await counts())[C.cgroup];
    // The shell moves itself into the cgroup, then sends.
    sh('bash', '-c', `echo $$ > ${cgroup}/cgroup.procs; ${udpScript('127.0.0.1', 4)}`);
    await until(async () => (await counts())[C.cgroup] - before === 4, 'four packets from the cgroup');
    sh('bash', '-c', udpScript('127.0.0.1', 2)); // outside the cgroup: not counted
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await counts())[C.cgroup] - before, 4);
    await assert.rejects(client.attach({ id: id('count_cgroup'), cgroup: '/tmp' }), /is not a cgroup2 directory/);
  });

  it('a perf_event program samples the CPU clock on every CPU, one link per CPU', async () => {
    const r = await attach('on_sample', { frequency: 1000 });
    const cpus = fs.readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
    assert.ok(r.links.length >= 1);
    assert.deepEqual(
      r.links.map((l) => l.target),
      r.links.map((_, i) => `CPU ${i} clock at 1000 Hz`),
      `online CPUs ${cpus}`,
    );
    const before = (await counts())[C.perf];
    await until(async () => (await counts())[C.perf] - before >= 50, 'samples', 10_000);
    for (const l of r.links) await client.detach(l.linkId);
  });

  it('a pinned link stays attached after unload until its pin is removed; nothing else stays', async () => {
    const other = startHelper().client;
    try {
      const o = await other.loadObject({ path: compileFixture(dir, 'attach-run', [], 'attach-run-2') });
      const prog = o.programs.find((p) => p.name === 'on_exec_raw')!;
      const a = await other.attach({ id: prog.id, pin: PIN });
      assert.equal(a.links[0].pinned, PIN);
      const unpinned = await other.attach({ id: o.programs.find((p) => p.name === 'on_exec_tp')!.id });
      await other.unloadObject(o.handle);
      assert.ok(kernelLinks().includes(a.links[0].linkId), 'the pinned link survives unload');
      assert.ok(await waitGone('prog', o.programs.find((p) => p.name === 'on_exec_tp')!.id), 'the unpinned program went with the object');
      assert.ok(!kernelLinks().includes(unpinned.links[0].linkId));
      fs.rmSync(PIN);
      assert.ok(await waitGone('prog', prog.id), 'removing the pin detached and freed it');
    } finally {
      await other.dispose();
    }
  });

  it('kprobe: this kernel has no kprobes, and the error says so and what would allow it', async () => {
    await assert.rejects(client.attach({ id: id('on_unlink') }), (e: HelperClientError) => {
      assert.equal(e.code, 'KERNEL');
      assert.match(
        e.data.message,
        /^cannot attach kprobe to do_unlinkat: this kernel \(.+\) has no kprobes — it was built without CONFIG_KPROBES/,
      );
      assert.match(e.data.fix ?? '', /a kernel built with CONFIG_KPROBES=y \(and CONFIG_KPROBE_EVENTS=y\) would allow it/);
      return true;
    });
  });

  it('fentry: lockdown refuses it at load, and the error names the mode and the kernel option', async () => {
    const said: LogParams[] = [];
    client.onDidLog((p) => said.push(p));
    const obj = compileFixture(dir, 'fentry');
    await assert.rejects(client.loadObject({ path: obj }), (e: HelperClientError) => {
      assert.equal(e.data.errnoName, 'EPERM');
      assert.match(
        e.data.fix ?? '',
        /^kernel lockdown is in integrity mode \(forced by the kernel's build option CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY=y\): it refuses fentry\/fexit\/fmod_ret\/lsm programs/,
      );
      assert.match(e.data.fix ?? '', /A kernel built without that option \(CONFIG_LOCK_DOWN_KERNEL_FORCE_NONE=y\) would allow them/);
      return true;
    });
    // securityfs is read for the mode; if it was not mounted, the helper mounted it and said so.
    for (const p of said) if (/securityfs/.test(p.message)) assert.match(p.message, /mounted securityfs on \/sys\/kernel\/security/);
  });

  it('after detach and unload, bpftool shows nothing of ours', async () => {
    const progIds = loaded.programs.map((p) => p.id);
    await client.unloadObject(loaded.handle);
    for (const p of progIds) assert.ok(await waitGone('prog', p), `program ${p} is gone`);
    assert.deepEqual(
      kernelLinks().filter((l) => linkIds.includes(l)),
      [],
    );
    loaded = { ...loaded, programs: [] };
  });
});
