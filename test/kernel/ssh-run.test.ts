// Running programs on an SSH target: the helper shipped through a real sshd on 127.0.0.1 attaches a
// program sent as bytes, its bpf_printk lines and ring-buffer records come back over the same
// connection, and `ebpf-workbench --target ... load --attach` stays attached until SIGTERM.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireKernel } from './requirements';
import { compileFixture, repoRoot, tempDir, waitGone, until as untilIn } from './helper-support';
import { startSshd, sshdUnavailable, type TestSshd } from '../support/sshd';
import type { HelperClient } from '../../src/core/connection/client';
import { sshHelperClient } from '../../src/core/connection/ssh';
import { specFromSetting } from '../../src/core/connection/sshTarget';
import type { EventsBatch, TraceLine } from '../../src/protocol';
import { isKernelPidOf } from '../support/pids';

const until = (cond: () => boolean, what: string, ms = 10_000) => untilIn(cond, what, ms);

describe('SSH targets: attach, trace and events (real sshd on 127.0.0.1)', function () {
  this.timeout(180_000);
  let sshd: TestSshd;
  let dir: string;
  let client: HelperClient;

  before(async function () {
    requireKernel(this);
    const why = sshdUnavailable();
    if (why) {
      if (process.env.CI === 'true') throw new Error(why);
      this.skip();
    }
    // What ships to the target is dist/helper.js: build it from this source.
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, stdio: 'ignore' });
    dir = tempDir();
    sshd = await startSshd();
    client = sshHelperClient(specFromSetting('ebpf-test'), {
      configFile: sshd.clientConfig,
      connectTimeoutSeconds: 5,
      stepTimeoutMs: 60_000,
    });
  });

  after(async function () {
    await client?.dispose();
    await sshd?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('attaches a program sent as bytes; its bpf_printk lines and ring-buffer records arrive over ssh', async () => {
    const attachObj = fs.readFileSync(compileFixture(dir, 'attach-run')).toString('base64');
    const o = await client.loadObject({ bytes: attachObj });
    const prog = o.programs.find((p) => p.name === 'on_exec_tp')!;
    const a = await client.attach({ id: prog.id });
    assert.equal(a.links[0].target, 'tracepoint sched:sched_process_exec');

    const lines: TraceLine[] = [];
    const trace = await client.subscribeTrace({}, { onBatch: (b) => void lines.push(...b.lines) });
    const child = spawnSync('/bin/true');
    await until(() => lines.some((l) => isKernelPidOf(l.pid, child.pid) && l.text === 'ebpfwb-attach exec true'), 'the exec line over ssh');
    await trace.dispose();

    const ev = await client.loadObject({ bytes: fs.readFileSync(compileFixture(dir, 'events')).toString('base64') });
    const batches: EventsBatch[] = [];
    const sub = await client.subscribeEvents(
      { id: ev.maps.find((m) => m.name === 'ring_events')!.id },
      { onBatch: (b) => void batches.push(b) },
    );
    assert.equal(sub.result.recordType?.name, 'struct event');
    await client.testRun({ id: ev.programs[0].id, dataIn: Buffer.alloc(64).toString('base64'), repeat: 2 });
    await until(() => batches.flatMap((b) => b.records).length === 2, 'two records over ssh');
    const fields = sub.result.recordType!.fields.map((f) => f.name);
    const r = batches.flatMap((b) => b.records)[0];
    assert.equal(r.values![fields.indexOf('saddr')], '10.0.0.1');
    assert.equal(r.values![fields.indexOf('comm')], 'emitter');
    await sub.dispose();

    await client.detach(a.links[0].linkId);
    await client.unloadObject(o.handle);
    await client.unloadObject(ev.handle);
    assert.ok(await waitGone('prog', prog.id));
  });

  it('ebpf-workbench --target … load --attach --json stays attached until SIGTERM, then detaches', async () => {
    const obj = compileFixture(dir, 'cli-attach');
    const p = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(repoRoot, 'src/cli/main.ts'),
        '--target',
        'ebpf-test',
        '--ssh-config',
        sshd.clientConfig,
        'load',
        obj,
        '--attach',
        '--iface',
        'lo',
        '--json',
      ],
      { cwd: repoRoot, stdio: 'pipe' },
    );
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
    await until(() => /^\{"attached":.*\}$/m.test(out) || p.exitCode !== null, 'the attached line', 90_000);
    assert.equal(p.exitCode, null, err);
    const { attached } = JSON.parse(out.trim()) as { attached: { program: string; id: number; link: number }[] };
    assert.deepEqual(
      attached.map((x) => x.program),
      ['cli_exec', 'cli_xdp'],
    );
    const links = () =>
      (JSON.parse(execFileSync('bpftool', ['-j', 'link', 'list'], { encoding: 'utf8' })) as { id: number }[]).map((l) => l.id);
    assert.ok(attached.every((x) => links().includes(x.link)));
    p.kill('SIGTERM');
    assert.equal(await exited, 0, err);
    for (const x of attached) assert.ok(await waitGone('prog', x.id), `${x.program} was unloaded on the target`);
    assert.ok(attached.every((x) => !links().includes(x.link)));
  });
});
