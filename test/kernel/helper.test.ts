// The helper against the real kernel: load, list, count with every method, ring buffer, test
// run, verifier rejection, pins, entries, stats, vmlinux.h — and nothing left behind.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireKernel } from './requirements';
import { bpftoolJson, buildHelperBpf, compileFixture, kernelHas, startHelper, tempDir, u64Args, waitGone } from './helper-support';
import type { HelperClient } from '../../src/core/connection/client';
import { HelperClientError } from '../../src/core/connection/client';
import { COUNT_METHODS, EXACT_COUNT_METHODS } from '../../src/protocol';
import type { CountMethod, LoadFailureDetails, ObjectLoadResult } from '../../src/protocol';

const HASH_METHODS: CountMethod[] = ['iterator', 'for_each', 'batch', 'walk'];
const FILL = { hash: 0, hash_noprealloc: 1, lru: 2, percpu_hash: 3, trie: 4 } as const;

async function expectError(p: Promise<unknown>, code: string): Promise<HelperClientError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof HelperClientError, `expected a HelperClientError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected error ${code}`);
}

describe('helper (real kernel)', function () {
  let dir: string;
  let objects: Record<string, string>;
  let client: HelperClient;
  let loaded: ObjectLoadResult;
  const seenProgIds: number[] = [];
  const seenMapIds: number[] = [];
  const prog = (name: string) => loaded.programs.find((p) => p.name === name)!.id;
  const map = (name: string) => loaded.maps.find((m) => m.name === name)!.id;
  const fill = async (which: keyof typeof FILL, n: number, start: number) =>
    (await client.testRun({ id: prog('fill'), ctxIn: u64Args(FILL[which], n, start) })).retval;

  before(async function () {
    requireKernel(this);
    this.timeout(120_000);
    buildHelperBpf();
    dir = tempDir();
    objects = {
      maps: compileFixture(dir, 'maps'),
      broken: compileFixture(dir, 'broken'),
      biglog: compileFixture(dir, 'biglog'),
      biglogReject: compileFixture(dir, 'biglog', ['-DREJECT'], 'biglog-reject'),
    };
    ({ client } = startHelper());
    loaded = await client.loadObject({ path: objects.maps });
    seenProgIds.push(...loaded.programs.map((p) => p.id));
    seenMapIds.push(...loaded.maps.map((m) => m.id));
  });

  after(async function () {
    await client?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers hello with the kernel, libbpf and capabilities', async () => {
    const h = await client.hello();
    assert.equal(h.kernelRelease, os.release());
    assert.equal(h.uid, 0);
    assert.match(h.libbpfVersion, /^1\.\d+$/);
    assert.equal(h.capabilities.btf, true);
    const [maj, min] = os.release().split('.').map(Number);
    if (maj > 6 || (maj === 6 && min >= 6)) assert.equal(h.capabilities.mapSumElemCount, true, JSON.stringify(h.notes));
    assert.equal(h.capabilities.ringbuf, true);
  });

  it('loads an object: programs and maps match what bpftool sees', () => {
    assert.deepEqual(loaded.programs.map((p) => p.name).sort(), ['fill', 'produce', 'sock_len']);
    for (const p of loaded.programs) {
      const k = bpftoolJson<{ id: number; type: string; name: string }>(['prog', 'show', 'id', String(p.id)]);
      assert.equal(k.name, p.name);
      assert.equal(k.type.replace(/_/g, ''), p.typeName.replace(/_/g, ''));
      assert.ok(p.insnCount > 0 && p.verifiedInsns > 0);
    }
    for (const m of loaded.maps) {
      const k = bpftoolJson<{ id: number; type: string; name: string; max_entries: number; bytes_key: number }>([
        'map',
        'show',
        'id',
        String(m.id),
      ]);
      assert.equal(k.name, m.name);
      assert.equal(k.max_entries, m.maxEntries);
      assert.equal(k.type, m.typeName);
    }
  });

  it('loads an object sent as bytes (as from another machine) and unloads it', async () => {
    const r = await client.loadObject({ bytes: fs.readFileSync(objects.broken.replace('broken', 'maps')).toString('base64') });
    assert.deepEqual(r.programs.map((p) => p.name).sort(), ['fill', 'produce', 'sock_len']);
    assert.ok(r.maps.every((m) => kernelHas('map', m.id)));
    await client.unloadObject(r.handle);
    for (const p of r.programs) assert.ok(await waitGone('prog', p.id), `prog ${p.id}`);
  });

  it('lists programs and maps with owners and users', async () => {
    const { programs } = await client.listPrograms();
    const fillInfo = programs.find((p) => p.id === prog('fill'))!;
    assert.equal(fillInfo.ours, true);
    assert.equal(fillInfo.handle, loaded.handle);
    assert.ok(fillInfo.mapIds.includes(map('hash')));
    const { maps } = await client.listMaps();
    const hash = maps.find((m) => m.id === map('hash'))!;
    assert.equal(hash.ours, true);
    assert.equal(hash.keySize, 4);
    assert.equal(hash.valueSize, 8);
    assert.ok(hash.programIds.includes(prog('fill')));
    assert.ok(hash.memlock > 0);
    assert.ok(hash.btfId > 0 && hash.btfKeyTypeId > 0);
  });

  for (const which of ['hash', 'hash_noprealloc'] as const) {
    it(`counts a ${which} map of 0, 1, 1k and 100k elements (filled by a BPF program) exactly with every method`, async function () {
      this.timeout(120_000);
      let filled = 0;
      for (const target of [0, 1, 1000, 100_000]) {
        if (target > filled) {
          assert.equal(await fill(which, target - filled, filled), target - filled);
          filled = target;
        }
        for (const method of HASH_METHODS) {
          const r = await client.countMap({ id: map(which), method });
          assert.equal(r.count, target, `${method} at ${target}`);
          assert.equal(r.method, method);
          assert.equal(r.exact, method === 'iterator');
          assert.ok(r.micros > 0);
        }
        const best = await client.countMap({ id: map(which) });
        assert.deepEqual([best.count, best.method, best.exact], [target, 'iterator', true]);
      }
    });
  }

  it('counts an array as max_entries, and the walks agree', async () => {
    const r = await client.countMap({ id: map('array') });
    assert.deepEqual([r.count, r.method, r.exact], [512, 'max_entries', true]);
    for (const method of ['for_each', 'batch', 'walk'] as const)
      assert.equal((await client.countMap({ id: map('array'), method })).count, 512, method);
    await expectError(client.countMap({ id: map('array'), method: 'iterator' }), 'METHOD_UNSUPPORTED');
  });

  it('counts an LRU hash after evictions: every method gives the same number', async () => {
    assert.equal(await fill('lru', 5000, 0), 5000); // 5x max_entries: most were evicted
    const counts = await Promise.all(HASH_METHODS.map((method) => client.countMap({ id: map('lru'), method })));
    const n = counts[0].count;
    assert.ok(n > 0 && n <= 1000, `LRU count ${n}`);
    for (const c of counts) assert.equal(c.count, n, c.method);
  });

  it('counts a per-CPU hash', async () => {
    assert.equal(await fill('percpu_hash', 777, 0), 777);
    for (const method of HASH_METHODS) assert.equal((await client.countMap({ id: map('percpu_hash'), method })).count, 777, method);
  });

  it('counts an LPM trie with a fallback and refuses a queue', async () => {
    assert.equal(await fill('trie', 300, 0), 300);
    const r = await client.countMap({ id: map('trie') });
    assert.equal(r.count, 300);
    assert.equal(r.exact, false);
    assert.equal((await client.countMap({ id: map('trie'), method: 'walk' })).count, 300);
    const e = await expectError(client.countMap({ id: map('queue') }), 'NOT_COUNTABLE');
    assert.match(e.message, /cannot be counted from user space/);
  });

  it('countAll: every map on the host from one read, same numbers as map.count', async () => {
    const all = await client.countAllMaps();
    const byId = new Map(all.counts.map((c) => [c.id, c]));
    for (const name of ['hash', 'hash_noprealloc', 'lru', 'percpu_hash', 'array', 'trie']) {
      const c = byId.get(map(name))!;
      assert.ok('count' in c, `${name}: ${JSON.stringify(c)}`);
      assert.equal(c.count, (await client.countMap({ id: map(name) })).count, name);
    }
    const hostMaps = bpftoolJson<Array<{ id: number }>>(['map', 'list']).map((m) => m.id);
    for (const id of hostMaps.filter((id) => !byId.has(id))) assert.ok(!kernelHas('map', id), `map ${id} missing from countAll`);
    const iter = all.counts.filter((c) => 'method' in c && c.method === 'iterator');
    assert.ok(iter.length >= 4);
    assert.equal(new Set(iter.map((c) => ('micros' in c ? c.micros : -1))).size, 1, 'one iterator read for all hash maps');
  });

  it('countAll compact: the same ids, counts, methods and errors as the full answer, and ring buffer positions', async () => {
    const [full, compact] = [await client.countAllMaps(), await client.countAllMapsCompact()];
    // Other processes may create maps between the two calls: compare the maps both saw.
    const fullById = new Map(full.counts.map((c) => [c.id, c]));
    assert.deepEqual(
      compact.ids,
      [...compact.ids].sort((a, b) => a - b),
      'ids ascending',
    );
    assert.equal(compact.counts.length, compact.ids.length);
    assert.equal(compact.methods.length, compact.ids.length);
    let compared = 0;
    compact.ids.forEach((id, i) => {
      const f = fullById.get(id);
      if (!f) return;
      compared++;
      if ('count' in f) {
        assert.equal(compact.counts[i], f.count, `map ${id} (${f.name}) count`);
        assert.equal(COUNT_METHODS[compact.methods[i]], f.method, `map ${id} (${f.name}) method`);
        assert.equal(EXACT_COUNT_METHODS.includes(COUNT_METHODS[compact.methods[i]]), f.exact, `map ${id} exact`);
      } else if (f.typeName === 'ringbuf' || f.typeName === 'user_ringbuf') {
        assert.equal(compact.methods[i], -1);
        assert.ok(compact.ringbufs[id], `ring buffer ${id} has positions`);
      } else {
        assert.equal(compact.methods[i], -1);
        assert.equal(compact.errors[id], f.error, `map ${id} (${f.name}) error`);
      }
    });
    assert.ok(compared >= loaded.maps.length, `compared ${compared} maps`);
    const i = compact.ids.indexOf(map('hash'));
    assert.equal(compact.counts[i], (await client.countMap({ id: map('hash') })).count);
    assert.match(compact.errors[map('queue')], /cannot be counted from user space/);
    // The ring buffer's positions are those map.ringbuf reads.
    assert.deepEqual(compact.ringbufs[map('events')], await client.ringbuf(map('events')));
    assert.ok(compact.iteratorMicros > 0);
    await expectError(client.raw('map.countAll', { compact: 'yes' }), 'INVALID_PARAMS');
    await expectError(client.raw('map.countAll', { since: 1 }), 'INVALID_PARAMS');
  });

  it('reads ring buffer positions before and after a producer run', async () => {
    const before = await client.ringbuf(map('events'));
    assert.equal(before.size, 64 * 1024);
    assert.equal(before.available, before.producerPos - before.consumerPos);
    assert.equal((await client.testRun({ id: prog('produce'), ctxIn: u64Args(10) })).retval, 10);
    const after = await client.ringbuf(map('events'));
    assert.equal(after.producerPos - before.producerPos, 10 * 32); // 8-byte header + 24-byte record
    assert.equal(after.consumerPos, before.consumerPos);
    assert.equal(after.available, before.available + 320);
    await expectError(client.ringbuf(map('hash')), 'INVALID_PARAMS');
  });

  it('test-runs a socket filter: the verdict is the packet length past the Ethernet header', async () => {
    const data = Buffer.alloc(100, 0xab);
    const r = await client.testRun({ id: prog('sock_len'), dataIn: data.toString('base64'), repeat: 10 });
    assert.equal(r.retval, 100 - 14);
    assert.equal(Buffer.from(r.dataOut, 'base64').length, 100);
    const dflt = await client.testRun({ id: prog('sock_len') });
    assert.equal(dflt.retval, 64 - 14);
  });

  it('counts run_cnt while BPF stats are enabled', async () => {
    assert.deepEqual(await client.enableStats(true), { enabled: true });
    await client.testRun({ id: prog('sock_len'), repeat: 25 });
    const p = (await client.listPrograms()).programs.find((x) => x.id === prog('sock_len'))!;
    assert.ok((p.runCount ?? 0) >= 25, `runCount ${p.runCount}`);
    assert.ok((p.runTimeNs ?? 0) > 0);
    assert.deepEqual(await client.enableStats(false), { enabled: false });
    assert.equal((await client.listPrograms()).statsEnabled, false);
  });

  it('pages through map entries with BTF-formatted keys and values', async () => {
    const seen = new Set<number>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.mapEntries({ id: map('lru'), limit: 300, ...(cursor ? { cursor } : {}) });
      for (const e of page.entries) {
        const key = Buffer.from(e.key, 'base64').readUInt32LE(0);
        assert.equal(Buffer.from(e.value!, 'base64').readBigUInt64LE(0), BigInt(key));
        assert.equal(e.keyText, `(__u32)${key}`);
        seen.add(key);
      }
      cursor = page.cursor;
      pages++;
    } while (cursor && pages < 100);
    assert.equal(seen.size, (await client.countMap({ id: map('lru') })).count);
    const percpu = await client.mapEntries({ id: map('percpu_hash'), limit: 5 });
    assert.equal(
      percpu.entries[0].values!.length,
      Number(fs.readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split('-').pop()) + 1,
    );
  });

  it('rejects a broken program with the real verifier log, as bpftool shows it', async () => {
    const e = await expectError(client.loadObject({ path: objects.broken }), 'VERIFIER_REJECTED');
    const d = e.data.details as LoadFailureDetails;
    assert.equal(d.program, 'no_null_check');
    assert.equal(d.logTruncated, false);
    assert.match(d.verifierLog, /R0 invalid mem access 'map_value_or_null'/);
    assert.match(d.verifierLog, /^processed \d+ insns/m);
    assert.equal(e.data.errnoName, 'EACCES');
    // bpftool prints the same kernel log through libbpf.
    const pin = `/sys/fs/bpf/ebpfwb-reject-${process.pid}`;
    const b = spawnSync('bpftool', ['prog', 'load', objects.broken, pin], { encoding: 'utf8' });
    assert.notEqual(b.status, 0);
    const errorLine = d.verifierLog.split('\n').find((l) => l.includes('invalid mem access'))!;
    assert.ok(b.stderr.includes(errorLine), 'bpftool shows the same error line');
    assert.ok(b.stderr.includes(d.verifierLog.split('\n')[0]), 'and the same first line');
  });

  it('grows the log buffer past 1 MiB for a long level-2 log, also for a rejection', async function () {
    this.timeout(120_000);
    const ok = await client.loadObject({ path: objects.biglog, logLevel: 2 });
    seenProgIds.push(...ok.programs.map((p) => p.id));
    seenMapIds.push(...ok.maps.map((m) => m.id));
    assert.ok(ok.programs[0].log!.length > 1 << 20, `log ${ok.programs[0].log!.length} bytes`);
    assert.match(ok.programs[0].log!, /processed \d+ insns/);
    await client.unloadObject(ok.handle);
    const e = await expectError(client.loadObject({ path: objects.biglogReject, logLevel: 2 }), 'VERIFIER_REJECTED');
    const d = e.data.details as LoadFailureDetails;
    assert.ok(d.verifierLog.length > 1 << 20, `rejection log ${d.verifierLog.length} bytes`);
    assert.equal(d.logTruncated, false);
    assert.match(d.verifierLog, /^(func#0 @0|0: )/, 'the log starts at the beginning (not the rotated tail)');
    assert.match(d.verifierLog, /processed \d+ insns[^\n]*\n$/, 'and ends with the summary');
    assert.match(d.verifierLog, /invalid mem access 'map_value_or_null'/);
  });

  it('pins and unpins maps and programs only inside bpffs', async () => {
    const dirPin = `/sys/fs/bpf/ebpfwb-test-${process.pid}`;
    try {
      await client.pin({ kind: 'map', id: map('hash'), path: `${dirPin}/hash` });
      await client.pin({ kind: 'prog', id: prog('sock_len'), path: `${dirPin}/sock_len` });
      assert.equal(bpftoolJson<{ id: number }>(['map', 'show', 'pinned', `${dirPin}/hash`]).id, map('hash'));
      assert.equal((await client.countMap({ path: `${dirPin}/hash` })).id, map('hash'));
      await client.unpin(`${dirPin}/hash`);
      await client.unpin(`${dirPin}/sock_len`);
      assert.equal(fs.existsSync(`${dirPin}/hash`), false);
      const withPins = await client.loadObject({ path: objects.broken.replace('broken', 'maps'), pinDir: `${dirPin}/obj` });
      seenProgIds.push(...withPins.programs.map((p) => p.id));
      seenMapIds.push(...withPins.maps.map((m) => m.id));
      assert.ok(withPins.pinned.length >= 3);
      for (const p of withPins.pinned) assert.ok(fs.existsSync(p), p);
      await client.unloadObject(withPins.handle);
      assert.ok(kernelHas('map', withPins.maps[0].id), 'pinned maps outlive the unload');
      for (const p of withPins.pinned) await client.unpin(p);
      await client.unpin(`${dirPin}/obj`);
      await client.unpin(dirPin);
    } finally {
      fs.rmSync(dirPin, { recursive: true, force: true });
    }
    await expectError(client.pin({ kind: 'map', id: map('hash'), path: '/tmp/not-bpffs' }), 'PATH_OUTSIDE_BPFFS');
  });

  it('returns the target vmlinux.h, and clang builds CO-RE code against it', async function () {
    this.timeout(120_000);
    const { text } = await client.vmlinuxHeader();
    assert.match(text, /^#ifndef __VMLINUX_H__/);
    assert.match(text, /struct task_struct \{/);
    fs.writeFileSync(path.join(dir, 'vmlinux.h'), text);
    fs.writeFileSync(
      path.join(dir, 'core.bpf.c'),
      '#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\nSEC("tp_btf/sched_switch") int on_switch(u64 *ctx) { struct task_struct *t = (void *)ctx[1]; return t->pid & 1; }\nchar LICENSE[] SEC("license") = "GPL";\n',
    );
    execFileSync('clang', ['-g', '-O2', '-target', 'bpf', '-c', path.join(dir, 'core.bpf.c'), '-o', path.join(dir, 'core.bpf.o')], {
      cwd: dir,
    });
  });

  it('leaves nothing loaded or pinned once the helper exits', async () => {
    const internal = (await client.listPrograms()).programs.filter((p) => p.internal).map((p) => p.id);
    assert.ok(internal.length >= 1, 'the map-count iterator is listed as internal');
    seenProgIds.push(...internal);
    await client.unloadObject(loaded.handle);
    await expectError(client.unloadObject(loaded.handle), 'NO_SUCH_OBJECT');
    await client.dispose();
    for (const id of seenProgIds) assert.ok(await waitGone('prog', id), `prog ${id} still loaded`);
    for (const id of seenMapIds) assert.ok(await waitGone('map', id), `map ${id} still loaded`);
    assert.deepEqual(
      fs.readdirSync('/sys/fs/bpf').filter((f) => f.startsWith('ebpfwb-')),
      [],
    );
  });
});
