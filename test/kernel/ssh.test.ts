// SSH targets end to end: a real sshd on 127.0.0.1 (throwaway keys, its own HOME), the real
// OpenSSH client, the helper shipped through it and the real kernel behind it. Also: errors a
// user can act on, a dropped connection, reconnecting, and hostile target strings.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireKernel } from './requirements';
import { startSshd, sshdUnavailable, TestSshd } from '../support/sshd';
import { HelperClient, HelperClientError } from '../../src/core/connection/client';
import { connectTarget } from '../../src/cli/connect';
import { installOnRemote, sshHelperClient, SshTargetError, SshTransportOptions } from '../../src/core/connection/ssh';
import { HelperSupervisor } from '../../src/core/connection/supervisor';
import { specFromSetting, TargetSyntaxError } from '../../src/core/connection/sshTarget';
import type { HelloResult, MapCountResult } from '../../src/protocol';
import { ipv4Frame } from '../support/packets';

const repoRoot = path.resolve(__dirname, '..', '..');

async function expectSshError(p: Promise<unknown>, reason: string): Promise<SshTargetError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SshTargetError, `expected SshTargetError(${reason}), got ${(e as Error)?.stack ?? e}`);
    assert.equal(e.reason, reason, e.message);
    assert.ok(e.data.fix && e.data.fix.length > 10, 'the error says what to do');
    return e;
  }
  assert.fail(`expected SshTargetError ${reason}`);
}

function connections(sshd: TestSshd): number {
  return (fs.readFileSync(sshd.logFile, 'utf8').match(/Connection from 127\.0\.0\.1/g) ?? []).length;
}

