// The Programs & Maps tree model and its renderer without VS Code or a kernel: stable nodes across
// ticks, exactly the changed nodes reported, maps that vanish between ticks, bpftop-style rates,
// formatting.
import * as assert from 'node:assert/strict';
import type { HelloResult, MapCountAllCompactResult, MapCountAllResult, MapSummary, ProgramSummary } from '../../src/protocol';
import { formatInt, mapDescription } from '../../src/core/maps/format';
import { ModelNode, TargetModel } from '../../src/core/maps/model';
import { NodeRenderer } from '../../src/core/maps/render';

/** Each model's renderer, as the tree keeps one per target. */
const renderers = new WeakMap<TargetModel, NodeRenderer>();
function render(m: TargetModel, n: ModelNode) {
  let r = renderers.get(m);
  if (!r) renderers.set(m, (r = new NodeRenderer(m)));
  return r.view(n);
}

const hello: HelloResult = {
  protocolVersion: 1,
  helperVersion: '0.1.0',
  kernelRelease: '6.18.0',
  libbpfVersion: '1.1',
  arch: 'x64',
  uid: 0,
  pid: 1,
  capabilities: { btf: true, mapSumElemCount: true, batchOps: true, ringbuf: true, bpfStats: true },
  notes: {},
};

function map(id: number, name: string, programIds: number[] = [], typeName = 'hash', maxEntries = 100): MapSummary {
  return {
    id,
    name,
    type: 1,
    typeName,
    keySize: 4,
    valueSize: 8,
    maxEntries,
    flags: 0,
    btfId: 0,
    btfKeyTypeId: 0,
    btfValueTypeId: 0,
    memlock: 4096,
    programIds,
    ours: false,
  };
}

function prog(id: number, name: string, mapIds: number[], run?: { count: number; ns: number }): ProgramSummary {
  const p: ProgramSummary = {
    id,
    name,
    type: 6,
    typeName: 'xdp',
    tag: '00',
    loadTime: 0,
    uid: 0,
    btfId: 0,
    mapIds,
    xlatedLen: 80,
    jitedLen: 60,
    verifiedInsns: 10,
    memlock: 4096,
    ours: false,
  };
  if (run) {
    p.runCount = run.count;
    p.runTimeNs = run.ns;
  }
  return p;
}

function counts(entries: Array<[number, string, number]>): MapCountAllResult {
  return {
    counts: entries.map(([id, name, count]) => ({
      id,
      name,
      typeName: 'hash',
      maxEntries: 100,
      count,
      method: 'iterator' as const,
      exact: true,
      micros: 5,
    })),
    micros: 10,
  };
}

function expandAll(model: TargetModel, n: ModelNode = model.root): ModelNode[] {
  return [n, ...model.children(n).flatMap((c) => expandAll(model, c))];
}

function connected(): TargetModel {
  const m = new TargetModel('local', 'This machine');
  m.setState({ kind: 'connected', hello });
  m.applyInventory({ maps: [map(10, 'flows', [1]), map(11, 'orphan')] }, { programs: [prog(1, 'xdp_prog', [10])], statsEnabled: false }, 0);
  m.applyCounts(
    counts([
      [10, 'flows', 3],
      [11, 'orphan', 0],
    ]),
  );
  return m;
}

