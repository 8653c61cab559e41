// `ebpf-workbench trace`, `events` and `map` as a user runs them: the CLI bundled like dist/cli.js,
// separate processes, the real kernel. A pinned copy of test/fixtures/helper/events.bpf.c is driven
// by `ebpf-workbench run` from another process, as a user would from a second terminal.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireKernel } from './requirements';
import { buildHelperBpf, bundleCli, compileFixture, repoRoot, tempDir, waitGone } from './helper-support';

/** A long-running CLI process and what it printed so far. */
export class CliProcess {
  /** Those still running: killed after the tests, so a failed test leaves no reader of the tracing pipe. */
  static readonly running = new Set<CliProcess>();

  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(cliJs: string, args: string[]) {
    this.child = spawn(process.execPath, [cliJs, ...args], { stdio: 'pipe' });
    this.child.stdout.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => this.child.on('exit', (code) => r(code)));
    CliProcess.running.add(this);
    void this.exited.then(() => CliProcess.running.delete(this));
  }

  static async killAll(): Promise<void> {
    for (const p of CliProcess.running) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }

  async waitFor(re: RegExp, where: 'stdout' | 'stderr' = 'stdout', ms = 20_000): Promise<RegExpMatchArray> {
    const end = Date.now() + ms;
    for (;;) {
      const m = this[where].match(re);
      if (m) return m;
      if (Date.now() > end || this.child.exitCode !== null)
        assert.fail(`no ${re} in ${where} (exit ${this.child.exitCode}):\n${this.stdout}\n--- stderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('ebpf-workbench trace, events and map (real kernel)', function () {
  this.timeout(120_000);
  const outDir = path.join(repoRoot, 'out', 'test-cli-run');
  const pinDir = `/sys/fs/bpf/ebpf-test-cli-run-${process.pid}`;
  const cliJs = path.join(outDir, 'cli.js');
  let dir: string;
  let progId: number;
  let mapIds: number[] = [];
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [cliJs, ...args], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const ok = (...args: string[]) => {
    const r = cli(...args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };

  before(async function () {
    requireKernel(this);
    buildHelperBpf();
    dir = tempDir();
    await bundleCli(outDir);
    const loaded = JSON.parse(ok('load', compileFixture(dir, 'events'), '--pin', pinDir, '--json')) as {
      programs: { id: number }[];
      maps: { id: number }[];
    };
    progId = loaded.programs[0].id;
    mapIds = loaded.maps.map((m) => m.id);
  });

  after(async () => {
    await CliProcess.killAll();
    fs.rmSync(pinDir, { recursive: true, force: true });
    if (progId) assert.ok(await waitGone('prog', progId), 'the pinned program is gone with its pins');
    for (const id of mapIds) assert.ok(await waitGone('map', id));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  it('trace prints bpf_printk lines with comm, pid and CPU until Ctrl-C; a second reader is told who holds the pipe', async () => {
    const t = new CliProcess(cliJs, ['trace']);
    await t.waitFor(/reading \/sys\/kernel(\/debug)?\/tracing\/trace_pipe until Ctrl-C/, 'stderr');
    assert.match(t.stderr, /note: the tracing pipe is global/);
    // The kernel admits one reader: the second is refused with the holder's name and pid.
    const second = cli('trace');
    assert.equal(second.code, 1);
    assert.match(
      second.stderr,
      /error: node \(pid \d+\) is reading \/sys\/kernel\/(debug\/)?tracing\/trace_pipe, and the kernel lets one reader at a time/,
    );
    assert.match(second.stderr, /fix: stop that reader \(kill \d+\)/);
    ok('run', String(progId), '--repeat', '2');
    const m = await t.waitFor(/^(\d+\.\d+) \[(\d{3})\] (.+)-(\d+): ebpfwb-test emit seq=(\d+) pid=4242$/m);
    assert.ok(Number(m[4]) > 0);
    await t.waitFor(new RegExp(`ebpfwb-test emit seq=${Number(m[5]) + 1} pid=4242`));
    t.child.kill('SIGINT');
    assert.equal(await t.exited, 0);

    const j = new CliProcess(cliJs, ['trace', '--json']);
    await j.waitFor(/note: the tracing pipe is global/, 'stderr');
    ok('run', String(progId));
    const line = await j.waitFor(/^\{.*ebpfwb-test emit.*\}$/m);
    const o = JSON.parse(line[0]) as Record<string, unknown>;
    assert.deepEqual(Object.keys(o).sort(), ['comm', 'cpu', 'pid', 'source', 'text', 'timestamp']);
    j.child.kill('SIGTERM');
    assert.equal(await j.exited, 0);
  });

  it('events --count N --json prints N decoded records and exits', async () => {
    const e = new CliProcess(cliJs, ['events', 'ring_events', '--count', '3', '--json']);
    await e.waitFor(/decoding records as struct event \(from the source\)/, 'stderr');
    ok('run', String(progId), '--repeat', '5');
    assert.equal(await e.exited, 0, e.stderr);
    const lines = e.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 3);
    for (const l of lines) {
      assert.equal(l.pid, 4242);
      assert.equal(l.saddr, '10.0.0.1');
      assert.equal(l.comm, 'emitter');
      assert.equal(l.verdict, 'VERDICT_REDIRECT');
      assert.equal(l['pair.hi'], 2);
    }
    assert.match(e.stderr, /records received, 3 printed/);
    // Text form: field=value pairs.
    const t = new CliProcess(cliJs, ['events', `${pinDir}/perf_events`, '--count', '1']);
    await t.waitFor(/decoding records as struct event/, 'stderr');
    ok('run', String(progId));
    assert.equal(await t.exited, 0, t.stderr);
    assert.match(
      t.stdout,
      /cpu=\d+ pid=4242 seq=\d+ saddr=10\.0\.0\.1 daddr6=fe80::1 dport=8080 mac=02:00:00:00:00:ab comm=emitter verdict=VERDICT_REDIRECT/,
    );
  });

  it('map update, delete, push and pop with values typed by BTF', () => {
    const key = '{"saddr": "10.9.8.7", "dport": 443}';
    assert.match(
      ok('map', 'update', 'flows', '--key', key, '--value', '{"packets": 3, "label": "tls"}'),
      /"saddr":"10\.9\.8\.7".*= \{"packets":3,"bytes":0,"label":"tls"/,
    );
    const bad = cli('map', 'update', 'flows', '--key', key, '--value', '{"packets": 1}', '--mode', 'noexist');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /error: map flows already has key/);
    assert.match(ok('map', 'delete', 'flows', '--key', key), /deleted/);
    ok('map', 'push', 'work', '--value', '41');
    ok('map', 'push', 'work', '--value', '42');
    assert.equal(ok('map', 'peek', 'work').trim(), '41');
    assert.deepEqual(JSON.parse(ok('map', 'pop', 'work', '--json')).valueText, '41');
    assert.match(ok('map', 'clear', 'work'), /cleared 1 entries/);
    const usage = cli('map', 'update', 'flows', '--key', key);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /needs --value/);
  });

  it('run: Ctrl-C stops a long test run in the helper at once, and --timeout bounds it', async () => {
    const loopPins = `${pinDir}-loop`;
    try {
      const loaded = JSON.parse(ok('load', compileFixture(dir, 'testrun-loop'), '--pin', loopPins, '--json')) as {
        programs: { id: number }[];
      };
      const id = String(loaded.programs[0].id);
      const long = new CliProcess(cliJs, ['run', id, '--repeat', '1000000']);
      await new Promise((r) => setTimeout(r, 1000)); // under way in its own process in the helper
      assert.equal(long.child.exitCode, null, 'still running');
      const stoppedAt = Date.now();
      long.child.kill('SIGINT');
      const code = await long.exited;
      assert.ok(Date.now() - stoppedAt < 3000, `stopped after ${Date.now() - stoppedAt} ms`);
      assert.notEqual(code, 0);
      assert.match(long.stderr, /cancel/i);

      const bounded = cli('run', id, '--repeat', '1000000', '--timeout', '500');
      assert.notEqual(bounded.code, 0);
      assert.match(bounded.stderr, /TIMEOUT|time bound|timeout/i);
      // The program is still there and runs.
      assert.match(ok('run', id), /retval [12] /);
    } finally {
      fs.rmSync(loopPins, { recursive: true, force: true });
    }
  });

  it('load --attach --json prints one line when everything is attached, stays attached until SIGTERM, then detaches', async () => {
    const obj = compileFixture(dir, 'cli-attach');
    const p = new CliProcess(cliJs, ['load', obj, '--attach', '--iface', 'lo', '--json']);
    const line = await p.waitFor(/^\{"attached":.*\}$/m);
    const { attached } = JSON.parse(line[0]) as { attached: { program: string; id: number; link: number; target: string }[] };
    assert.deepEqual(
      attached.map((a) => [a.program, a.target]),
      [
        ['cli_exec', 'tracepoint sched:sched_process_exec'],
        ['cli_xdp', 'lo (generic mode)'],
      ],
    );
    assert.deepEqual(Object.keys(attached[0]).sort(), ['id', 'link', 'program', 'target']);
    assert.match(p.stderr, /note: cli_filter \(socket\) is not attached: a socket filter attaches to a socket/);
    assert.match(p.stderr, /note: lo has no native XDP support/);
    assert.equal(p.stdout.trim().split('\n').length, 1, 'only the one line on stdout');
    const links = () =>
      (JSON.parse(execFileSync('bpftool', ['-j', 'link', 'list'], { encoding: 'utf8' })) as { id: number }[]).map((l) => l.id);
    for (const a of attached) assert.ok(links().includes(a.link), `link ${a.link} is in bpftool link list`);
    // It works while attached: an exec is counted.
    const counted = () => {
      const map = (
        JSON.parse(execFileSync('bpftool', ['-j', 'map', 'dump', 'name', 'cli_counts'], { encoding: 'utf8' })) as { value: string[] }[]
      )[0];
      return Buffer.from(map.value.map((x) => parseInt(x, 16))).readBigUInt64LE(0);
    };
    const before = counted();
    spawnSync('/bin/true');
    assert.ok(counted() > before, 'the tracepoint counted the exec');
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
    for (const a of attached) assert.ok(await waitGone('prog', a.id), `program ${a.program} was unloaded`);
    for (const a of attached) assert.ok(!links().includes(a.link), `link ${a.link} was detached`);

    // A program that needs a place it was not given: nothing is attached, the option is named.
    const r = cli('load', obj, '--attach');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /program cli_xdp \(section xdp\) needs --iface NAME to attach/);
  });
});
