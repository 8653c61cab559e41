// The map explorer in a real VS Code against the real kernel: load packet_counter.bpf.c, feed its
// XDP program IPv4 packets from distinct sources with BPF_PROG_TEST_RUN, and watch the tree's
// live count follow; count it with "Count Map Elements", read its decoded contents, unload it.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ipv4Frame } from '../support/packets';
import { screenshot } from './screenshot';
import { findAll, reveal, tree, type SnapshotNode } from './tree';
import { activateExtension, openFile, sleep, waitFor, workspaceFile } from './util';
import { Command } from '../../src/extension/commands';

interface LoadedObject {
  handle: number;
  objectPath: string;
  programs: Array<{ name: string; id: number }>;
  maps: Array<{ name: string; id: number; maxEntries: number }>;
}

describe('map explorer', function () {
  this.timeout(120_000);
  let loaded: LoadedObject;
  let mapId: number;
  let progId: number;

  const run = async (sources: number[]) => {
    for (const n of sources) {
      await vscode.commands.executeCommand(Command.testRun, { id: progId, dataIn: ipv4Frame(0x0a000000 + n) });
    }
  };
  /** The map's node under "This workspace", as the live tree shows it (no forced refresh). */
  const workspaceMapNode = async () => findAll(await tree(), (n) => n.kind === 'map' && n.id === mapId && n.key.includes('/workspace/'))[0];

  before(async () => {
    await activateExtension();
    await vscode.commands.executeCommand('workbench.view.extension.ebpf');
    await vscode.commands.executeCommand('ebpfWorkbench.maps.focus');
    // A wider sidebar so the screenshots show whole descriptions (counts, fill, rates).
    // (Shrinking the focused editor group is what grows the sidebar.)
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    for (let i = 0; i < 6; i++) await vscode.commands.executeCommand('workbench.action.decreaseViewWidth');
  });

  it('shows this machine connected to its helper', async () => {
    const target = await waitFor('the target to connect', async () => {
      const t = (await tree(true))[0];
      return t?.contextValue.startsWith('target.connected') ? t : undefined;
    });
    assert.equal(target.label, 'This machine');
    assert.match(target.description ?? '', /^Linux \d+\.\d+/);
    assert.deepEqual(
      target.children?.map((c) => c.label),
      ['This workspace', 'All on host'],
    );
  });

  it('loads packet_counter.bpf.c (building it first) and lists it under This workspace', async () => {
    const source = workspaceFile('packet_counter.bpf.c');
    const result = await vscode.commands.executeCommand<LoadedObject | undefined>(Command.loadObject, source);
    assert.ok(result, 'Load Object returned nothing (build or load failed; see the output channel)');
    loaded = result;
    const map = loaded.maps.find((m) => m.name === 'packets_by_source');
    const prog = loaded.programs.find((p) => p.name === 'count_packets');
    assert.ok(map && prog, `unexpected object contents: ${JSON.stringify(loaded)}`);
    mapId = map.id;
    progId = prog.id;
    // The object's maps show at once; the count follows with the next tick.
    const node = await waitFor(
      'the map under This workspace with its count',
      async () => {
        const n = await workspaceMapNode();
        return n?.description?.startsWith('0 / 16,384') ? n : undefined;
      },
      10_000,
    );
    assert.equal(node.label, 'packets_by_source');
    const object = findAll(await tree(), (n) => n.kind === 'object')[0];
    assert.equal(object.label, 'packet_counter.bpf.o');
    assert.deepEqual(
      object.children?.map((c) => `${c.kind}:${c.label}`),
      ['program:count_packets', 'map:packets_by_source'],
    );
  });

  it('shows the exact count live and follows new runs of the program', async () => {
    await run([1, 2, 3, 4, 5, 1, 2]); // 5 distinct sources
    const node = await waitFor(
      'the live count to reach 5',
      async () => {
        const n = await workspaceMapNode();
        return n?.description?.startsWith('5 / 16,384') ? n : undefined;
      },
      10_000,
    );
    assert.match(node.tooltip ?? '', /\*\*exact\*\* — one read of the map-count iterator/);
    assert.match(node.tooltip ?? '', /Key \/ value \| 4 B \/ 8 B/);
    assert.match(node.tooltip ?? '', /Programs \| count\\_packets \(#\d+\)/);
    await screenshot('maps-tree-count-5', '5 / 16,384');

    await run([6, 7, 8, 5]); // 3 new sources
    await waitFor(
      'the live count to reach 8',
      async () => {
        const n = await workspaceMapNode();
        return n?.description?.startsWith('8 / 16,384') ? n : undefined;
      },
      10_000,
    );
    // The same map appears under its program in "All on host" with the same count.
    const host = findAll(await tree(), (n) => n.kind === 'map' && n.id === mapId && n.key.includes('/host/'));
    assert.ok(host.length >= 1 && host.every((n) => n.description?.startsWith('8 / 16,384')), JSON.stringify(host));
    // Show it there too: "All on host" → count_packets → packets_by_source, selected.
    assert.equal(await reveal(host[0].key), true);
    await screenshot('maps-tree-live-count-8', '8 / 16,384');
  });

  it('counts the map with Count Map Elements: exact number and method', async () => {
    const r = await vscode.commands.executeCommand<{ count: number; method: string; exact: boolean; micros: number; name: string }>(
      Command.countMapElements,
      mapId,
    );
    assert.equal(r.name, 'packets_by_source');
    assert.equal(r.count, 8);
    assert.equal(r.method, 'iterator');
    assert.equal(r.exact, true);
    assert.ok(r.micros > 0);

    const cmp = await vscode.commands.executeCommand<{ compare: Array<{ method: string; count?: number; error?: string }> }>(
      Command.countMapElements,
      { id: mapId, compare: true },
    );
    const byMethod = Object.fromEntries(cmp.compare.map((x) => [x.method, x]));
    for (const m of ['iterator', 'for_each', 'batch', 'walk']) assert.equal(byMethod[m].count, 8, `${m}: ${JSON.stringify(byMethod[m])}`);
    assert.ok(byMethod.max_entries.error, 'max_entries must not claim to count a hash map');

    // The same comparison as a user sees it: a table in a Markdown preview.
    await vscode.commands.executeCommand(Command.countMapElements, { id: mapId, compare: true, interactive: true });
    await sleep(1500);
    await screenshot('maps-count-compare-methods');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('shows the live count in a CodeLens above the map definition', async () => {
    const editor = await openFile('packet_counter.bpf.c');
    const lenses = await waitFor('the map CodeLens', async () => {
      const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri, 10);
      return l.some((x) => x.command?.title.includes('packets_by_source: 8 / 16,384')) ? l : undefined;
    });
    assert.ok(lenses.some((x) => x.command?.command === Command.countMapElements));
  });

  it('shows the decoded contents', async () => {
    const contents = await vscode.commands.executeCommand<{
      rows: Array<{ key: string; values: string[]; decoded: boolean }>;
      more: boolean;
      error?: string;
    }>(Command.showMapContents, { targetId: 'local', id: mapId });
    assert.equal(contents.error, undefined);
    assert.equal(contents.rows.length, 8);
    assert.equal(contents.more, false);
    assert.ok(
      contents.rows.every((r) => r.decoded),
      JSON.stringify(contents.rows[0]),
    );
    // Sources 10.0.0.1, .2 and .5 were seen twice; keys are network-order u32s shown as numbers.
    assert.match(contents.rows[0].key, /^\(__u32\)\d+$/);
    assert.match(contents.rows[0].values[0], /^\(__u64\)\d+$/);
    const rows = JSON.stringify(contents.rows);
    // BTF text of a scalar: "(__u32)16777226".
    const scalar = (t: string) => Number(/(\d+)\s*$/.exec(t)?.[1]);
    const seen = new Map(contents.rows.map((r) => [scalar(r.key), scalar(r.values[0])]));
    const key = (n: number) => Buffer.from([10, 0, 0, n]).readUInt32LE(0);
    assert.equal(seen.get(key(1)), 2, rows);
    assert.equal(seen.get(key(5)), 2, rows);
    assert.equal(seen.get(key(8)), 1, rows);
    await sleep(1000);
    await screenshot('maps-contents');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('shows run count, average time and CPU share with BPF stats on', async () => {
    await vscode.commands.executeCommand(Command.enableStats);
    try {
      await vscode.commands.executeCommand(Command.testRun, { id: progId, dataIn: ipv4Frame(0x0a000009), repeat: 1000 });
      // Run statistics count from when they were switched on: exactly our 1000 runs.
      const prog = await waitFor(
        'the program to show its run statistics',
        async () => {
          const p = findAll(await tree(), (n) => n.kind === 'program' && n.id === progId && n.key.includes('/workspace/'))[0];
          return p?.tooltip?.includes('| Runs | 1,000 total') ? p : undefined;
        },
        10_000,
      );
      assert.match(prog.tooltip ?? '', /Last interval \| [\d,]+ runs\/s, [\d.]+ (ns|µs) per run, [\d.]+% of one CPU/);
      assert.match(prog.description ?? '', /^xdp · [\d,]+\/s · [\d.]+ (ns|µs) · [\d.]+% CPU$/);
      await sleep(1000); // the workbench repaints a moment after the data changed
      await screenshot('maps-tree-bpf-stats');
    } finally {
      await vscode.commands.executeCommand(Command.disableStats);
    }
  });

  it('adds and removes maps other processes create, without errors', async () => {
    const pin = `/sys/fs/bpf/ebpfwb_vanish_${process.pid}`;
    execFileSync('bpftool', ['map', 'create', pin, 'type', 'hash', 'key', '4', 'value', '4', 'entries', '8', 'name', 'wb_vanish']);
    let id: number | undefined;
    try {
      const node = await waitFor(
        'the foreign map to appear under Maps no program uses',
        async () => findAll(await tree(), (n) => n.kind === 'map' && n.label === 'wb_vanish' && n.key.includes('/host/unused/'))[0],
        10_000,
      );
      id = node.id;
      assert.match(node.description ?? '', /^0 \/ 8 /);
    } finally {
      fs.rmSync(pin, { force: true }); // the last reference: the kernel frees the map
    }
    await waitFor(
      'the foreign map to disappear',
      async () => findAll(await tree(), (n) => n.kind === 'map' && n.id === id).length === 0,
      10_000,
    );
    const target = (await tree())[0];
    assert.ok(target.contextValue.startsWith('target.connected'), `the target should still be connected: ${target.description}`);
  });

  it('unloads the object and the map disappears', async () => {
    const ok = await vscode.commands.executeCommand<boolean>(Command.unloadObject, loaded.handle);
    assert.equal(ok, true);
    await waitFor(
      'the map to disappear from the tree',
      async () => findAll(await tree(), (n) => n.id === mapId && n.kind === 'map').length === 0,
      10_000,
    );
    const workspace = findAll(await tree(), (n) => n.kind === 'group' && n.label === 'This workspace')[0];
    assert.equal(workspace.description, 'nothing loaded');
    await screenshot('maps-tree-unloaded', 'nothing loaded');
  });
  it("shows a ring buffer's pending bytes, and a pinned map outlives its object until unpinned", async () => {
    const obj = await vscode.commands.executeCommand<LoadedObject | undefined>(Command.loadObject, workspaceFile('packet_sizes.bpf.c'));
    assert.ok(obj, 'packet_sizes.bpf.c did not load');
    const ring = obj.maps.find((m) => m.name === 'packet_events')!;
    const producer = obj.programs.find((p) => p.name === 'report_size')!;
    for (let i = 0; i < 10; i++)
      await vscode.commands.executeCommand(Command.testRun, { id: producer.id, dataIn: ipv4Frame(0x0a000000 + i) });
    // Ten 8-byte events, each with its 8-byte record header, nobody consuming.
    const node = await waitFor(
      'the ring to show 160 bytes pending',
      async () =>
        findAll(
          await tree(),
          (n) => n.kind === 'map' && n.id === ring.id && n.key.includes('/workspace/') && n.description === '160 B / 64.0 KiB pending',
        )[0],
      10_000,
    );
    assert.match(node.tooltip ?? '', /Pending \| 160 B \(producer 160, consumer 0\)/);

    const pin = `/sys/fs/bpf/ebpfwb_ring_${process.pid}`;
    try {
      assert.equal(await vscode.commands.executeCommand(Command.pin, { kind: 'map', id: ring.id }, pin), pin);
      assert.ok(fs.existsSync(pin), `${pin} was not created`);
      const pinned = findAll(await tree(), (n) => n.kind === 'map' && n.id === ring.id);
      assert.ok(
        pinned.every((n) => n.contextValue.includes('.pinned') && n.tooltip?.includes(pin)),
        JSON.stringify(pinned.map((n) => n.contextValue)),
      );

      assert.equal(await vscode.commands.executeCommand(Command.unloadObject, obj.handle), true);
      const orphan = await waitFor(
        'the pinned ring to stay, now used by no program',
        async () => findAll(await tree(), (n) => n.kind === 'map' && n.id === ring.id && n.key.includes('/host/unused/'))[0],
        10_000,
      );
      assert.match(orphan.contextValue, /\.pinned/);

      assert.equal(await vscode.commands.executeCommand(Command.unpin, { kind: 'map', id: ring.id }), true);
      assert.equal(fs.existsSync(pin), false);
      await waitFor('the unpinned ring to be freed', async () => findAll(await tree(), (n) => n.id === ring.id).length === 0, 10_000);
    } finally {
      fs.rmSync(pin, { force: true }); // never leave a pin behind, whatever failed
    }
  });
  it('hands a verifier rejection to the verifier diagnostics and keeps nothing loaded', async () => {
    const dir = workspaceFile('rejected');
    fs.mkdirSync(dir.fsPath, { recursive: true });
    const uri = vscode.Uri.joinPath(dir, 'null_check.bpf.c');
    fs.copyFileSync(path.resolve(__dirname, '../../../test/fixtures/verifier-editor/null_check.bpf.c'), uri.fsPath);
    try {
      await openFile(uri); // as a user would: the source open while loading it
      const result = await vscode.commands.executeCommand(Command.loadObject, uri);
      assert.equal(result, undefined, 'a rejected object must not count as loaded');
      const diagnostics = await waitFor('the verifier diagnostic on the source', () => {
        const d = vscode.languages.getDiagnostics(uri).filter((x) => x.source === 'eBPF verifier');
        return d.length ? d : undefined;
      });
      const line = fs
        .readFileSync(uri.fsPath, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('*count += 1'));
      assert.equal(diagnostics[0].range.start.line, line, diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`).join('\n'));
      const lookup = fs
        .readFileSync(uri.fsPath, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('bpf_map_lookup_elem'));
      assert.ok(
        diagnostics[0].relatedInformation?.some((r) => r.location.range.start.line === lookup),
        'the root cause (the lookup that may return NULL) is a related location',
      );
      await sleep(500); // the inline hint is drawn after the diagnostics arrive
      await screenshot('load-rejected-inline-hint');
      const snapshot = await tree();
      assert.equal(findAll(snapshot, (n) => n.kind === 'object').length, 0, 'the rejected object shows as loaded');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      fs.rmSync(dir.fsPath, { recursive: true, force: true });
    }
  });

  it('shows a helper that died as disconnected, then restarts it', async () => {
    const pidOf = (t: SnapshotNode) => Number(/pid (\d+)/.exec(t.tooltip ?? '')?.[1]);
    const before = (await tree(true))[0];
    const pid = pidOf(before);
    assert.ok(pid > 0, `no helper pid in the target tooltip: ${before.tooltip}`);
    process.kill(pid, 'SIGKILL'); // the helper this extension started for this test run
    const down = await waitFor(
      'the target to show the dead helper',
      async () => {
        const t = (await tree())[0];
        return t.contextValue === 'target.disconnected' ? t : undefined;
      },
      10_000,
    );
    assert.equal(down.description, 'helper disconnected');
    assert.match(down.tooltip ?? '', /killed by SIGKILL/);
    assert.deepEqual(
      down.children?.map((c) => c.label),
      ['Helper is not running'],
    );
    await screenshot('maps-tree-helper-died', 'Helper is not running');
    const up = await waitFor(
      'a new helper',
      async () => {
        const t = (await tree())[0];
        return t.contextValue.startsWith('target.connected') ? t : undefined;
      },
      15_000,
    );
    assert.notEqual(pidOf(up), pid);
  });
});
