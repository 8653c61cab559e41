// Running programs from the editor, against the real kernel: Load and Attach exec_trace.bpf.c
// (tp_btf) and packet_counter.bpf.c (XDP on lo), watch the tree's counts rise while the test
// starts processes and sends packets, the links under their programs, the eBPF Trace console with
// the program's bpf_printk line linked to its source, the events view with decoded rows, a map
// entry written from Show Contents, then detach and unload. Screenshots of each.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { screenshot } from './screenshot';
import { findAll, reveal, tree } from './tree';
import { api, activateExtension, openFile, sleep, waitFor, workspaceFile, workspaceRoot } from './util';
import { Command } from '../../src/extension/commands';
import type { LoadedObjectInfo } from '../../src/core/maps/model';
import type { ObjectAttachResult } from '../../src/extension/attachPrograms';
import { isKernelPidOf, kernelPidPattern } from '../support/pids';

type Loaded = LoadedObjectInfo & { attached: ObjectAttachResult };

async function udp(n: number): Promise<void> {
  const s = dgram.createSocket('udp4');
  for (let i = 0; i < n; i++) await new Promise<void>((r) => s.send('ping', 9999, '127.0.0.1', () => r()));
  s.close();
}

describe('running programs: attach, trace, events, edit', function () {
  this.timeout(180_000);
  let exec: Loaded;
  let packets: Loaded;
  const mapNode = async (id: number) => findAll(await tree(), (n) => n.kind === 'map' && n.id === id && n.key.includes('/workspace/'))[0];
  const countOf = (description?: string) => Number((description ?? '').split(' / ')[0].replace(/,/g, ''));

  before(async () => {
    await activateExtension();
    await vscode.commands.executeCommand('workbench.view.extension.ebpf');
    await vscode.commands.executeCommand('ebpfWorkbench.maps.focus');
    if (!fs.existsSync(workspaceFile('vmlinux.h').fsPath))
      await vscode.commands.executeCommand(Command.generateVmlinux, workspaceRoot(), 'local');
  });

  after(async () => {
    for (const o of [exec, packets]) if (o) await vscode.commands.executeCommand(Command.unloadObject, o.handle);
  });

  it('Load and Attach exec_trace.bpf.c: the tp_btf program is attached, its link shows under it, counts rise as processes start', async () => {
    await openFile('exec_trace.bpf.c');
    const r = await vscode.commands.executeCommand<Loaded | undefined>(Command.loadAndAttach, workspaceFile('exec_trace.bpf.c'));
    assert.ok(r, 'Load and Attach returned nothing');
    exec = r;
    assert.deepEqual(r.attached.errors, []);
    assert.deepEqual(
      r.attached.links.map((l) => [l.program, l.target]),
      [['count_exec', 'tp_btf sched_process_exec']],
    );
    assert.match(r.objectPath, /\/\.output\/exec_trace\.bpf\.o$/, 'built into .output/');
    const map = r.maps.find((m) => m.name === 'execs_by_parent')!;
    await waitFor('the map in the tree', () => mapNode(map.id));
    const start = countOf((await mapNode(map.id)).description);
    for (let i = 0; i < 6; i++) spawnSync('sh', ['-c', '/bin/true']); // six new parents
    const risen = await waitFor('the count to rise by six', async () => {
      const n = await mapNode(map.id);
      return countOf(n?.description) >= start + 6 ? n : undefined;
    });
    assert.ok(countOf(risen.description) >= start + 6);
    // The link is a child of its program, with what it attaches to.
    const link = await waitFor(
      'the link under count_exec',
      async () =>
        findAll(await tree(true), (n) => n.kind === 'link' && n.key.includes('/workspace/') && n.label === 'sched_process_exec')[0],
    );
    assert.match(link.description ?? '', /^raw_tracepoint · link #\d+$/, 'tp_btf attaches through a raw_tracepoint link');
    assert.equal(link.contextValue, 'link.own');
    await reveal(link.key);
    await sleep(1000);
    await screenshot('run-tree-attached-link');
  });

  it('Load and Attach packet_counter.bpf.c on lo: XDP falls back to generic mode and says so; the count follows packets', async () => {
    const r = await vscode.commands.executeCommand<Loaded | undefined>(Command.loadAndAttach, workspaceFile('packet_counter.bpf.c'), {
      targets: { count_packets: { iface: 'lo' } },
      interactive: false,
    });
    assert.ok(r);
    packets = r;
    assert.deepEqual(
      r.attached.links.map((l) => l.target),
      ['lo (generic mode)'],
    );
    assert.match(r.attached.notes.join(' '), /lo has no native XDP support \(driver mode\): attached in generic mode/);
    const map = r.maps.find((m) => m.name === 'packets_by_source')!;
    await udp(5);
    await waitFor('a source counted', async () => countOf((await mapNode(map.id))?.description) >= 1);
    const contents = await vscode.commands.executeCommand<{ rows: { key: string; values: string[] }[] }>(Command.showMapContents, {
      targetId: 'local',
      id: map.id,
    });
    // 127.0.0.1 as a little-endian __u32, as btf_dump prints it.
    const loopback = contents.rows.find((row) => row.key === '(__u32)16777343');
    assert.ok(loopback && Number(/\d+/.exec(loopback.values[0])?.[0]) >= 5, JSON.stringify(contents.rows));
  });

  it('the eBPF Trace console shows the bpf_printk line with pid and comm, linked to its source line', async () => {
    const state = await vscode.commands.executeCommand<{ notes: string[] }>(Command.showTrace, 'local');
    assert.ok(state);
    const apiTrace = (await api()).trace;
    await waitFor('the console to start reading', () => apiTrace.state('local')?.lines.some((l) => l.startsWith('Reading ')));
    assert.match(apiTrace.state('local')!.notes.join(' '), /the tracing pipe is global/);
    const source = fs.readFileSync(workspaceFile('exec_trace.bpf.c').fsPath, 'utf8').split('\n');
    const printk = source.findIndex((l) => l.includes('bpf_printk("exec %s pid %d by %d"')) + 1;
    // Our /bin/true, run again every 2 s while we wait: the console may open the pipe a moment
    // after its "Reading" line, and the line of any of our runs is the one to find.
    const pids: number[] = [];
    let ran = 0;
    const line = await waitFor('the exec line of our /bin/true', () => {
      if (Date.now() - ran > 2000) {
        pids.push(spawnSync('/bin/true').pid);
        ran = Date.now();
      }
      return apiTrace
        .state('local')
        ?.lines.find((l) =>
          pids.some((pid) =>
            new RegExp(
              ` true-${kernelPidPattern(pid)}  exec true pid ${kernelPidPattern(pid)} by \\d+ ← exec_trace\\.bpf\\.c:${printk}$`,
            ).test(l),
          ),
        );
    });
    assert.match(line, /^\d+\.\d{6} \[\d{3}\] true-\d+ /);
    await sleep(1000); // a terminal paints on a canvas: its text is not in the page to wait for
    await screenshot('run-trace-console');
  });

  it('the events view shows exec_events records decoded as struct exec_event', async () => {
    const ring = exec.maps.find((m) => m.name === 'exec_events')!;
    const events = (await api()).events;
    const state = await vscode.commands.executeCommand<{ recordType?: string; fields: string[] }>(Command.showEvents, {
      targetId: 'local',
      id: ring.id,
    });
    assert.equal(state.recordType, 'struct exec_event');
    assert.deepEqual(state.fields, ['pid', 'parent', 'count', 'comm']);
    const children = [spawnSync('/bin/true'), spawnSync('/bin/true')].map((c) => c.pid);
    const rows = await waitFor('our two processes in the table', () => {
      const s = events.state('local', ring.id);
      const ours = s?.rows.filter((row) => row.comm === 'true' && children.some((c) => isKernelPidOf(row.pid as number, c)));
      return ours && ours.length >= 2 ? ours : undefined;
    });
    for (const row of rows) {
      assert.equal(row.comm, 'true');
      assert.equal(typeof row.parent, 'number');
    }
    const s = events.state('local', ring.id)!;
    assert.ok(s.received >= 2);
    assert.equal(s.dropped, 0);
    const file = `${workspaceRoot().fsPath}/exec-events.jsonl`;
    const n = await events.exportTo('local', ring.id, file);
    const exported = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(exported.length, n);
    assert.ok(exported.some((e) => isKernelPidOf(e.pid as number, children[0]) && e.comm === 'true'));
    await sleep(1500);
    await screenshot('run-events-view');
  });

  it('writes a map entry from Show Contents through the form typed by BTF', async () => {
    const map = packets.maps.find((m) => m.name === 'packets_by_source')!;
    await vscode.commands.executeCommand(Command.showMapContents, { targetId: 'local', id: map.id });
    const edit = (await api()).mapContents;
    const saved = await edit.edit('local', map.id, { type: 'save', key: { value: '167772169' }, value: { value: '42' } });
    assert.ok(saved?.ok, saved?.message);
    const contents = await vscode.commands.executeCommand<{ rows: { key: string; values: string[] }[] }>(Command.showMapContents, {
      targetId: 'local',
      id: map.id,
    });
    assert.ok(
      contents.rows.some((row) => row.key === '(__u32)167772169' && row.values[0] === '(__u64)42'),
      JSON.stringify(contents.rows),
    );
    // Edit fills the form from the stored entry.
    const form = await edit.edit('local', map.id, { type: 'edit', key: Buffer.from([9, 0, 0, 10]).toString('base64') });
    assert.deepEqual(form?.form, { key: { value: '167772169' }, value: { value: '42' } });
    const bad = await edit.edit('local', map.id, { type: 'save', key: { value: 'banana' }, value: { value: '1' } });
    assert.equal(bad?.ok, false);
    assert.match(bad!.message, /takes a number, got "banana"/);
    await sleep(1000);
    await screenshot('run-map-edit-form');
    const deleted = await edit.edit('local', map.id, { type: 'delete', key: Buffer.from([9, 0, 0, 10]).toString('base64') });
    assert.ok(deleted?.ok, deleted?.message);
  });

  it('Detach from the tree stops the program; unload leaves nothing attached', async () => {
    const link = findAll(
      await tree(true),
      (n) => n.kind === 'link' && n.key.includes('/workspace/') && n.label === 'sched_process_exec',
    )[0];
    assert.equal(await vscode.commands.executeCommand(Command.detachLink, { targetId: 'local', linkId: link.id }), true);
    await waitFor(
      'the link to leave the tree',
      async () => findAll(await tree(true), (n) => n.kind === 'link' && n.id === link.id).length === 0,
    );
    const map = exec.maps.find((m) => m.name === 'execs_by_parent')!;
    const before = countOf((await mapNode(map.id)).description);
    for (let i = 0; i < 3; i++) spawnSync('sh', ['-c', '/bin/true']);
    await sleep(1500);
    assert.equal(countOf((await mapNode(map.id)).description), before, 'detached: nothing counted');
    const xdpLink = packets.attached.links[0].linkId;
    await vscode.commands.executeCommand(Command.unloadObject, packets.handle);
    await vscode.commands.executeCommand(Command.unloadObject, exec.handle);
    const links = JSON.parse(spawnSync('bpftool', ['-j', 'link', 'list'], { encoding: 'utf8' }).stdout) as { id: number }[];
    assert.ok(!links.some((l) => l.id === xdpLink || l.id === link.id), 'no link of ours is left');
    exec = packets = undefined as unknown as Loaded;
  });
});
