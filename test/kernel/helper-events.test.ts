// Ring-buffer and perf-event-array records through the real helper: an XDP program of
// test/fixtures/helper/events.bpf.c is test-run (BPF_PROG_TEST_RUN) and writes one record per run;
// the records arrive decoded with the object's BTF, with the right values. Flow control: a client
// that does not acknowledge gets one batch and a count of the rest; the helper keeps consuming and
// keeps answering requests. Unsubscribing releases the ring and the perf events.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { requireKernel } from './requirements';
import { compileFixture, startHelper, tempDir, waitGone, until } from './helper-support';
import type { HelperClient } from '../../src/core/connection/client';
import { HelperClientError } from '../../src/core/connection/client';
import type { EventsBatch, EventRecord, ObjectLoadResult } from '../../src/protocol';

const frame = Buffer.alloc(64).toString('base64');

/** Open fds of `pid` whose link matches (anon_inode:[perf_event], ...). */
function fdsOf(pid: number, match: RegExp): number {
  return fs.readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return match.test(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      return false;
    }
  }).length;
}

describe('helper: events from ring buffers and perf event arrays (real kernel)', function () {
  this.timeout(60_000);
  let dir: string;
  let client: HelperClient;
  let loaded: ObjectLoadResult;
  let noBtf: ObjectLoadResult;
  let helperPid: number;
  const map = (o: ObjectLoadResult, name: string) => o.maps.find((m) => m.name === name)!.id;
  const emit = (o: ObjectLoadResult, repeat: number) => client.testRun({ id: o.programs[0].id, dataIn: frame, repeat });

  before(async function () {
    requireKernel(this);
    dir = tempDir();
    ({ client } = startHelper());
    helperPid = (await client.hello()).pid;
    loaded = await client.loadObject({ path: compileFixture(dir, 'events') });
    noBtf = await client.loadObject({ path: compileFixture(dir, 'events', ['-DNO_EVENT_BTF'], 'events-nobtf') });
  });

  after(async function () {
    const ids = [...(loaded?.programs ?? []), ...(noBtf?.programs ?? [])].map((p) => p.id);
    await client?.dispose();
    for (const id of ids) assert.ok(await waitGone('prog', id), `program ${id} is still loaded`);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function expectEvent(fields: string[], r: EventRecord, seq: number): void {
    const v = Object.fromEntries(fields.map((f, i) => [f, r.values![i]]));
    assert.deepEqual(v, {
      pid: 4242,
      seq,
      saddr: '10.0.0.1',
      daddr6: 'fe80::1',
      dport: 8080,
      mac: '02:00:00:00:00:ab',
      comm: 'emitter',
      verdict: 'VERDICT_REDIRECT',
      big: '18446744073709551600',
      delta: -5,
      'pair.lo': 1,
      'pair.hi': 2,
    });
  }

  it('decodes ring buffer records with the struct the source reserves', async () => {
    const batches: EventsBatch[] = [];
    const sub = await client.subscribeEvents({ id: map(loaded, 'ring_events') }, { onBatch: (b) => void batches.push(b) });
    try {
      assert.equal(sub.result.mapType, 'ringbuf');
      assert.equal(sub.result.typeFrom, 'source');
      assert.equal(sub.result.recordType?.name, 'struct event');
      assert.match(sub.result.notes.join(' '), /one consumer position/);
      const first = (await client.testRun({ id: loaded.programs[0].id, dataIn: frame })).retval;
      assert.equal(first, 2, 'XDP_PASS');
      await emit(loaded, 4);
      const records = () => batches.flatMap((b) => b.records);
      await until(() => records().length === 5, '5 records');
      const fields = sub.result.recordType!.fields.map((f) => f.name);
      const seq0 = records()[0].values![1] as number;
      records().forEach((r, i) => expectEvent(fields, r, seq0 + i));
      assert.equal(records()[0].size, 72);
      assert.equal(records()[0].hex, undefined, 'typed records carry values, not hex');
      const last = batches[batches.length - 1];
      assert.equal(last.received, 5);
      assert.equal(last.dropped, 0);
    } finally {
      await sub.dispose();
    }
  });

  it('decodes perf event array records (padded to 8 bytes) with the CPU that wrote them, and gives the slots back', async () => {
    const before = fdsOf(helperPid, /perf_event/);
    const batches: EventsBatch[] = [];
    const sub = await client.subscribeEvents({ id: map(loaded, 'perf_events'), pages: 4 }, { onBatch: (b) => void batches.push(b) });
    assert.equal(sub.result.mapType, 'perf_event_array');
    assert.equal(sub.result.recordType?.name, 'struct event');
    assert.match(sub.result.notes.join(' '), /per-CPU slots/);
    assert.ok(fdsOf(helperPid, /perf_event/) > before, 'one perf event per CPU is open');
    await emit(loaded, 3);
    await until(() => batches.flatMap((b) => b.records).length === 3, '3 perf records');
    const records = batches.flatMap((b) => b.records);
    const fields = sub.result.recordType!.fields.map((f) => f.name);
    const seq0 = records[0].values![1] as number;
    records.forEach((r, i) => expectEvent(fields, r, seq0 + i));
    assert.equal(records[0].size, 76);
    assert.equal(typeof records[0].cpu, 'number');
    await sub.dispose();
    assert.equal(fdsOf(helperPid, /perf_event/), before, 'the perf events are closed after unsubscribe');
  });

  it('a client that does not acknowledge gets one batch and a count: the helper drops, keeps consuming and keeps answering', async () => {
    // Records other tests wrote (every run writes to the ring and the perf array) are consumed first.
    const drain = await client.subscribeEvents({ id: map(loaded, 'ring_events') }, { onBatch: () => undefined });
    await new Promise((r) => setTimeout(r, 200));
    await drain.dispose();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const batches: EventsBatch[] = [];
    const sub = await client.subscribeEvents(
      { id: map(loaded, 'ring_events'), batch: 64 },
      {
        onBatch: (b) => {
          batches.push(b);
          return batches.length === 1 ? held : undefined;
        },
      },
    );
    try {
      await emit(loaded, 3000);
      await until(() => batches.length === 1, 'the first batch');
      // While the first batch is unacknowledged, the helper answers other requests.
      const t = Date.now();
      await client.listMaps();
      assert.ok(Date.now() - t < 2000, 'map.list answered while a batch is pending');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(batches.length, 1, 'no second batch before the ack');
      assert.equal(batches[0].records.length, 64);
      release();
      await until(() => batches.length >= 2 && batches[batches.length - 1].received === 3000, 'the totals after the ack');
      const last = batches[batches.length - 1];
      const delivered = batches.reduce((n, b) => n + b.records.length, 0);
      assert.ok(last.dropped > 0, 'records beyond one batch were dropped');
      assert.equal(delivered + last.dropped, 3000, 'every record consumed was delivered or counted');
      assert.ok(delivered <= 128, `at most two batches delivered (${delivered})`);
    } finally {
      release();
      await sub.dispose();
    }
  });

  it('without the struct in BTF: hex records and a note that says how to add it', async () => {
    const batches: EventsBatch[] = [];
    const sub = await client.subscribeEvents({ id: map(noBtf, 'ring_events') }, { onBatch: (b) => void batches.push(b) });
    try {
      assert.equal(sub.result.typeFrom, 'none');
      assert.match(sub.result.notes.join(' '), /writes struct event records, but the object's BTF has no struct event/);
      assert.match(sub.result.notes.join(' '), /struct event \*unused_event __attribute__\(\(unused\)\)/);
      await emit(noBtf, 1);
      await until(() => batches.some((b) => b.records.length), 'a record');
      const r = batches.flatMap((b) => b.records)[0];
      assert.equal(r.values, undefined);
      assert.equal(r.hex?.slice(0, 8), '92100000', 'pid 4242 little-endian');
    } finally {
      await sub.dispose();
    }
    // Picking a struct by name works even then, and a wrong name lists the choices.
    const picked = await client.subscribeEvents({ id: map(noBtf, 'ring_events'), type: 'flow_stats' }, { onBatch: () => undefined });
    assert.equal(picked.result.typeFrom, 'request');
    assert.equal(picked.result.recordType?.name, 'struct flow_stats');
    await picked.dispose();
    await assert.rejects(
      client.subscribeEvents({ id: map(noBtf, 'ring_events'), type: 'nope' }, { onBatch: () => undefined }),
      (e: HelperClientError) => e.code === 'INVALID_PARAMS' && /struct flow_key/.test(e.data.fix ?? ''),
    );
  });

  it('refuses maps that are not event sources, with what to use instead', async () => {
    await assert.rejects(
      client.subscribeEvents({ id: map(loaded, 'flows') }, { onBatch: () => undefined }),
      (e: HelperClientError) => e.code === 'INVALID_PARAMS' && /hash map/.test(e.message) && /Show Contents/.test(e.data.fix ?? ''),
    );
    await assert.rejects(
      client.subscribeEvents({ id: 0xfffffff0 }, { onBatch: () => undefined }),
      (e: HelperClientError) => e.code === 'NO_SUCH_MAP',
    );
  });
});
