// The client side of the helper's life: a helper that dies fails pending requests with a clear
// error and the next request starts a new one; closing stdin makes the helper unload and exit.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireKernel } from './requirements';
import { buildHelperBpf, compileFixture, readableCopy, repoRoot, startHelper, tempDir, waitGone } from './helper-support';
import { HelperClientError } from '../../src/core/connection/client';
import { helperCommand } from '../../src/core/connection/local';

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

  describe('started through sudo -n by an unprivileged user (nobody)', () => {
    const sudoers = `/etc/sudoers.d/ebpfwb-test-${process.pid}`;
    let script: string;
    const runAsNobody = () => {
      const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, script], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as { uid?: number; error?: { code: string; message: string; fix?: string } };
    };

    before(function () {
      if (!fs.existsSync('/usr/bin/sudo') || !fs.existsSync('/usr/sbin/runuser')) this.skip();
      this.timeout(60_000);
      // Runs as nobody: start the helper the way the extension does (auto → sudo -n) and say what happened.
      // nobody cannot read the checkout (root's home is 0700): it gets its own readable copy.
      const entry = path.join(dir, 'as-nobody.ts');
      const helperPath = path.join(dir, 'helper', 'helper.js');
      fs.writeFileSync(
        entry,
        `import { startLocalHelper } from ${JSON.stringify(path.join(repoRoot, 'src/core/connection/local'))};
const client = startLocalHelper({ helperPath: ${JSON.stringify(helperPath)} });
client.hello().then(
  (h) => console.log(JSON.stringify({ uid: h.uid })),
  (e) => console.log(JSON.stringify({ error: e.data ?? { code: 'OTHER', message: String(e) } })),
).finally(() => client.dispose());
`,
      );
      ({ script } = readableCopy(dir, entry));
    });

    after(() => fs.rmSync(sudoers, { force: true }));

    it('without a sudoers rule: tells how to allow it', function () {
      this.timeout(60_000);
      const r = runAsNobody();
      assert.equal(r.error?.code, 'PERMISSION', JSON.stringify(r));
      assert.match(r.error!.message, /sudo asks for a password/);
      assert.match(r.error!.fix!, /NOPASSWD: .*helper\/helper\.js/);
    });

    it('with the rule it suggests: the helper runs as root', function () {
      this.timeout(60_000);
      const rule = /add the line: (.*?) — /.exec(runAsNobody().error!.fix!)![1];
      const candidate = `${sudoers}.tmp`;
      fs.writeFileSync(candidate, rule + '\n', { mode: 0o440 });
      execFileSync('visudo', ['-cf', candidate]);
      fs.renameSync(candidate, sudoers);
      assert.deepEqual(runAsNobody(), { uid: 0 });
    });
  });

  it('builds the sudo and pkexec command lines without a shell', () => {
    const base = { helperPath: '/opt/ebpf/dist/helper.js', nodePath: '/usr/bin/node' };
    assert.deepEqual(helperCommand({ ...base, elevation: 'sudo' }).argv, ['sudo', '-n', '--', '/usr/bin/node', '/opt/ebpf/dist/helper.js']);
    assert.deepEqual(helperCommand({ ...base, elevation: 'pkexec' }).argv, ['pkexec', '/usr/bin/node', '/opt/ebpf/dist/helper.js']);
    assert.deepEqual(helperCommand({ ...base, elevation: 'none' }).argv, ['/usr/bin/node', '/opt/ebpf/dist/helper.js']);
  });
});