describe('SSH targets (real sshd on 127.0.0.1)', function () {
  this.timeout(120_000);
  let sshd: TestSshd;
  let objectBytes: string;
  let work: string;
  const clients: HelperClient[] = [];
  // Short keepalives so a silent drop is noticed within ~3 s.
  const opts = (): SshTransportOptions => ({
    configFile: sshd.clientConfig,
    connectTimeoutSeconds: 5,
    serverAliveIntervalSeconds: 1,
    serverAliveCountMax: 2,
    stepTimeoutMs: 40_000,
  });
  const client = (target = 'ebpf-test', o: SshTransportOptions = opts(), nodePath?: string) => {
    const c = sshHelperClient(specFromSetting(nodePath ? { target, nodePath } : target), o);
    clients.push(c);
    return c;
  };

  before(async function () {
    requireKernel(this);
    const why = sshdUnavailable();
    if (why) {
      if (process.env.CI === 'true') throw new Error(why);
      this.skip();
    }
    // What ships is the built helper: build it when this suite runs on its own.
    if (!fs.existsSync(path.join(repoRoot, 'dist', 'helper.js')) || !fs.existsSync(path.join(repoRoot, 'dist', 'bpf'))) {
      execFileSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, stdio: 'inherit' });
    }
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'ebpfwb-ssh-'));
    const multiarch = execFileSync('clang', ['-print-multiarch'], { encoding: 'utf8' }).trim();
    const obj = path.join(work, 'packet_counter.bpf.o');
    execFileSync('clang', [
      '-g',
      '-O2',
      '-target',
      'bpf',
      '-D__TARGET_ARCH_x86',
      '-idirafter',
      `/usr/include/${multiarch}`,
      '-c',
      path.join(repoRoot, 'bpf', 'examples', 'packet_counter.bpf.c'),
      '-o',
      obj,
    ]);
    objectBytes = fs.readFileSync(obj).toString('base64');
    sshd = await startSshd();
  });

  after(async function () {
    for (const c of clients) await c.dispose().catch(() => undefined);
    await sshd?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('refuses hostile target strings before running anything', async function () {
    const marker = path.join(work, 'pwned');
    const hostile = [
      `-oProxyCommand=touch ${marker}`,
      '-oProxyCommand=sh',
      `-F${work}/evil`,
      'host -oProxyCommand=x',
      'root@127.0.0.1;touch /tmp/x',
      'host\n-oProxyCommand=x',
      '$(touch /tmp/x)',
      '`id`',
      "host'x",
      'host"x',
      'a|b',
      'user@-host',
      '-l root host',
      'host:22:33',
      'host:0',
      'host:99999',
      '[::1',
      '[not-v6]:22',
    ];
    assert.throws(() => specFromSetting(''), TargetSyntaxError);
    const before = connections(sshd);
    for (const t of hostile) {
      assert.throws(() => specFromSetting(t), TargetSyntaxError, JSON.stringify(t));
      await assert.rejects(
        connectTarget(t, sshd.clientConfig),
        (e: unknown) => e instanceof HelperClientError && e.code === 'INVALID_PARAMS',
        JSON.stringify(t),
      );
    }
    assert.throws(() => specFromSetting({ target: 'ebpf-test', jump: '-oProxyCommand=x' }), TargetSyntaxError);
    assert.throws(() => specFromSetting({ target: 'ebpf-test', nodePath: 'node; rm -rf /' }), TargetSyntaxError);
    assert.equal(fs.existsSync(marker), false);
    assert.equal(connections(sshd), before, 'no ssh connection was made');
  });

  it('ships the helper once, loads an object, counts exactly, reads entries, unloads', async function () {
    const logs: string[] = [];
    const c = client('ebpf-test', { ...opts(), log: (l) => logs.push(l) });
    const hello = await c.hello();
    assert.equal(hello.uid, 0);
    assert.equal(hello.kernelRelease, os.release());
    assert.equal(logs.filter((l) => l.startsWith('uploading')).length, 1, logs.join('\n'));
    const cached = fs.readdirSync(path.join(sshd.home, '.cache', 'ebpf-workbench'));
    assert.equal(cached.length, 1);
    assert.match(cached[0], /^helper-[0-9a-f]{16}$/);
    const shipped = path.join(sshd.home, '.cache', 'ebpf-workbench', cached[0]);
    assert.ok(fs.existsSync(path.join(shipped, 'helper.js')));
    assert.deepEqual(
      fs.readdirSync(path.join(shipped, 'node_modules', '@koromix')),
      [`koffi-linux-${process.arch}`],
      'only the native module the remote needs',
    );

    const loaded = await c.loadObject({ bytes: objectBytes });
    const map = loaded.maps.find((m) => m.name === 'packets_by_source');
    const prog = loaded.programs.find((p) => p.name === 'count_packets');
    assert.ok(map && prog, JSON.stringify(loaded));

    // 37 distinct sources, the first 5 seen three times: exactly 37 entries.
    const sources = Array.from({ length: 37 }, (_, i) => 0x0a000001 + i * 7);
    for (const [i, src] of sources.entries()) {
      const r = await c.testRun({ id: prog.id, dataIn: ipv4Frame(src), repeat: i < 5 ? 3 : 1 });
      assert.equal(r.retval, 2 /* XDP_PASS */);
    }
    const count: MapCountResult = await c.countMap({ id: map.id });
    assert.equal(count.count, 37);
    assert.equal(count.exact, true);
    const all = await c.countAllMaps();
    const inAll = all.counts.find((x) => x.id === map.id);
    assert.ok(inAll && 'count' in inAll && inAll.count === 37, JSON.stringify(inAll));

    const seen = new Map<number, number>();
    let cursor: string | undefined;
    do {
      const page = await c.mapEntries({ id: map.id, cursor, limit: 10 });
      for (const e of page.entries)
        seen.set(Buffer.from(e.key, 'base64').readUInt32BE(0), Number(Buffer.from(e.value!, 'base64').readBigUInt64LE(0)));
      cursor = page.cursor;
    } while (cursor);
    assert.equal(seen.size, 37);
    for (const [i, src] of sources.entries()) assert.equal(seen.get(src), i < 5 ? 3 : 1, `packets from ${src.toString(16)}`);

    await c.unloadObject(loaded.handle);
    // The kernel frees a map after an RCU grace period: poll briefly.
    let present = true;
    for (let i = 0; i < 50 && present; i++) {
      present = (await c.listMaps()).maps.some((m) => m.id === map.id);
      if (present) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(present, false, 'the map is gone after unload');
    await c.dispose();

    // A second connection finds the cached helper: no upload.
    const again: string[] = [];
    const c2 = client('ebpf-test', { ...opts(), log: (l) => again.push(l) });
    assert.equal((await c2.hello()).uid, 0);
    assert.deepEqual(again, []);
    await c2.dispose();
  });

  it('the same target written as root@127.0.0.1:PORT works too', async function () {
    const c = client(`root@127.0.0.1:${sshd.port}`);
    const r = await c.countAllMaps();
    assert.ok(Array.isArray(r.counts));
    await c.dispose();
  });

  it('the CLI with --target: loads a local object on the remote, pins it, counts it by path', async function () {
    const pinDir = '/sys/fs/bpf/ebpf-test-cli-ssh';
    const obj = path.join(work, 'packet_counter.bpf.o');
    const cli = (...args: string[]) =>
      spawnSync(
        process.execPath,
        ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), '--target', 'ebpf-test', '--ssh-config', sshd.clientConfig, ...args],
        {
          cwd: repoRoot,
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
    try {
      const load = cli('load', obj, '--pin', pinDir, '--json');
      assert.equal(load.status, 0, load.stderr);
      const loaded = JSON.parse(load.stdout) as { maps: { name: string; id: number }[]; pinned: string[] };
      assert.ok(
        loaded.maps.some((m) => m.name === 'packets_by_source'),
        load.stdout,
      );
      const pinnedMap = loaded.pinned.find((p) => p.endsWith('packets_by_source'));
      assert.ok(pinnedMap, `pinned: ${loaded.pinned.join(', ')}`);

      const count = cli('count', pinnedMap, '--json');
      assert.equal(count.status, 0, count.stderr);
      const counted = JSON.parse(count.stdout) as { name: string; count: number; exact: boolean; method: string };
      // The kernel keeps 15 characters of a map's name.
      assert.deepEqual([counted.name, counted.count, counted.exact], ['packets_by_sour', 0, true]);

      // The last --target wins, and a hostile one is refused before ssh runs.
      const hostile = cli('--target', 'x;touch /tmp/ebpf-test-pwned', 'maps');
      assert.equal(hostile.status, 1);
      assert.match(hostile.stderr, /--target: .*contains/);
      assert.equal(fs.existsSync('/tmp/ebpf-test-pwned'), false);
    } finally {
      fs.rmSync(pinDir, { recursive: true, force: true });
    }
  });

  it('explains an unknown host key, a refused key and a missing node', async function () {
    await expectSshError(client('ebpf-test', { ...opts(), configFile: sshd.unknownHostConfig }).hello(), 'host-key-unknown');
    await expectSshError(client('ebpf-test', { ...opts(), configFile: sshd.wrongKeyConfig }).hello(), 'auth-failed');
    const e = await expectSshError(client('ebpf-test', opts(), '/nonexistent/node').hello(), 'no-node');
    assert.match(e.message, /\/nonexistent\/node/);
    assert.equal(e.retryable, false);
  });

  describe('as a throwaway non-root user through sudo -n', function () {
    const user = `ebpfwb${process.pid}`;
    const sudoers = `/etc/sudoers.d/ebpfwb-ssh-test-${process.pid}`;
    let home: string;
    let prefix: string;

    before(function () {
      if (!fs.existsSync('/usr/bin/sudo') || !fs.existsSync('/usr/sbin/useradd')) this.skip();
      fs.chmodSync(work, 0o711); // the user must reach its home below it
      home = path.join(work, 'home-user');
      // '*': no password, yet not locked (sshd without PAM refuses locked accounts even with a key).
      execFileSync('useradd', ['-M', '-N', '-p', '*', '-s', '/bin/sh', '-d', home, user]);
      fs.mkdirSync(home);
      execFileSync('chown', [user, home]);
      prefix = path.join(work, 'lib', 'ebpf-workbench');
    });

    after(function () {
      fs.rmSync(sudoers, { force: true });
      spawnSync('userdel', [user]);
    });

    it('without the root-owned install: says so and gives the install-helper command', async function () {
      const e = await expectSshError(
        client(`${user}@127.0.0.1:${sshd.port}`, { ...opts(), installPrefix: prefix }).hello(),
        'not-installed',
      );
      assert.match(e.message, new RegExp(`logged in as ${user}.*no helper is installed in ${prefix}`));
      assert.match(e.data.fix!, new RegExp(`ebpf-workbench --target ${user}@127\\.0\\.0\\.1:${sshd.port} install-helper --user ${user}`));
      assert.equal(e.retryable, false);
      assert.ok(
        !fs.existsSync(path.join(home, '.cache', 'ebpf-workbench')),
        "nothing is shipped to a non-root user's cache to run as root",
      );
    });

    it('install-helper --target (root login) installs root-owned for the user; the user runs exactly it through sudo', async function () {
      const result = await installOnRemote(
        specFromSetting('ebpf-test'),
        { ...opts(), installPrefix: prefix, sudoersPath: sudoers },
        { users: [user] },
      );
      assert.equal(result.dir, `${prefix}/helper-${result.hash}`);
      for (const f of ['helper.js', 'MANIFEST', 'install.json']) assert.equal(fs.statSync(path.join(result.dir, f)).uid, 0, f);
      const rule = fs.readFileSync(sudoers, 'utf8');
      assert.match(rule, new RegExp(`^Cmnd_Alias \\w+ = ${result.node} ${result.dir}/helper\\.js$`, 'm'));
      assert.match(rule, new RegExp(`^${user} ALL=\\(root\\) NOPASSWD: `, 'm'));
      assert.ok(!rule.replace(/^#.*$/gm, '').includes('*'), 'no wildcards');
      const c = client(`${user}@127.0.0.1:${sshd.port}`, { ...opts(), installPrefix: prefix });
      assert.equal((await c.hello()).uid, 0);
      assert.ok(Array.isArray((await c.countAllMaps()).counts));
      await c.dispose();
      assert.ok(!fs.existsSync(path.join(home, '.cache', 'ebpf-workbench')), "the user's cache is not used");

      // Checked before each start: a changed file in the install is named, not run.
      const bpf = path.join(result.dir, 'bpf', 'map_count.bpf.o');
      const original = fs.readFileSync(bpf);
      fs.appendFileSync(bpf, 'x');
      try {
        const e = await expectSshError(
          client(`${user}@127.0.0.1:${sshd.port}`, { ...opts(), installPrefix: prefix }).hello(),
          'not-installed',
        );
        assert.match(e.message, /does not match version/);
        assert.match(e.data.fix!, /install-helper/);
      } finally {
        fs.writeFileSync(bpf, original);
      }
    });
  });

  it('a silent drop fails the pending request within the keepalive bound, never hangs', async function () {
    const c = client();
    const first = await c.hello();
    const exits: string[] = [];
    c.onDidExit((d) => exits.push(d));
    // Freeze the server side: no FIN, no RST, like a cable pulled. Only ServerAlive can tell.
    const frozen = sshd.sessionPids();
    assert.ok(frozen.length > 0);
    for (const p of frozen) process.kill(p, 'SIGSTOP');
    const t0 = Date.now();
    try {
      await assert.rejects(c.countAllMaps(), (e: unknown) => e instanceof HelperClientError && e.code === 'HELPER_EXITED');
      const took = Date.now() - t0;
      assert.ok(took < 10_000, `failed after ${took} ms`);
      assert.equal(exits.length, 1);
      assert.match(exits[0], /Timeout, server .* not responding|connection to ebpf-test (dropped|was lost)/);
    } finally {
      for (const p of frozen) {
        try {
          process.kill(p, 'SIGKILL'); // the frozen session and its helper
        } catch {
          /* gone */
        }
      }
    }
    // The next request reconnects by itself: a new helper.
    const second = await c.hello();
    assert.notEqual(second.pid, first.pid);
    await c.dispose();
  });

  it('sshd killed mid-session: disconnect seen at once, reconnect with backoff once sshd is back', async function () {
    const c = client();
    const first = await c.hello();
    const loaded = await c.loadObject({ bytes: objectBytes });
    const exited = new Promise<string>((r) => c.onDidExit(r));
    const t0 = Date.now();
    await sshd.kill();
    const why = await exited;
    assert.ok(Date.now() - t0 < 5000, 'ssh noticed the closed connection');
    assert.match(why, /closed|reset|Broken pipe/i);

    // While sshd is down: a clear, retryable error, quickly.
    const down = await expectSshError(c.hello(), 'unreachable');
    assert.equal(down.retryable, true);

    // The supervisor (the extension's, with shorter delays) retries with backoff until sshd is back.
    const supervisor = new HelperSupervisor(c, { label: 'ebpf-test', backoff: { firstMs: 300, maxMs: 2000, jitter: 0.2 } });
    const retries: number[] = [];
    const back = new Promise<HelloResult>((resolve) =>
      supervisor.onDidChangeState((s) => {
        if (s.kind === 'disconnected' && s.retryInMs) retries.push(s.retryInMs);
        if (s.kind === 'connected') resolve(s.hello);
      }),
    );
    void supervisor.connect();
    await new Promise((r) => setTimeout(r, 1200));
    await sshd.restart();
    const hello = await back;
    assert.ok(retries.length >= 1, 'at least one attempt failed while sshd was down');
    assert.notEqual(hello.pid, first.pid);
    // The old helper's object died with it (freed after an RCU grace period).
    let left = true;
    for (let i = 0; i < 50 && left; i++) {
      left = (await c.listMaps()).maps.some((m) => loaded.maps.some((l) => l.id === m.id));
      if (left) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(left, false);
    await supervisor.dispose();
  });
});
