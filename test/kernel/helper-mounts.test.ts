// A machine that booted without bpffs: the helper runs in a private mount namespace where
// /sys/fs/bpf is not mounted (as on a fresh machine of this kind), mounts bpffs itself on the
// first request that needs it, says so in its log, and the pin works. The namespace's mount (and
// the pins in it) vanish with the helper; the host's /sys/fs/bpf is never touched.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { HelperClient, type HelperTransport } from '../../src/core/connection/client';
import type { LogParams } from '../../src/protocol';
import { compileFixture, tempDir, waitGone, unmountedTransport } from './helper-support';
import { requireKernel } from './requirements';

/** Is bpffs mounted on /sys/fs/bpf in the mount namespace of process `pid`? */
function bpffsMountedIn(pid: number): boolean {
  return fs
    .readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === '/sys/fs/bpf' && / - bpf /.test(l));
}

const unmountedBpffsTransport = (): HelperTransport => unmountedTransport(['/sys/fs/bpf'], 'local (private mount namespace without bpffs)');

describe('helper on a machine without bpffs (private mount namespace)', function () {
  this.timeout(60_000);
  let dir: string;
  let obj: string;

  before(function () {
    requireKernel(this);
    dir = tempDir();
    obj = compileFixture(dir, 'maps');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('mounts bpffs on the first pin, says so once, and the pins go with the namespace', async () => {
    const hostHadBpffs = fs.existsSync('/sys/fs/bpf') && fs.statfsSync('/sys/fs/bpf').type === 0xcafe4a11;
    const client = new HelperClient(unmountedBpffsTransport());
    const said: LogParams[] = [];
    client.onDidLog((p) => said.push(p));
    try {
      const hello = await client.hello();
      assert.equal(bpffsMountedIn(hello.pid), false, 'the namespace starts without bpffs');

      const loaded = await client.loadObject({ path: obj, pinDir: '/sys/fs/bpf/ebpf-test-mounts' });
      assert.ok(loaded.pinned && loaded.pinned.length > 0, JSON.stringify(loaded.pinned));
      assert.equal(bpffsMountedIn(hello.pid), true, 'the helper mounted bpffs in its namespace');
      await client.pin({ kind: 'map', id: loaded.maps[0].id, path: '/sys/fs/bpf/ebpf-test-mounts/again' });

      const mounts = said.filter((p) => /mounted bpf on \/sys\/fs\/bpf/.test(p.message));
      assert.equal(mounts.length, 1, JSON.stringify(said));
      assert.equal(mounts[0].level, 'info');
      assert.equal(fs.existsSync('/sys/fs/bpf/ebpf-test-mounts'), false, "the host's /sys/fs/bpf is not the namespace's");

      await client.dispose();
      // The namespace (and its bpffs instance with the pins) ended with the helper.
      for (const m of loaded.maps) assert.ok(await waitGone('map', m.id), `map ${m.name} (#${m.id}) was freed`);
      const hostHasBpffs = fs.existsSync('/sys/fs/bpf') && fs.statfsSync('/sys/fs/bpf').type === 0xcafe4a11;
      assert.equal(hostHasBpffs, hostHadBpffs, "the host's mounts are unchanged");
    } finally {
      await client.dispose();
    }
  });
});