describe('maps tree model', () => {
  it('groups host maps under the programs using them and lists unused maps on their own', () => {
    const m = connected();
    const keys = expandAll(m).map((n) => n.key);
    assert.ok(keys.includes('local/host/prog:1/map:10'));
    assert.ok(keys.includes('local/host/unused/map:11'));
    assert.equal(render(m, m.nodeByKey('local/host/prog:1/map:10')!).description, '3 / 100 ░░░░░ 3%');
  });

  it('keeps node objects stable across ticks and reports exactly the nodes whose count changed', () => {
    const m = connected();
    const before = expandAll(m);
    assert.deepEqual(
      m.applyCounts(
        counts([
          [10, 'flows', 3],
          [11, 'orphan', 0],
        ]),
      ),
      { structure: false, nodes: [] },
    );
    const change = m.applyCounts(
      counts([
        [10, 'flows', 4],
        [11, 'orphan', 0],
      ]),
    );
    assert.equal(change.structure, false);
    assert.deepEqual(
      change.nodes.map((n) => n.key),
      ['local/host/prog:1/map:10'],
    );
    const after = expandAll(m);
    assert.equal(after.length, before.length);
    after.forEach((n, i) => assert.equal(n, before[i], `node ${n.key} was recreated`));
  });

  it('treats a map that vanished between ticks as gone, and asks for the inventory when maps appear', () => {
    const m = connected();
    expandAll(m);
    const gone = m.applyCounts(counts([[10, 'flows', 3]]));
    assert.equal(gone.structure, true);
    assert.equal(
      expandAll(m).some((n) => n.kind === 'map' && n.ref === 11),
      false,
    );
    assert.equal(
      m.needsInventory(
        counts([
          [10, 'flows', 3],
          [12, 'new', 1],
        ]),
      ),
      true,
    );
  });

  it('computes run rate, average run time and CPU share between two samples, like bpftop', () => {
    const m = connected();
    m.applyPrograms({ programs: [prog(1, 'xdp_prog', [10], { count: 1000, ns: 50_000 })], statsEnabled: true }, 1000);
    m.applyPrograms({ programs: [prog(1, 'xdp_prog', [10], { count: 3000, ns: 250_000 })], statsEnabled: true }, 2000);
    const node = expandAll(m).find((n) => n.kind === 'program')!;
    // 2000 runs in 1 s, 200 µs in total: 100 ns per run, 0.02% of one CPU.
    assert.equal(render(m, node).description, 'xdp · 2,000/s · 100 ns · 0.02% CPU');
    const tooltip = render(m, node).tooltip as () => string;
    assert.match(tooltip(), /2,000 runs\/s, 100 ns per run, 0\.02% of one CPU/);
  });

  it('drops everything the helper had when it disconnects', () => {
    const m = connected();
    m.setState({ kind: 'disconnected', message: 'the helper exited: killed by SIGKILL', retryInMs: 2000 });
    const children = m.children(m.root);
    assert.equal(children.length, 1);
    assert.equal(render(m, children[0]).label, 'Helper is not running');
    assert.equal(render(m, m.root).description, 'helper disconnected');
    assert.equal(m.allMaps().length, 0);
  });

  it('applies a compact countAll like the full one: same descriptions, only changed nodes, ring positions, errors', () => {
    const m = new TargetModel('local', 'This machine');
    m.setState({ kind: 'connected', hello });
    m.applyInventory(
      { maps: [map(10, 'flows', [1]), map(11, 'orphan'), map(12, 'events', [1], 'ringbuf', 4096), map(13, 'q', [1], 'queue', 8)] },
      { programs: [prog(1, 'xdp_prog', [10, 12, 13])], statsEnabled: false },
      0,
    );
    const compact = (flows: number, produced: number): MapCountAllCompactResult => ({
      ids: [10, 11, 12, 13],
      counts: [flows, 0, -1, -1],
      methods: [0, 0, -1, -1],
      errors: { 13: 'a queue map cannot be counted from user space' },
      ringbufs: { 12: { consumerPos: 0, producerPos: produced, size: 4096, available: produced } },
      iteratorMicros: 7,
      mapMicros: {},
      micros: 9,
    });
    assert.equal(m.needsInventory(compact(3, 0)), false);
    m.applyCompactCounts(compact(3, 0));
    const nodes = expandAll(m);
    const desc = (key: string) => render(m, m.nodeByKey(key)!).description;
    assert.equal(desc('local/host/prog:1/map:10'), '3 / 100 ░░░░░ 3%');
    assert.equal(desc('local/host/prog:1/map:12'), '0 B / 4.00 KiB pending');
    assert.equal(desc('local/host/prog:1/map:13'), 'n/a / 8');
    assert.deepEqual(m.applyCompactCounts(compact(3, 0)), { structure: false, nodes: [] });
    const change = m.applyCompactCounts(compact(4, 64));
    assert.deepEqual(change.nodes.map((n) => n.key).sort(), ['local/host/prog:1/map:10', 'local/host/prog:1/map:12']);
    assert.equal(desc('local/host/prog:1/map:12'), '64 B / 4.00 KiB pending');
    // The entry carries what the full answer would: name and size from the inventory, exactness from the method.
    assert.deepEqual(m.map(10)!.count, {
      id: 10,
      name: 'flows',
      typeName: 'hash',
      maxEntries: 100,
      count: 4,
      method: 'iterator',
      exact: true,
      micros: 7,
    });
    expandAll(m).forEach((n, i) => assert.equal(n, nodes[i], `node ${n.key} was recreated`));
    // A map that vanished is a structure change; an unknown one asks for the inventory.
    assert.equal(m.applyCompactCounts({ ...compact(4, 64), ids: [10, 12, 13], counts: [4, -1, -1], methods: [0, -1, -1] }).structure, true);
    assert.equal(m.needsInventory({ ...compact(4, 64), ids: [10, 12, 13, 14], counts: [4, -1, -1, 1], methods: [0, -1, -1, 0] }), true);
  });

  it("hides the helper's own programs and the maps only they use under All on host", () => {
    const m = new TargetModel('local', 'This machine');
    m.setState({ kind: 'connected', hello });
    const iter = { ...prog(2, 'map_count', [20, 10]), internal: true };
    m.applyInventory(
      { maps: [map(10, 'flows', [1, 2]), map(20, 'map_count.bss', [2]), map(11, 'orphan')] },
      { programs: [prog(1, 'xdp_prog', [10]), iter], statsEnabled: false },
      0,
    );
    m.applyCounts(
      counts([
        [10, 'flows', 3],
        [20, 'map_count.bss', 1],
        [11, 'orphan', 0],
      ]),
    );
    const keys = expandAll(m).map((n) => n.key);
    assert.ok(keys.includes('local/host/prog:1/map:10'), 'a map shared with a user program stays');
    assert.ok(keys.includes('local/host/unused/map:11'));
    assert.equal(
      keys.some((k) => k.includes('prog:2') || k.includes('map:20')),
      false,
      keys.join('\n'),
    );
    assert.equal(render(m, m.nodeByKey('local/host')!).description, '1 program, 2 maps');
    assert.deepEqual(
      m
        .allMaps()
        .map((x) => x.id)
        .sort(),
      [10, 11],
    );
  });

  it('shows a target that waits for the user with its title, message and fix', () => {
    const m = connected();
    m.setState({
      kind: 'needs-privileges',
      title: 'needs attention',
      message: 'ssh alice@h: authentication failed',
      fix: 'add your key with ssh-copy-id',
    });
    assert.equal(render(m, m.root).description, 'needs attention');
    const [msg] = m.children(m.root);
    assert.equal(render(m, msg).label, 'ssh alice@h: authentication failed');
    assert.equal(render(m, msg).description, 'add your key with ssh-copy-id');
    assert.equal(render(m, msg).contextValue, 'message.needsPrivileges'); // the tree gives it the Retry command
    m.setState({ kind: 'needs-privileges', message: 'not root' });
    assert.equal(render(m, m.root).description, 'needs privileges');
  });

  it('formats counts, arrays, ring buffers and maps that could not be counted', () => {
    assert.equal(formatInt(16384), '16,384');
    assert.equal(formatInt(1234567), '1,234,567');
    assert.equal(formatInt(999), '999');
    assert.equal(
      mapDescription('hash', 100, {
        id: 1,
        name: 'h',
        typeName: 'hash',
        maxEntries: 100,
        count: 95,
        method: 'iterator',
        exact: true,
        micros: 1,
      }),
      '95 / 100 █████ 95%',
    );
    assert.equal(
      mapDescription('hash', 100, {
        id: 1,
        name: 'h',
        typeName: 'hash',
        maxEntries: 100,
        count: 40,
        method: 'walk',
        exact: false,
        micros: 1,
      }),
      '40 / 100 ██░░░ 40% ~',
    );
    assert.equal(
      mapDescription('array', 64, {
        id: 1,
        name: 'a',
        typeName: 'array',
        maxEntries: 64,
        count: 64,
        method: 'max_entries',
        exact: true,
        micros: 0,
      }),
      '64 / 64 (array)',
    );
    assert.equal(mapDescription('queue', 8, { id: 1, name: 'q', typeName: 'queue', maxEntries: 8, error: 'cannot be counted' }), 'n/a / 8');
    assert.equal(
      mapDescription('ringbuf', 4096, undefined, { consumerPos: 0, producerPos: 512, size: 4096, available: 512 }),
      '512 B / 4.00 KiB pending',
    );
  });

  it('shows where a program is attached and where programs, links and maps are pinned', () => {
    const m = new TargetModel('local', 'This machine');
    m.setState({ kind: 'connected', hello });
    const xdp = prog(1, 'xdp_prog', [10]);
    xdp.attachments = [{ linkId: 7, type: 'xdp', target: 'eth0', pinned: ['/sys/fs/bpf/app/link'] }];
    xdp.pinned = ['/sys/fs/bpf/app/prog', '/sys/fs/bpf/other/prog'];
    const tp: ProgramSummary = { ...prog(2, 'on_exec', []), type: 5, typeName: 'tracepoint' };
    tp.attachments = [
      { linkId: 8, type: 'tracepoint', target: 'sched/sched_process_exec' },
      { linkId: 9, type: 'kprobe', target: 'do_exit' },
    ];
    const bare: ProgramSummary = { ...prog(3, 'fentry_prog', []), type: 26, typeName: 'tracing' };
    bare.attachments = [{ linkId: 10, type: 'tracing' }];
    const flows = map(10, 'flows', [1]);
    flows.pinned = ['/sys/fs/bpf/app/flows'];
    m.applyInventory({ maps: [flows] }, { programs: [xdp, tp, bare, prog(4, 'loose', [])], statsEnabled: false }, 0);
    expandAll(m);
    const view = (key: string) => render(m, m.nodeByKey(key)!);
    const tooltip = (key: string) => (view(key).tooltip as () => string)();

    assert.equal(view('local/host/prog:1').description, 'xdp · eth0');
    assert.equal(view('local/host/prog:2').description, 'tracepoint · sched/sched_process_exec +1');
    assert.equal(view('local/host/prog:3').description, 'tracing · attached');
    assert.equal(view('local/host/prog:4').description, 'xdp');

    const t1 = tooltip('local/host/prog:1');
    assert.match(t1, /\| Attached \| xdp eth0 \(link #7, pinned at `\/sys\/fs\/bpf\/app\/link`\) \|/);
    assert.match(t1, /\| Pinned \| `\/sys\/fs\/bpf\/app\/prog`<br>`\/sys\/fs\/bpf\/other\/prog` \|/);
    assert.match(tooltip('local/host/prog:2'), /tracepoint sched\/sched\\_process\\_exec \(link #8\)<br>kprobe do\\_exit \(link #9\)/);
    assert.match(tooltip('local/host/prog:3'), /\| Attached \| tracing \(link #10\) \|/);
    assert.match(tooltip('local/host/prog:4'), /\| Attached \| no BPF link/);
    assert.match(tooltip('local/host/prog:4'), /\| Pinned \| no \|/);
    assert.match(tooltip('local/host/prog:1/map:10'), /\| Pinned \| `\/sys\/fs\/bpf\/app\/flows` \|/);

    // A new attachment redraws the program's node without a structure change.
    const moved = { ...xdp, attachments: [{ linkId: 7, type: 'xdp', target: 'eth1' }] };
    const change = m.applyPrograms({ programs: [moved, tp, bare, prog(4, 'loose', [])], statsEnabled: false }, 1);
    assert.equal(change.structure, false);
    assert.deepEqual(
      change.nodes.map((n) => n.key),
      ['local/host/prog:1'],
    );
    assert.equal(view('local/host/prog:1').description, 'xdp · eth1');
  });

  it('owns the objects this extension loaded: load and unload redraw, a lost helper takes them along', () => {
    const m = connected();
    const objects: number[] = [];
    const changes: boolean[] = [];
    m.onDidChangeObjects((list) => objects.push(list.length));
    m.onDidChange((c) => changes.push(c.structure));
    const loaded = m.addObject(
      {
        handle: 7,
        programs: [{ name: 'xdp_prog', section: 'xdp', type: 6, typeName: 'xdp', id: 1, insnCount: 10, verifiedInsns: 10 }],
        maps: [{ name: 'flows', id: 10, type: 1, typeName: 'hash', keySize: 4, valueSize: 8, maxEntries: 100, flags: 0 }],
        pinned: [],
        libbpfLog: '',
      },
      '/w/a.bpf.o',
      '/w/a.bpf.c',
    );
    assert.equal(m.ownerOf('map', 10), loaded);
    const [workspace] = m.children(m.root);
    const [object] = m.children(workspace);
    assert.equal(object.key, 'local/workspace/object:7');
    assert.deepEqual(
      m.children(object).map((n) => n.key),
      ['local/workspace/object:7/prog:1', 'local/workspace/object:7/map:10'],
    );
    assert.equal(render(m, m.nodeByKey('local/workspace/object:7/map:10')!).contextValue, 'map.own');
    m.removeObject(7);
    assert.equal(m.loadedObjects.length, 0);
    m.addObject({ handle: 8, programs: [], maps: [], pinned: [], libbpfLog: '' }, '/w/b.bpf.o');
    m.setState({ kind: 'disconnected', message: 'the helper exited', retryInMs: 1000 });
    assert.equal(m.loadedObjects.length, 0);
    assert.deepEqual(objects, [1, 0, 1, 0]);
    assert.deepEqual(changes, [true, true, true, true]);
  });

  it("takes a map's pins from the helper's inventory, whoever pinned it", () => {
    const m = connected();
    const key = 'local/host/prog:1/map:10';
    expandAll(m);
    assert.deepEqual(m.pinsOf(10), []);
    assert.equal(render(m, m.nodeByKey(key)!).contextValue, 'map');
    const flows = { ...map(10, 'flows', [1]), pinned: ['/sys/fs/bpf/a', '/sys/fs/bpf/b'] };
    m.applyInventory({ maps: [flows, map(11, 'orphan')] }, { programs: [prog(1, 'xdp_prog', [10])], statsEnabled: false }, 1);
    expandAll(m);
    assert.deepEqual(m.pinsOf(10), ['/sys/fs/bpf/a', '/sys/fs/bpf/b']);
    const v = render(m, m.nodeByKey(key)!);
    assert.equal(v.contextValue, 'map.pinned');
    assert.match((v.tooltip as () => string)(), /\| Pinned \| `\/sys\/fs\/bpf\/a`<br>`\/sys\/fs\/bpf\/b` \|/);
  });
});
