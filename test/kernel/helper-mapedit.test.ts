// Map editing through the real helper, checked against bpftool: update and delete typed by BTF
// (a struct key and value given as JSON, IPs and enum names included), arrays, clear, queues and
// stacks (push, peek, pop order), and a map without BTF edited with numbers, IPs and hex.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { requireKernel } from './requirements';
import { bpftoolJson, compileFixture, mountBpffsLikeBpftool, startHelper, tempDir, waitGone } from './helper-support';
import type { HelperClient } from '../../src/core/connection/client';
import { HelperClientError } from '../../src/core/connection/client';
import type { ObjectLoadResult } from '../../src/protocol';

const NOBTF_PIN = `/sys/fs/bpf/ebpf-test-mapedit-${process.pid}`;

interface DumpEntry {
  key: string[];
  value: string[];
}

/** bpftool's raw dump (hex bytes), independent of our decoding. */
function dump(id: number): { key: Buffer; value: Buffer }[] {
  const raw = bpftoolJson<(DumpEntry | { formatted: unknown; key: string[]; value: string[] })[]>(['map', 'dump', 'id', String(id)]);
  return raw.map((e) => ({ key: Buffer.from(e.key.map((x) => parseInt(x, 16))), value: Buffer.from(e.value.map((x) => parseInt(x, 16))) }));
}

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: HelperClientError) => {
    assert.ok(e instanceof HelperClientError, String(e));
    assert.match(`${e.data.message} ${e.data.fix ?? ''}`, re);
    return true;
  });
}

