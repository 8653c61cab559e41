// The `ebpf-workbench` CLI as a user runs it: bundled like dist/cli.js + dist/helper.js, as
// separate processes, against the real kernel.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireKernel } from './requirements';
import { buildHelperBpf, bundleCli, compileFixture, repoRoot, tempDir, u64Args, waitGone } from './helper-support';

describe('ebpf-workbench CLI (real kernel)', function () {
  // Inside the repo so the bundles resolve koffi from node_modules, like dist/ does.
  const outDir = path.join(repoRoot, 'out', 'test-helper-cli');
  const pinDir = `/sys/fs/bpf/ebpfwb-cli-${process.pid}`;
  let dir: string;
  let mapsObj: string;
  let brokenObj: string;

  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [path.join(outDir, 'cli.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const json = <T>(...args: string[]): T => {
    const r = cli(...args);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    return JSON.parse(r.stdout) as T;
  };

  before(async function () {
    requireKernel(this);
    this.timeout(120_000);
    buildHelperBpf();
    dir = tempDir();
    mapsObj = compileFixture(dir, 'maps');
    brokenObj = compileFixture(dir, 'broken');
    await bundleCli(outDir);
  });

  after(() => {
    fs.rmSync(pinDir, { recursive: true, force: true });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  it('load --pin --json, then maps, count and run against the pinned object', async function () {
    this.timeout(120_000);
    const loaded = json<{ programs: Array<{ id: number; name: string }>; maps: Array<{ id: number; name: string }>; pinned: string[] }>(
      'load',
      mapsObj,
      '--pin',
      pinDir,
      '--json',
    );
    assert.ok(loaded.pinned.includes(`${pinDir}/hash`));
    const hashId = loaded.maps.find((m) => m.name === 'hash')!.id;
    const fillId = loaded.programs.find((p) => p.name === 'fill')!.id;

    fs.writeFileSync(path.join(dir, 'fill.ctx'), Buffer.from(u64Args(0, 4321, 0), 'base64'));
    const run = json<{ retval: number }>('run', String(fillId), '--ctx-in', path.join(dir, 'fill.ctx'), '--json');
    assert.equal(run.retval, 4321);

    const byPath = json<Record<string, unknown>>('count', `${pinDir}/hash`, '--json');
    assert.deepEqual(Object.keys(byPath).sort(), ['count', 'exact', 'id', 'method', 'micros', 'name']);
    assert.deepEqual([byPath.id, byPath.name, byPath.count, byPath.method, byPath.exact], [hashId, 'hash', 4321, 'iterator', true]);
    const walked = json<{ count: number; method: string; exact: boolean }>('count', String(hashId), '--method', 'walk', '--json');
    assert.deepEqual([walked.count, walked.method, walked.exact], [4321, 'walk', false]);

    const maps = json<{ maps: Array<{ id: number; count: number | null; method?: string; unreadBytes?: number }> }>('maps', '--json');
    const row = maps.maps.find((m) => m.id === hashId)!;
    assert.deepEqual([row.count, row.method], [4321, 'iterator']);
    const table = cli('maps');
    assert.equal(table.code, 0);
    assert.match(table.stdout, new RegExp(`^\\s*${hashId}\\s+hash\\s+hash\\s+4321/200000\\s+iterator$`, 'm'));

    const sock = json<{ retval: number }>('run', String(loaded.programs.find((p) => p.name === 'sock_len')!.id), '--json');
    assert.equal(sock.retval, 50);

    fs.rmSync(pinDir, { recursive: true });
    assert.ok(await waitGone('map', hashId));
  });

  it('load prints the verifier log of a rejected program and exits non-zero', () => {
    const r = cli('load', brokenObj);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /R0 invalid mem access 'map_value_or_null'/);
    assert.match(r.stderr, /^error: the kernel rejected program 'no_null_check'/m);
    const j = cli('load', brokenObj, '--json');
    assert.equal(j.code, 1);
    assert.equal(JSON.parse(j.stdout).error.code, 'VERIFIER_REJECTED');
  });

  it('load keeps the object loaded until Ctrl-C, then it is gone', async function () {
    this.timeout(60_000);
    const child = spawn(process.execPath, [path.join(outDir, 'cli.js'), 'load', mapsObj, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    for (let i = 0; i < 600 && !out.trimEnd().endsWith('}'); i++) await new Promise((r) => setTimeout(r, 50));
    const loaded = JSON.parse(out) as { maps: Array<{ id: number }> };
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(spawnSync('bpftool', ['map', 'show', 'id', String(loaded.maps[0].id)]).status === 0, 'still loaded while the CLI runs');
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    for (const m of loaded.maps) assert.ok(await waitGone('map', m.id), `map ${m.id}`);
  });

  it('usage errors exit 2 and say what is wrong', () => {
    const r = cli('count', 'hash', '--method', 'guess');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--method must be one of iterator, max_entries, for_each, batch, walk/);
    assert.equal(cli('frobnicate').code, 2);
    assert.equal(cli('count', '1', '--bogus').code, 2);
  });
});
