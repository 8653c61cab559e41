// Pins: map.count on a pin checks that it is a map (a pinned program or link gets NOT_A_MAP, not a
// nonsense count or a 46 GB allocation); a load with pinDir pins everything or nothing; `pin` with
// an id that does not exist makes no directory.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { requireKernel } from './requirements';
import { buildHelperBpf, compileFixture, mountBpffsLikeBpftool, startHelper, tempDir, waitGone } from './helper-support';
import { HelperClient, HelperClientError } from '../../src/core/connection/client';

const ROOT = `/sys/fs/bpf/ebpfwb-pins-${process.pid}`;

async function rejectsWith(p: Promise<unknown>, code: string, message: RegExp): Promise<HelperClientError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof HelperClientError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.data.message, message);
    assert.ok(e.data.fix, 'a fix');
    return e;
  }
  assert.fail(`expected ${code}`);
}

describe('helper: pins are checked, and all or nothing', function () {
  this.timeout(60_000);
  let dir: string;
  let mapsObj: string;
  let attachObj: string;
  let client: HelperClient;

  before(async function () {
    requireKernel(this);
    buildHelperBpf();
    mountBpffsLikeBpftool();
    dir = tempDir();
    mapsObj = compileFixture(dir, 'maps');
    attachObj = compileFixture(dir, 'attach');
    ({ client } = startHelper());
    await client.hello();
    fs.mkdirSync(ROOT);
  });

  after(async () => {
    await client?.dispose();
    fs.rmSync(ROOT, { recursive: true, force: true });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('map.count of a pinned program or link says what it is and what to pass instead', async () => {
    const a = await client.loadObject({ path: attachObj });
    const raw = a.programs.find((p) => p.section.startsWith('raw_tp'))!;
    await client.pin({ kind: 'prog', id: raw.id, path: `${ROOT}/prog` });
    const e = await rejectsWith(
      client.countMap({ path: `${ROOT}/prog` }),
      'NOT_A_MAP',
      /is a pinned program \(id \d+, raw_tracepoint\), not a map/,
    );
    assert.match(e.data.fix!, /pin of a map, or the map's id/);
    const at = await client.attach({ id: raw.id, pin: `${ROOT}/link` });
    assert.ok(at.links.length >= 1);
    await rejectsWith(client.countMap({ path: `${ROOT}/link` }), 'NOT_A_MAP', /is a pinned link \(id \d+\), not a map/);
    // A pinned map is counted as before.
    const exec = a.maps.find((m) => m.name === 'exec_count')!;
    await client.pin({ kind: 'map', id: exec.id, path: `${ROOT}/map` });
    const c = await client.countMap({ path: `${ROOT}/map` });
    assert.equal(c.id, exec.id);
    for (const f of ['prog', 'link', 'map']) await client.unpin(`${ROOT}/${f}`);
    await client.unloadObject(a.handle);
  });

  it('a load with pinDir that meets an existing pin pins nothing and frees the object', async () => {
    const pinDir = `${ROOT}/obj`;
    const first = await client.loadObject({ path: mapsObj, pinDir });
    const before = fs.readdirSync(pinDir).sort();
    assert.ok(before.includes('hash') && before.includes('fill'), before.join(' '));
    await client.unloadObject(first.handle);
    // Keep only the pin of the last program libbpf would pin: everything before it must not be left behind.
    for (const f of before) if (f !== 'sock_len') fs.rmSync(`${pinDir}/${f}`);
    const idsBefore = new Set((await client.listMaps()).maps.map((m) => m.id));
    const e = await rejectsWith(
      client.loadObject({ path: mapsObj, pinDir }),
      'INVALID_PARAMS',
      /sock_len already exists; nothing was pinned/,
    );
    assert.deepEqual((e.data.details as { existing: string[] }).existing, [`${pinDir}/sock_len`]);
    assert.deepEqual(fs.readdirSync(pinDir), ['sock_len'], 'no map or program of the failed load is pinned');
    // The failed load's maps are gone from the kernel (nothing holds them).
    const fresh = (await client.listMaps()).maps.filter((m) => !idsBefore.has(m.id) && m.name === 'hash');
    for (const m of fresh) assert.ok(await waitGone('map', m.id), `map ${m.id} of the failed load is freed`);
    fs.rmSync(pinDir, { recursive: true });
  });

  it('every pin a successful load reports exists, in directories it made', async () => {
    const pinDir = `${ROOT}/names/deeper`;
    const r = await client.loadObject({ path: mapsObj, pinDir });
    for (const p of r.pinned) assert.ok(fs.existsSync(p), `${p} exists`);
    assert.equal(r.pinned.length, r.maps.length + r.programs.length);
    await client.unloadObject(r.handle);
    fs.rmSync(`${ROOT}/names`, { recursive: true });
  });

  it('pin with an id that does not exist creates no directory', async () => {
    const target = `${ROOT}/ghost/a/b/pin`;
    await rejectsWith(client.pin({ kind: 'map', id: 0xfffffff0, path: target }), 'NO_SUCH_MAP', /no map with id/);
    await rejectsWith(client.pin({ kind: 'prog', id: 0xfffffff0, path: target }), 'NO_SUCH_PROGRAM', /no program with id/);
    assert.equal(fs.existsSync(`${ROOT}/ghost`), false, 'no directory was made');
  });
});
