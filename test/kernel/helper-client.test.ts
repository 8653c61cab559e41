// The client side of the helper's life: a helper that dies fails pending requests with a clear
// error and the next request starts a new one; closing stdin makes the helper unload and exit.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { requireKernel } from './requirements';
import { buildHelperBpf, compileFixture, startHelper, tempDir, waitGone } from './helper-support';
import { HelperClientError } from '../../src/target/client';
import { helperCommand } from '../../src/target/local';

describe('helper client: restarts and exits', function () {
  let dir: string;
  let mapsObj: string;

  before(function () {
    requireKernel(this);
    this.timeout(60_000);
    buildHelperBpf();
    dir = tempDir();
    mapsObj = compileFixture(dir, 'maps');
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fails a pending request when the helper dies, then starts a new helper', async function () {
    this.timeout(60_000);
    const { client, transport } = startHelper();
    const starts: number[] = [];
    const exits: string[] = [];
    client.onDidStart((h) => starts.push(h.pid));
    client.onDidExit((why) => exits.push(why));
    try {
      const first = await client.hello();
      const obj = await client.loadObject({ path: mapsObj });
      const pending = client.vmlinuxHeader(); // takes long enough to be in flight
      setTimeout(() => transport.processes[0].kill('SIGKILL'), 30); // a crash: no cleanup of its own
      await assert.rejects(pending, (e: unknown) => {
        assert.ok(e instanceof HelperClientError);
        assert.equal(e.code, 'HELPER_EXITED');
        assert.match(e.message, /exited while a request was pending/);
        return true;
      });
      assert.equal(exits.length, 1);
      assert.match(exits[0], /killed by SIGKILL/);
      // What the dead helper loaded went with it: the kernel closed its fds.
      for (const m of obj.maps) assert.ok(await waitGone('map', m.id), `map ${m.id}`);
      const second = await client.hello();
      assert.notEqual(second.pid, first.pid);
      assert.deepEqual(starts, [first.pid, second.pid]);
      assert.ok((await client.listMaps()).maps);
    } finally {
      await client.dispose();
    }
  });

  it('closing stdin makes the helper unload everything and exit 0', async function () {
    this.timeout(60_000);
    const { client, transport } = startHelper();
    const obj = await client.loadObject({ path: mapsObj });
    await client.countAllMaps(); // loads the helper's iterator too
    const internal = (await client.listPrograms()).programs.filter((p) => p.internal).map((p) => p.id);
    const proc = transport.processes[0];
    proc.stdin.end();
    assert.deepEqual(await proc.exited, { code: 0, signal: null });
    for (const p of obj.programs) assert.ok(await waitGone('prog', p.id), `prog ${p.id}`);
    for (const id of internal) assert.ok(await waitGone('prog', id), `internal prog ${id}`);
    for (const m of obj.maps) assert.ok(await waitGone('map', m.id), `map ${m.id}`);
    await client.dispose();
  });

  it('explains how to allow sudo when it wants a password', () => {
    const cmd = helperCommand({ elevation: 'sudo', helperPath: '/opt/ebpf/dist/helper.js', nodePath: '/usr/bin/node' });
    assert.deepEqual(cmd.argv, ['sudo', '-n', '--', '/usr/bin/node', '/opt/ebpf/dist/helper.js']);
  });
});