describe('helper: map editing (real kernel)', function () {
  this.timeout(60_000);
  let dir: string;
  let client: HelperClient;
  let loaded: ObjectLoadResult;
  const map = (name: string) => loaded.maps.find((m) => m.name === name)!.id;

  before(async function () {
    requireKernel(this);
    dir = tempDir();
    ({ client } = startHelper());
    loaded = await client.loadObject({ path: compileFixture(dir, 'events') });
  });

  after(async function () {
    const ids = loaded?.maps.map((m) => m.id) ?? [];
    await client?.dispose();
    fs.rmSync(NOBTF_PIN, { force: true });
    for (const id of ids) assert.ok(await waitGone('map', id), `map ${id} is still loaded`);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('describes key and value types for a form', async () => {
    const t = await client.mapTypes(map('flows'));
    assert.equal(t.access, 'keyed');
    assert.equal(t.key?.name, 'struct flow_key');
    assert.deepEqual(
      t.key?.fields.map((f) => `${f.name}:${f.kind}`),
      ['saddr:ipv4', 'daddr:ipv4', 'sport:uint', 'dport:uint'],
    );
    assert.deepEqual(
      t.value?.fields.map((f) => `${f.name}:${f.kind}`),
      ['packets:uint', 'bytes:uint', 'label:string', 'verdict:enum'],
    );
    assert.equal((await client.mapTypes(map('work'))).access, 'queue');
    assert.equal((await client.mapTypes(map('ring_events'))).access, 'none');
  });

  it('updates and deletes a struct-keyed hash entry given as JSON', async () => {
    const key = '{"saddr": "10.1.2.3", "daddr": "192.168.0.9", "sport": 1234, "dport": 80}';
    const r = await client.mapUpdate({
      id: map('flows'),
      key,
      value: '{"packets": 5, "bytes": 1500, "label": "web", "verdict": "VERDICT_DROP"}',
    });
    assert.equal(JSON.parse(r.keyText!).saddr, '10.1.2.3');
    const [e] = dump(map('flows'));
    assert.deepEqual([...e.key.subarray(0, 8)], [10, 1, 2, 3, 192, 168, 0, 9]);
    assert.equal(e.key.readUInt16LE(8), 1234);
    assert.equal(e.value.readBigUInt64LE(0), 5n);
    assert.equal(e.value.readBigUInt64LE(8), 1500n);
    assert.equal(e.value.toString('utf8', 16, 19), 'web');
    assert.equal(e.value.readUInt32LE(24), 2);

    // A partial value keeps the other members; "exist"/"noexist" say what went wrong.
    await client.mapUpdate({ id: map('flows'), key, value: '{"packets": 6}', mode: 'exist' });
    const [after] = dump(map('flows'));
    assert.equal(after.value.readBigUInt64LE(0), 6n);
    assert.equal(after.value.readBigUInt64LE(8), 1500n, 'bytes kept');
    await rejects(client.mapUpdate({ id: map('flows'), key, value: '{}', mode: 'noexist' }), /already has key/);
    await rejects(
      client.mapUpdate({ id: map('flows'), key, value: '{"verdict": "NOPE"}' }),
      /one of VERDICT_PASS, VERDICT_DROP, VERDICT_REDIRECT/,
    );
    await rejects(client.mapUpdate({ id: map('flows'), key: '{"saddr": "10.1.2"}', value: '{}' }), /IPv4 address/);

    await client.mapDelete({ id: map('flows'), key });
    assert.deepEqual(dump(map('flows')), []);
    await rejects(client.mapDelete({ id: map('flows'), key }), /has no key/);
  });

  it('writes array slots, refuses to delete them, and clears by zeroing', async () => {
    await client.mapUpdate({ id: map('counters'), key: '2', value: '99' });
    assert.equal(dump(map('counters'))[2].value.readBigUInt64LE(0), 99n);
    await rejects(client.mapUpdate({ id: map('counters'), key: '9', value: '1' }), /outside array counters \(0\.\.3\)/);
    await rejects(client.mapDelete({ id: map('counters'), key: '2' }), /cannot be deleted/);
    const cleared = await client.mapClear(map('counters'));
    assert.equal(cleared.cleared, 4);
    assert.ok(dump(map('counters')).every((e) => e.value.every((b) => b === 0)));
  });

  it('clears a hash map of every entry', async () => {
    for (let i = 0; i < 20; i++) {
      await client.mapUpdate({ id: map('flows'), key: `{"sport": ${i}}`, value: `{"packets": ${i}}` });
    }
    assert.equal(dump(map('flows')).length, 20);
    assert.equal((await client.mapClear(map('flows'))).cleared, 20);
    assert.equal(dump(map('flows')).length, 0);
  });

  it('pushes, peeks and pops queues (FIFO) and stacks (LIFO)', async () => {
    for (const v of ['1', '2', '3']) await client.mapPush({ id: map('work'), value: v });
    assert.equal((await client.mapPop({ id: map('work'), peek: true })).valueText, '1');
    const popped = [];
    for (let i = 0; i < 3; i++) popped.push((await client.mapPop({ id: map('work') })).valueText);
    assert.deepEqual(popped, ['1', '2', '3']);
    assert.deepEqual(await client.mapPop({ id: map('work') }), {}, 'empty');

    for (const v of ['10', '20']) await client.mapPush({ id: map('undo'), value: v });
    assert.equal((await client.mapPop({ id: map('undo') })).valueText, '20');
    await rejects(client.mapUpdate({ id: map('work'), key: '0', value: '1' }), /push a value/);
    for (let i = 0; i < 8; i++) await client.mapPush({ id: map('work'), value: String(i) });
    await rejects(client.mapPush({ id: map('work'), value: '9' }), /is full/);
    assert.equal((await client.mapClear(map('work'))).cleared, 8);
  });

  it('edits a map without BTF with numbers, IPs and hex (made by bpftool)', async () => {
    mountBpffsLikeBpftool();
    execFileSync('bpftool', ['map', 'create', NOBTF_PIN, 'type', 'hash', 'key', '4', 'value', '8', 'entries', '8', 'name', 'ebpfwb_nobtf']);
    const id = bpftoolJson<{ id: number }>(['map', 'show', 'pinned', NOBTF_PIN]).id;
    const t = await client.mapTypes(id);
    assert.equal(t.key, undefined);
    await client.mapUpdate({ id, key: '10.0.0.1', value: '0x1122334455667788' });
    await client.mapUpdate({ id, key: '7', value: 'hex:01 02 03 04 05 06 07 08' });
    const entries = dump(id).sort((a, b) => a.key.readUInt32LE(0) - b.key.readUInt32LE(0));
    assert.deepEqual([...entries[1].key], [10, 0, 0, 1]);
    assert.equal(entries[1].value.readBigUInt64LE(0), 0x1122334455667788n);
    assert.equal(entries[0].key.readUInt32LE(0), 7);
    assert.deepEqual([...entries[0].value], [1, 2, 3, 4, 5, 6, 7, 8]);
    await rejects(client.mapUpdate({ id, key: '{"a": 1}', value: '1' }), /has no BTF/);
    await client.mapDelete({ id, key: '10.0.0.1' });
    assert.equal(dump(id).length, 1);
  });
});
