// libbpf never parses an untrusted ELF inside the root helper: each object is opened, loaded and
// held by an object host of its own. Objects that crash libbpf 1.1 (bit flips of a real object,
// test/fixtures/helper/crashers) fail only their own load; a host that dies later takes only its
// own object along; the helper's death takes every host with it.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { requireKernel } from './requirements';
import { buildHelperBpf, compileFixture, crashers, kernelHas, startHelper, tempDir, u64Args, waitGone } from './helper-support';
import { HelperClient, HelperClientError } from '../../src/core/connection/client';
import type { LogParams } from '../../src/protocol';

/** Pids of the processes the helper started (its object hosts). */
function childrenOf(pid: number): number[] {
  const out = execFileSync('ps', ['--ppid', String(pid), '-o', 'pid='], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map(Number);
}

/** Which process holds an fd of BPF program `id` (fdinfo says prog_id). */
function holdersOfProg(pids: number[], id: number): number[] {
  return pids.filter((pid) => {
    try {
      return fs.readdirSync(`/proc/${pid}/fdinfo`).some((fd) => {
        try {
          return new RegExp(`^prog_id:\\s*${id}$`, 'm').test(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  });
}

describe('helper: libbpf runs in an object host per object', function () {
  this.timeout(120_000);
  let dir: string;
  let mapsObj: string;
  let client: HelperClient;
  let helperPid: number;
  const logs: LogParams[] = [];

  before(async function () {
    requireKernel(this);
    buildHelperBpf();
    dir = tempDir();
    mapsObj = compileFixture(dir, 'maps');
    ({ client } = startHelper());
    client.onDidLog((l) => logs.push(l));
    helperPid = (await client.hello()).pid;
  });

  after(async () => {
    await client?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('objects that crash libbpf fail only their own load: the helper and what it holds keep working', async () => {
    const good = await client.loadObject({ path: mapsObj });
    const fill = good.programs.find((p) => p.name === 'fill')!;
    const hash = good.maps.find((m) => m.name === 'hash')!;
    for (const c of crashers()) {
      await assert.rejects(client.loadObject({ bytes: c.bytes.toString('base64') }), (e: unknown) => {
        assert.ok(e instanceof HelperClientError, String(e));
        assert.equal(e.code, 'BAD_OBJECT', `${c.name}: ${e.message}`);
        assert.match(e.data.message, /^libbpf crashed \(SIGSEGV\) while opening this object: the ELF is malformed/, c.name);
        assert.match(e.data.fix!, /rebuild the object/);
        const d = e.data.details as { libbpfLog: string; crash: { signal: string } };
        assert.equal(d.crash.signal, 'SIGSEGV');
        assert.match(d.libbpfLog, /libbpf: /, "libbpf's messages up to the crash");
        return true;
      });
    }
    // The same helper, and the object it held before, untouched.
    assert.equal((await client.hello()).pid, helperPid);
    assert.ok(kernelHas('prog', fill.id) && kernelHas('map', hash.id));
    await client.testRun({ id: fill.id, ctxIn: u64Args(0, 42) });
    assert.equal((await client.countMap({ id: hash.id })).count, 42);
    // Only the good object's host, the spare and the test-run host remain; the crashed ones are gone.
    assert.ok(childrenOf(helperPid).length <= 3, `helper children: ${childrenOf(helperPid).join(', ')}`);
    await client.unloadObject(good.handle);
    assert.ok(await waitGone('prog', fill.id));
  });

  it('each object lives in a host of its own, and unload ends that host', async () => {
    const a = await client.loadObject({ path: mapsObj });
    const b = await client.loadObject({ path: mapsObj });
    const kids = childrenOf(helperPid);
    const [hostA] = holdersOfProg(kids, a.programs[0].id);
    const [hostB] = holdersOfProg(kids, b.programs[0].id);
    assert.ok(hostA && hostB && hostA !== hostB, `hosts ${hostA} ${hostB}`);
    assert.deepEqual(holdersOfProg([helperPid], a.programs[0].id), [], 'the root helper itself holds no fd of the object');
    await client.unloadObject(a.handle);
    assert.ok(!childrenOf(helperPid).includes(hostA), 'the host exited on unload');
    assert.ok(await waitGone('prog', a.programs[0].id));
    assert.ok(kernelHas('prog', b.programs[0].id));
    await client.unloadObject(b.handle);
  });

  it('a host that dies later takes only its own object, and the helper says so', async () => {
    const a = await client.loadObject({ path: mapsObj });
    const b = await client.loadObject({ path: mapsObj });
    const [hostA] = holdersOfProg(childrenOf(helperPid), a.programs[0].id);
    logs.length = 0;
    process.kill(hostA, 'SIGSEGV');
    assert.ok(await waitGone('prog', a.programs[0].id));
    for (let i = 0; i < 100 && logs.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(logs.length, 1, JSON.stringify(logs));
    assert.equal(logs[0].level, 'warn');
    assert.match(logs[0].message, new RegExp(`object ${a.handle} \\(${mapsObj.replace(/[.]/g, '\\.')}\\) crashed \\(SIGSEGV\\)`));
    const progs = (await client.listPrograms()).programs;
    assert.ok(!progs.some((p) => p.id === a.programs[0].id));
    assert.equal(progs.find((p) => p.id === b.programs[0].id)?.handle, b.handle);
    await assert.rejects(client.unloadObject(a.handle), (e: unknown) => e instanceof HelperClientError && e.code === 'NO_SUCH_OBJECT');
    await client.unloadObject(b.handle);
  });

  it("the helper's death ends every host: nothing it loaded stays", async () => {
    const { client: c, transport } = startHelper();
    const pid = (await c.hello()).pid;
    const a = await c.loadObject({ path: mapsObj });
    const hosts = childrenOf(pid);
    assert.ok(hosts.length >= 1);
    transport.processes[0].kill('SIGKILL');
    await transport.processes[0].exited;
    assert.ok(await waitGone('prog', a.programs[0].id));
    for (const h of hosts) {
      let alive = true;
      for (let i = 0; i < 100 && alive; i++) {
        alive = fs.existsSync(`/proc/${h}`);
        if (alive) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(alive, false, `host ${h} outlived the helper`);
    }
    await c.dispose();
  });
});
