// Attach points and pins of everything on the host, as prog.list / map.list report them: a real
// raw_tp link and a real XDP link on lo (made by attach-pin.c with libbpf, outside the helper, the
// way another tool would), pinned links, programs and a map — checked against bpftool.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireKernel } from './requirements';
import { bpftoolJson, compileFixture, kernelHas, mountBpffsLikeBpftool, repoRoot, startHelper, tempDir, waitGone } from './helper-support';
import type { HelperClient } from '../../src/core/connection/client';
import type { ProgramSummary } from '../../src/protocol';

const PIN_DIR = '/sys/fs/bpf/ebpf-test-attach';

interface KernelLink {
  id: number;
  type: string;
  prog_id: number;
}

describe('helper: attach points and pins (real kernel)', function () {
  let dir: string;
  let client: HelperClient;
  let progs: ProgramSummary[];
  const progIds: number[] = [];
  const mapIds: number[] = [];
  const prog = (name: string) => progs.find((p) => p.name === name && p.pinned?.includes(`${PIN_DIR}/prog_${name}`));

  before(async function () {
    requireKernel(this);
    this.timeout(60_000);
    fs.rmSync(PIN_DIR, { recursive: true, force: true }); // a crashed earlier run
    dir = tempDir();
    const obj = compileFixture(dir, 'attach');
    const tool = path.join(dir, 'attach-pin');
    execFileSync('clang', ['-O2', '-Wall', path.join(repoRoot, 'test', 'fixtures', 'helper', 'attach-pin.c'), '-lbpf', '-o', tool]);
    mountBpffsLikeBpftool();
    fs.mkdirSync(PIN_DIR);
    execFileSync(tool, [obj, PIN_DIR, 'lo'], { stdio: 'pipe' });
    ({ client } = startHelper());
    progs = (await client.listPrograms()).programs;
    for (const n of ['count_exec', 'pass_all']) if (prog(n)) progIds.push(prog(n)!.id);
  });

  after(async function () {
    this.timeout(20_000);
    await client?.dispose();
    // Removing the pins detaches the links and frees programs and map.
    fs.rmSync(PIN_DIR, { recursive: true, force: true });
    for (const id of progIds) assert.ok(await waitGone('prog', id), `program ${id} is still loaded`);
    for (const id of mapIds) assert.ok(await waitGone('map', id), `map ${id} is still loaded`);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports the raw tracepoint link with its tracepoint, and the link and program pins', () => {
    const p = prog('count_exec');
    assert.ok(p, 'count_exec is listed with its program pin');
    assert.deepEqual(p.pinned, [`${PIN_DIR}/prog_count_exec`]);
    assert.equal(p.attachments?.length, 1, JSON.stringify(p.attachments));
    const a = p.attachments[0];
    assert.equal(a.type, 'raw_tracepoint');
    assert.equal(a.target, 'sched_process_exec');
    assert.deepEqual(a.pinned, [`${PIN_DIR}/link_count_exec`]);
    const k = bpftoolJson<KernelLink>(['link', 'show', 'pinned', `${PIN_DIR}/link_count_exec`]);
    assert.equal(a.linkId, k.id);
    assert.equal(k.prog_id, p.id);
  });

  it('reports the XDP link with the interface name', () => {
    const p = prog('pass_all');
    assert.ok(p);
    assert.equal(p.attachments?.length, 1, JSON.stringify(p.attachments));
    const a = p.attachments[0];
    assert.equal(a.type, 'xdp');
    assert.equal(a.target, 'lo');
    const k = bpftoolJson<KernelLink>(['link', 'show', 'pinned', `${PIN_DIR}/link_pass_all`]);
    assert.equal(k.type, 'xdp');
    assert.equal(a.linkId, k.id);
    assert.equal(k.prog_id, p.id);
  });

  it('puts every link on the program bpftool names', async () => {
    const kernel = bpftoolJson<KernelLink[]>(['link', 'list']);
    const listed = new Map(
      (await client.listPrograms()).programs.flatMap((p) => (p.attachments ?? []).map((a) => [a.linkId, p.id] as const)),
    );
    // Other tests may add or drop links meanwhile: compare the links both lists have, which include ours.
    const both = kernel.filter((k) => listed.has(k.id));
    assert.ok(both.length >= 2, `bpftool: ${JSON.stringify(kernel)}`);
    for (const k of both) assert.equal(listed.get(k.id), k.prog_id, `link ${k.id}`);
  });

  it("reports the pinned map, and skips the kernel's own maps.debug and progs.debug", async () => {
    const maps = (await client.listMaps()).maps;
    const m = maps.find((x) => x.pinned?.includes(`${PIN_DIR}/map_exec_count`));
    assert.ok(m, 'exec_count is listed with its pin');
    mapIds.push(m.id);
    assert.equal(m.name, 'exec_count');
    assert.deepEqual(m.programIds, [prog('count_exec')!.id]);
    assert.equal(bpftoolJson<{ id: number }>(['map', 'show', 'pinned', `${PIN_DIR}/map_exec_count`]).id, m.id);
    // The kernel's own iterators (maps.debug, progs.debug) are skipped, not reported as pins.
    const pins = [...maps, ...progs]
      .flatMap((x) => x.pinned ?? [])
      .concat(progs.flatMap((p) => (p.attachments ?? []).flatMap((a) => a.pinned ?? [])));
    assert.ok(pins.length >= 5, JSON.stringify(pins));
    for (const p of pins) assert.doesNotMatch(p, /^\/sys\/fs\/bpf\/(maps|progs)\.debug$/);
  });

  it('shows a pin made through the helper at once, follows no symlink, and forgets an unpinned path', async () => {
    const p = prog('count_exec')!;
    await client.pin({ kind: 'prog', id: p.id, path: `${PIN_DIR}/sub/again` });
    fs.symlinkSync(`${PIN_DIR}/prog_count_exec`, `${PIN_DIR}/sub/link-to-prog`);
    let now = (await client.listPrograms()).programs.find((x) => x.id === p.id)!;
    assert.deepEqual([...(now.pinned ?? [])].sort(), [`${PIN_DIR}/prog_count_exec`, `${PIN_DIR}/sub/again`]);
    await client.unpin(`${PIN_DIR}/sub/again`);
    now = (await client.listPrograms()).programs.find((x) => x.id === p.id)!;
    assert.deepEqual(now.pinned, [`${PIN_DIR}/prog_count_exec`]);
    assert.ok(kernelHas('prog', p.id));
  });
});
