// The data behind the "Programs & Maps" tree, with no vscode import: what each target has loaded,
// every program and map on its host, and the latest counts. Nodes are stable objects keyed by a
// path-like id, so a tick that changes counts reports exactly which nodes to redraw and the tree
// keeps its expansion and selection. Also renders each node to plain text (label, description,
// Markdown tooltip) so the same output feeds the tree, tests and the benchmark.
import type {
  HelloResult,
  LoadedMap,
  LoadedProgram,
  MapCountAllCompactResult,
  MapCountAllResult,
  MapCountResult,
  MapListResult,
  MapSummary,
  ProgListResult,
  ProgramAttachment,
  ProgramSummary,
  RingbufResult,
} from '../../protocol';
// protocol/types, not protocol/index: the model stays free of vscode-jsonrpc at run time.
import { COUNT_METHODS, EXACT_COUNT_METHODS } from '../../protocol/types';

/** An object this extension loaded through the target's helper. */
export interface LoadedObjectInfo {
  handle: number;
  objectPath: string;
  /** The .bpf.c it was built from, when known (CodeLens, Count Map Elements preselection). */
  sourcePath?: string;
  programs: LoadedProgram[];
  maps: LoadedMap[];
  pinned: string[];
}

export type HelperState =
  | { kind: 'starting'; how?: string }
  | { kind: 'connected'; hello: HelloResult; how?: string }
  /** Waits for the user (no automatic retry): privileges, or SSH auth, host key, node, sudo... */
  | { kind: 'needs-privileges'; message: string; fix?: string; /** Default "needs privileges". */ title?: string }
  | { kind: 'disconnected'; message: string; retryInMs?: number };

export type CountEntry = MapCountAllResult['counts'][number];

export interface ProgramRate {
  runsPerSecond: number;
  avgRunNs: number;
  /** Share of one CPU spent in the program since the previous sample, in percent (what bpftop shows). */
  cpuPercent: number;
}

interface MapRecord {
  id: number;
  summary?: MapSummary;
  count?: CountEntry;
  ringbuf?: RingbufResult;
  /** Signature of what the map node shows, to know whether a tick changed it. */
  shown: string;
  /** The description for `shown`, built once however many nodes show the map. */
  description?: string;
}

interface ProgramRecord {
  summary: ProgramSummary;
  rate?: ProgramRate;
  sample?: { runCount: number; runTimeNs: number; atMs: number };
  shown: string;
}

export type NodeKind = 'target' | 'group' | 'object' | 'program' | 'map' | 'message' | 'link';

export interface ModelNode {
  /** Unique and stable across ticks: also the TreeItem id. */
  readonly key: string;
  readonly kind: NodeKind;
  readonly parent?: ModelNode;
  /** group: 'workspace' | 'host' | 'unused'; object: handle; program/map: kernel id. */
  readonly ref: string | number;
}

export interface NodeView {
  label: string;
  description?: string;
  /** Markdown; a function when it is costly to build (maps, programs): built only on hover. */
  tooltip?: string | (() => string);
  /** A file in media/ without extension (e.g. "map-hash"), or a codicon name prefixed with "$". */
  icon?: string;
  contextValue: string;
  collapsible: 'none' | 'collapsed' | 'expanded';
}

/** What a tick changed: nodes to redraw in place, or the whole target when the structure changed. */
export interface Change {
  structure: boolean;
  nodes: ModelNode[];
}

const RINGBUF_TYPES = new Set(['ringbuf', 'user_ringbuf']);

export class TargetModel {
  readonly root: ModelNode;
  state: HelperState = { kind: 'starting' };
  statsEnabled = false;

  private objects: LoadedObjectInfo[] = [];
  private readonly maps = new Map<number, MapRecord>();
  private readonly programs = new Map<number, ProgramRecord>();
  /** Pins made through this extension, by map id (the helper does not report pins yet). */
  private readonly pins = new Map<number, string>();
  private inventoryLoaded = false;
  private readonly nodes = new Map<string, ModelNode>();
  /** Every node showing a given map / program (a map appears under each program using it). */
  private mapNodes = new Map<number, ModelNode[]>();
  private programNodes = new Map<number, ModelNode[]>();

  constructor(
    readonly targetId: string,
    readonly label: string,
  ) {
    this.root = this.node(`${targetId}`, 'target', targetId);
  }

  // ---------- inputs ----------

  setState(state: HelperState): Change {
    this.state = state;
    if (state.kind !== 'connected') {
      // A helper that is gone took its objects with it; showing old numbers would lie.
      this.objects = [];
      this.maps.clear();
      this.programs.clear();
      this.inventoryLoaded = false;
    }
    return { structure: true, nodes: [this.root] };
  }

  setObjects(objects: readonly LoadedObjectInfo[]): Change {
    this.objects = [...objects];
    return { structure: true, nodes: [this.root] };
  }

  loadedObjects(): readonly LoadedObjectInfo[] {
    return this.objects;
  }

  setPin(mapId: number, path: string | undefined): Change {
    if (path) this.pins.set(mapId, path);
    else this.pins.delete(mapId);
    return this.touchMaps([mapId]);
  }

  pinOf(mapId: number): string | undefined {
    const pin = this.pins.get(mapId);
    if (pin || this.objects.length === 0) return pin;
    const name = this.ownerOf('map', mapId)?.maps.find((m) => m.id === mapId)?.name;
    return name ? this.objects.flatMap((o) => o.pinned).find((p) => p.endsWith(`/${name}`)) : undefined;
  }

  /** True when the counts mention maps the inventory does not know (or lost some): fetch map.list + prog.list. */
  needsInventory(counts: MapCountAllResult | MapCountAllCompactResult): boolean {
    if (!this.inventoryLoaded) return true;
    const ids = 'ids' in counts ? counts.ids : counts.counts.map((c) => c.id);
    for (const id of ids) if (!this.maps.get(id)?.summary) return true;
    return ids.length !== this.summaryCount();
  }

  private summaryCount(): number {
    let n = 0;
    for (const m of this.maps.values()) if (m.summary) n++;
    return n;
  }

  /** New inventory: rebuilds the structure. Keeps counts of maps that still exist. */
  applyInventory(maps: MapListResult, progs: ProgListResult, nowMs: number): Change {
    const seen = new Set<number>();
    for (const s of maps.maps) {
      seen.add(s.id);
      const r = this.maps.get(s.id);
      if (r) r.summary = s;
      else this.maps.set(s.id, { id: s.id, summary: s, shown: '' });
    }
    for (const id of [...this.maps.keys()]) if (!seen.has(id)) this.maps.delete(id);
    for (const id of [...this.pins.keys()]) if (!seen.has(id)) this.pins.delete(id);
    this.applyPrograms(progs, nowMs);
    this.inventoryLoaded = true;
    return { structure: true, nodes: [this.root] };
  }

  /** Program list alone (run counts while BPF stats are on). Redraws programs whose numbers changed. */
  applyPrograms(progs: ProgListResult, nowMs: number): Change {
    this.statsEnabled = progs.statsEnabled;
    const seen = new Set<number>();
    let structure = false;
    const changed: ModelNode[] = [];
    for (const s of progs.programs) {
      seen.add(s.id);
      let r = this.programs.get(s.id);
      if (!r) {
        r = { summary: s, shown: '' };
        this.programs.set(s.id, r);
        structure = true;
      }
      r.summary = s;
      if (s.runCount !== undefined && s.runTimeNs !== undefined) {
        const prev = r.sample;
        if (prev && nowMs > prev.atMs) {
          const runs = s.runCount - prev.runCount;
          const ns = s.runTimeNs - prev.runTimeNs;
          const elapsedNs = (nowMs - prev.atMs) * 1e6;
          r.rate = { runsPerSecond: (runs * 1e9) / elapsedNs, avgRunNs: runs > 0 ? ns / runs : 0, cpuPercent: (ns / elapsedNs) * 100 };
        }
        r.sample = { runCount: s.runCount, runTimeNs: s.runTimeNs, atMs: nowMs };
      } else {
        r.rate = undefined;
        r.sample = undefined;
      }
      const shown = programSignature(r);
      if (shown !== r.shown) {
        r.shown = shown;
        changed.push(...(this.programNodes.get(s.id) ?? []));
      }
    }
    for (const id of [...this.programs.keys()]) {
      if (!seen.has(id)) {
        this.programs.delete(id);
        structure = true;
      }
    }
    return structure ? { structure: true, nodes: [this.root] } : { structure: false, nodes: changed };
  }

  /** One map.countAll answer: the nodes whose count changed. Maps the inventory does not know yet
   *  are kept so they render as soon as the inventory arrives. */
  applyCounts(counts: MapCountAllResult): Change {
    const changed: ModelNode[] = [];
    const seen = new Set<number>();
    let structure = false;
    for (const c of counts.counts) {
      seen.add(c.id);
      let r = this.maps.get(c.id);
      if (!r) {
        r = { id: c.id, shown: '' };
        this.maps.set(c.id, r);
        structure = true;
      }
      r.count = c;
      const shown = mapSignature(r);
      if (shown !== r.shown) {
        r.shown = shown;
        r.description = undefined;
        const nodes = this.mapNodes.get(c.id);
        if (nodes) for (const n of nodes) changed.push(n);
      }
    }
    if (seen.size !== this.maps.size) {
      for (const id of [...this.maps.keys()]) {
        if (!seen.has(id)) {
          this.maps.delete(id); // vanished between ticks: simply gone
          structure = true;
        }
      }
    }
    return structure ? { structure: true, nodes: [this.root] } : { structure: false, nodes: changed };
  }

  /** A compact map.countAll answer (the refresh tick): like applyCounts, and ring buffer positions.
   *  Count entries whose number did not change are kept (only their timing is updated), so a tick
   *  allocates for the maps that changed. */
  applyCompactCounts(c: MapCountAllCompactResult): Change {
    const changed: ModelNode[] = [];
    let structure = false;
    for (let i = 0; i < c.ids.length; i++) {
      const id = c.ids[i];
      let r = this.maps.get(id);
      if (!r) {
        r = { id, shown: '' };
        this.maps.set(id, r);
        structure = true;
      }
      const prev = r.count;
      const mi = c.methods[i];
      if (mi >= 0) {
        const method = COUNT_METHODS[mi];
        const micros = method === 'iterator' ? c.iteratorMicros : (c.mapMicros[id] ?? 0);
        if (prev && 'count' in prev && prev.count === c.counts[i] && prev.method === method) prev.micros = micros;
        else {
          const b = this.countBase(r, id);
          r.count = {
            id,
            name: b.name,
            typeName: b.typeName,
            maxEntries: b.maxEntries,
            count: c.counts[i],
            method,
            exact: EXACT_COUNT_METHODS.includes(method),
            micros,
          };
        }
      } else if (c.errors[id] !== undefined) {
        if (!(prev && 'error' in prev && prev.error === c.errors[id])) {
          const b = this.countBase(r, id);
          r.count = { id, name: b.name, typeName: b.typeName, maxEntries: b.maxEntries, error: c.errors[id] };
        }
      } else {
        r.count = undefined; // a ring buffer: it shows its positions instead
      }
      const rb = c.ringbufs[id];
      if (rb) r.ringbuf = rb;
      const shown = mapSignature(r);
      if (shown !== r.shown) {
        r.shown = shown;
        r.description = undefined;
        const nodes = this.mapNodes.get(id);
        if (nodes) for (const n of nodes) changed.push(n);
      }
    }
    if (c.ids.length !== this.maps.size) {
      const seen = new Set(c.ids);
      for (const id of [...this.maps.keys()]) {
        if (!seen.has(id)) {
          this.maps.delete(id); // vanished between ticks: simply gone
          structure = true;
        }
      }
    }
    return structure ? { structure: true, nodes: [this.root] } : { structure: false, nodes: changed };
  }

  /** What a count entry repeats about its map, from the inventory (the compact answer omits it). */
  private countBase(r: MapRecord, id: number): { id: number; name: string; typeName: string; maxEntries: number } {
    const s = r.summary;
    if (s) return { id, name: s.name, typeName: s.typeName, maxEntries: s.maxEntries };
    const c = r.count;
    return { id, name: c?.name ?? '', typeName: c?.typeName ?? '', maxEntries: c?.maxEntries ?? 0 };
  }

  /** A single count (Count Map Elements) refreshes the map's nodes too. */
  applyCount(c: MapCountResult): Change {
    const r = this.maps.get(c.id);
    if (!r) return { structure: false, nodes: [] };
    r.count = {
      id: c.id,
      name: c.name,
      typeName: c.typeName,
      maxEntries: c.maxEntries,
      count: c.count,
      method: c.method,
      exact: c.exact,
      micros: c.micros,
    };
    return this.touchMaps([c.id]);
  }

  applyRingbuf(mapId: number, positions: RingbufResult): Change {
    const r = this.maps.get(mapId);
    if (!r) return { structure: false, nodes: [] };
    r.ringbuf = positions;
    return this.touchMaps([mapId]);
  }

  private touchMaps(ids: number[]): Change {
    const nodes: ModelNode[] = [];
    for (const id of ids) {
      const r = this.maps.get(id);
      if (r) {
        r.shown = mapSignature(r);
        r.description = undefined;
      }
      nodes.push(...(this.mapNodes.get(id) ?? []));
    }
    return { structure: false, nodes };
  }

  // ---------- queries ----------

  map(id: number): { summary?: MapSummary; count?: CountEntry; ringbuf?: RingbufResult } | undefined {
    return this.maps.get(id);
  }

  /** The map's name: the full one from the object file for maps we loaded (the kernel keeps 15 characters). */
  mapName(id: number): string {
    const loaded = this.ownerOf('map', id)?.maps.find((m) => m.id === id);
    const r = this.maps.get(id);
    return loaded?.name || r?.summary?.name || r?.count?.name || `map ${id}`;
  }

  program(id: number): ProgramSummary | undefined {
    return this.programs.get(id)?.summary;
  }

  /** Every map on the host but the helper's own. */
  allMaps(): Array<{ id: number; name: string; typeName: string; maxEntries: number; count?: CountEntry; summary?: MapSummary }> {
    const internal = this.internalMapIds();
    return [...this.maps.values()]
      .filter((r) => !internal.has(r.id))
      .map((r) => ({
        id: r.id,
        name: this.mapName(r.id),
        typeName: r.summary?.typeName ?? r.count?.typeName ?? '',
        maxEntries: r.summary?.maxEntries ?? r.count?.maxEntries ?? 0,
        count: r.count,
        summary: r.summary,
      }));
  }

  /** Ring buffers in objects we loaded: their positions are refreshed every tick. */
  ownRingbufIds(): number[] {
    return this.objects
      .flatMap((o) => o.maps.filter((m) => RINGBUF_TYPES.has(m.typeName)).map((m) => m.id))
      .filter((id) => this.maps.has(id));
  }

  /** The object that owns a kernel map or program id, if we loaded it. */
  ownerOf(kind: 'map' | 'program', id: number): LoadedObjectInfo | undefined {
    return this.objects.find((o) => (kind === 'map' ? o.maps : o.programs).some((x) => x.id === id));
  }

  // ---------- tree ----------

  children(parent?: ModelNode): ModelNode[] {
    if (!parent) return [this.root];
    switch (parent.kind) {
      case 'target':
        return this.targetChildren();
      case 'group':
        return this.groupChildren(parent);
      case 'object': {
        const o = this.objects.find((x) => x.handle === parent.ref);
        if (!o) return [];
        return [
          ...o.programs.map((p) => this.trackProgram(this.node(`${parent.key}/prog:${p.id}`, 'program', p.id, parent), p.id)),
          ...o.maps.map((m) => this.trackMap(this.node(`${parent.key}/map:${m.id}`, 'map', m.id, parent), m.id)),
        ];
      }
      case 'program': {
        const p = this.programs.get(parent.ref as number)?.summary;
        // Its BPF links first (what it is attached to), then, outside its object, its maps.
        const links = (p?.attachments ?? []).map((a) => this.node(`${parent.key}/link:${a.linkId}`, 'link', a.linkId, parent));
        if (parent.parent?.kind === 'object') return links;
        const ids = p?.mapIds ?? [];
        return [
          ...links,
          ...ids.filter((id) => this.maps.has(id)).map((id) => this.trackMap(this.node(`${parent.key}/map:${id}`, 'map', id, parent), id)),
        ];
      }
      default:
        return [];
    }
  }

  private targetChildren(): ModelNode[] {
    const s = this.state;
    if (s.kind === 'connected') {
      this.forgetOccurrences();
      return [
        this.node(`${this.root.key}/workspace`, 'group', 'workspace', this.root),
        this.node(`${this.root.key}/host`, 'group', 'host', this.root),
      ];
    }
    const text = s.kind === 'starting' ? 'starting' : s.kind === 'needs-privileges' ? 'needs-privileges' : 'disconnected';
    return [this.node(`${this.root.key}/message:${text}`, 'message', text, this.root)];
  }

  private groupChildren(parent: ModelNode): ModelNode[] {
    if (parent.ref === 'workspace')
      return this.objects.map((o) => this.node(`${parent.key}/object:${o.handle}`, 'object', o.handle, parent));
    if (parent.ref === 'host') {
      const progs = [...this.programs.keys()].filter((id) => !this.programs.get(id)!.summary.internal).sort((a, b) => a - b);
      const out = progs.map((id) => this.trackProgram(this.node(`${parent.key}/prog:${id}`, 'program', id, parent), id));
      if (this.unusedMapIds().length) out.push(this.node(`${parent.key}/unused`, 'group', 'unused', parent));
      return out;
    }
    if (parent.ref === 'unused')
      return this.unusedMapIds().map((id) => this.trackMap(this.node(`${parent.key}/map:${id}`, 'map', id, parent), id));
    return [];
  }

  /** Maps only the helper's own programs use (the counting iterator's): hidden with them. */
  private internalMapIds(): Set<number> {
    const internal = new Set<number>();
    const user = new Set<number>();
    for (const p of this.programs.values()) for (const id of p.summary.mapIds) (p.summary.internal ? internal : user).add(id);
    for (const id of user) internal.delete(id);
    return internal;
  }

  private internalProgramCount(): number {
    let n = 0;
    for (const p of this.programs.values()) if (p.summary.internal) n++;
    return n;
  }

  private unusedMapIds(): number[] {
    const used = new Set<number>();
    for (const p of this.programs.values()) for (const id of p.summary.mapIds) used.add(id);
    return [...this.maps.keys()].filter((id) => !used.has(id)).sort((a, b) => a - b);
  }

  /** Stable node objects: the same key always yields the same object. */
  private node(key: string, kind: NodeKind, ref: string | number, parent?: ModelNode): ModelNode {
    let n = this.nodes.get(key);
    if (!n) {
      n = { key, kind, ref, parent };
      this.nodes.set(key, n);
    }
    return n;
  }

  /** A structure change rebuilds the occurrence index as the tree asks for children again; node
   *  objects stay cached, but nodes of maps and programs that are gone are dropped. */
  private forgetOccurrences(): void {
    this.mapNodes = new Map();
    this.programNodes = new Map();
    for (const [key, n] of this.nodes) {
      if (
        (n.kind === 'map' && !this.maps.has(n.ref as number)) ||
        (n.kind === 'program' && !this.programs.has(n.ref as number) && !this.ownerOf('program', n.ref as number))
      ) {
        this.nodes.delete(key);
      }
      if (n.kind === 'object' && !this.objects.some((o) => o.handle === n.ref)) this.nodes.delete(key);
    }
  }

  private trackMap(n: ModelNode, id: number): ModelNode {
    const list = this.mapNodes.get(id);
    if (!list) this.mapNodes.set(id, [n]);
    else if (!list.includes(n)) list.push(n);
    return n;
  }

  private trackProgram(n: ModelNode, id: number): ModelNode {
    const list = this.programNodes.get(id);
    if (!list) this.programNodes.set(id, [n]);
    else if (!list.includes(n)) list.push(n);
    return n;
  }

  /** A node the tree has already asked for, by key. */
  nodeByKey(key: string): ModelNode | undefined {
    return this.nodes.get(key);
  }

  // ---------- rendering ----------

  view(n: ModelNode): NodeView {
    switch (n.kind) {
      case 'target':
        return this.targetView();
      case 'group':
        return this.groupView(n);
      case 'object':
        return this.objectView(n);
      case 'program':
        return this.programView(n);
      case 'map':
        return this.mapView(n);
      case 'message':
        return this.messageView();
      case 'link':
        return this.linkView(n);
    }
  }

  /** A BPF link under its program: what it attaches to, and whether it is pinned. */
  private linkView(n: ModelNode): NodeView {
    const progId = n.parent?.ref as number;
    const s = this.programs.get(progId)?.summary;
    const a = s?.attachments?.find((x) => x.linkId === n.ref);
    const own = !!this.ownerOf('program', progId);
    if (!a) return { label: `link #${n.ref}`, contextValue: 'link', collapsible: 'none', icon: '$link' };
    const pinned = !!a.pinned?.length;
    return {
      label: a.target ?? a.type,
      description: `${a.type} · link #${a.linkId}${pinned ? ' · pinned' : ''}`,
      tooltip: () =>
        [
          `**${md(attachmentText(a, s?.typeName))}** — ${a.type} link #${a.linkId} of ${md(s?.name ?? `prog ${progId}`)}`,
          '',
          pinned
            ? `Pinned at ${a.pinned!.map((p) => `\`${p}\``).join(', ')}: it stays attached after unload until the pin is removed.`
            : own
              ? 'Made by this extension: detached when its object is unloaded (pin it to keep it).'
              : 'Made by another tool: it lives as long as that tool (or its pin) keeps it.',
        ].join('\n'),
      icon: pinned ? '$pinned' : '$link',
      contextValue: `link${own ? '.own' : ''}${pinned ? '.pinned' : ''}`,
      collapsible: 'none',
    };
  }

  private targetView(): NodeView {
    const s = this.state;
    const base = { label: this.label, icon: '$vm', collapsible: 'expanded' as const };
    switch (s.kind) {
      case 'starting':
        return {
          ...base,
          icon: '$loading~spin',
          description: 'starting helper…',
          contextValue: 'target.starting',
          tooltip: `**${this.label}**\n\nStarting the root helper${s.how ? ` (${s.how})` : ''}.`,
        };
      case 'connected': {
        const h = s.hello;
        const caps = Object.entries(h.capabilities)
          .filter(([, v]) => v)
          .map(([k]) => k)
          .join(', ');
        return {
          ...base,
          description: `Linux ${h.kernelRelease}`,
          contextValue: `target.connected${this.statsEnabled ? '.stats' : ''}`,
          tooltip: [
            `**${this.label}** — connected`,
            '',
            `| | |`,
            `|---|---|`,
            `| Kernel | ${md(h.kernelRelease)} (${h.arch}) |`,
            `| Helper | ${h.helperVersion}, pid ${h.pid}, uid ${h.uid}${s.how ? `, ${md(s.how)}` : ''} |`,
            `| libbpf | ${h.libbpfVersion} |`,
            `| Capabilities | ${caps || 'none'} |`,
            `| BPF stats | ${this.statsEnabled ? 'on' : 'off'} |`,
            ...Object.entries(h.notes).map(([k, v]) => `| ${k} | ${md(String(v))} |`),
          ].join('\n'),
        };
      }
      case 'needs-privileges':
        return {
          ...base,
          icon: s.title && s.title !== 'needs privileges' ? '$warning' : '$lock',
          description: s.title ?? 'needs privileges',
          contextValue: 'target.needsPrivileges',
          tooltip: `**${this.label}** — ${s.title ?? 'needs privileges'}\n\n${md(s.message)}${s.fix ? `\n\n${md(s.fix)}` : ''}\n\nClick the message or use Restart Helper to try again.`,
        };
      case 'disconnected':
        return {
          ...base,
          icon: '$debug-disconnect',
          description: 'helper disconnected',
          contextValue: 'target.disconnected',
          tooltip: `**${this.label}** — helper disconnected\n\n${md(s.message)}${s.retryInMs ? `\n\nRetrying in ${Math.round(s.retryInMs / 1000)} s.` : ''}`,
        };
    }
  }

  private messageView(): NodeView {
    const s = this.state;
    if (s.kind === 'needs-privileges')
      return {
        label: s.message,
        description: s.fix,
        tooltip: `${md(s.message)}\n\n${md(s.fix ?? '')}`,
        icon: '$warning',
        contextValue: 'message.needsPrivileges',
        collapsible: 'none',
      };
    if (s.kind === 'disconnected')
      return {
        label: 'Helper is not running',
        description: s.message.split('\n')[0],
        tooltip: md(s.message),
        icon: '$error',
        contextValue: 'message.disconnected',
        collapsible: 'none',
      };
    return { label: 'Starting the helper…', icon: '$loading~spin', contextValue: 'message', collapsible: 'none' };
  }

  private groupView(n: ModelNode): NodeView {
    if (n.ref === 'workspace') {
      const maps = this.objects.reduce((k, o) => k + o.maps.length, 0);
      return {
        label: 'This workspace',
        description: this.objects.length ? `${plural(this.objects.length, 'object')}, ${plural(maps, 'map')}` : 'nothing loaded',
        tooltip:
          'Objects this extension loaded (eBPF: Load Object). They stay loaded while the helper runs; unload them from their context menu.',
        icon: '$folder-library',
        contextValue: 'group.workspace',
        collapsible: 'expanded',
      };
    }
    if (n.ref === 'host') {
      return {
        label: 'All on host',
        description: `${plural(this.programs.size - this.internalProgramCount(), 'program')}, ${plural(this.maps.size - this.internalMapIds().size, 'map')}`,
        tooltip:
          "Every program in the kernel with the maps it uses; maps no program uses are listed at the end. The helper's own counting program is not shown.",
        icon: '$server',
        contextValue: 'group.host',
        collapsible: 'collapsed',
      };
    }
    const unused = this.unusedMapIds().length;
    return {
      label: 'Maps no program uses',
      description: String(unused),
      tooltip: 'Maps held open by a process or pinned, with no program referencing them.',
      icon: '$symbol-array',
      contextValue: 'group.unused',
      collapsible: 'collapsed',
    };
  }

  private objectView(n: ModelNode): NodeView {
    const o = this.objects.find((x) => x.handle === n.ref);
    if (!o) return { label: 'unloaded', contextValue: 'object', collapsible: 'none' };
    const base = o.objectPath.split('/').pop() ?? o.objectPath;
    return {
      label: base,
      description: `${plural(o.programs.length, 'program')}, ${plural(o.maps.length, 'map')}`,
      tooltip: [
        `**${md(base)}** — loaded by this extension (handle ${o.handle})`,
        '',
        `Object: \`${o.objectPath}\``,
        o.sourcePath ? `\n\nSource: \`${o.sourcePath}\`` : '',
        o.pinned.length ? `\n\nPinned: ${o.pinned.map((p) => `\`${p}\``).join(', ')}` : '',
      ].join(''),
      icon: '$package',
      contextValue: 'object.own',
      collapsible: 'expanded',
    };
  }

  private programView(n: ModelNode): NodeView {
    const id = n.ref as number;
    const r = this.programs.get(id);
    const owner = this.ownerOf('program', id);
    const loaded = owner?.programs.find((p) => p.id === id);
    const s = r?.summary;
    const name = loaded?.name || s?.name || `prog ${id}`;
    const typeName = s?.typeName ?? loaded?.typeName ?? '';
    const attach = loaded?.section;
    const links = s?.attachments ?? [];
    const parts = [typeName];
    if (links.length) parts.push(attachmentsText(typeName, links));
    else if (attach && attach !== typeName) parts.push(attach);
    if (r?.rate) parts.push(formatRate(r.rate));
    else if (this.statsEnabled && s?.runCount !== undefined) parts.push(`${formatInt(s.runCount)} runs`);
    const tooltip = () => {
      const lines = [
        `**${md(name)}** — ${typeName} program, id ${id}${owner ? ' · loaded by this extension' : ''}`,
        '',
        '| | |',
        '|---|---|',
        links.length
          ? `| Attached | ${links.map((a) => `${md(attachmentText(a))} (link #${a.linkId}${a.pinned?.length ? `, pinned at ${a.pinned.map((p) => `\`${p}\``).join(', ')}` : ''})`).join('<br>')} |`
          : `| Attached | no BPF link${attach ? ` — section \`${md(attach)}\`` : ''} (netlink XDP/tc and legacy cgroup attachments have no link) |`,
        `| Pinned | ${s?.pinned?.length ? s.pinned.map((p) => `\`${p}\``).join('<br>') : 'no'} |`,
      ];
      if (s) {
        lines.push(
          `| Tag | \`${s.tag}\` |`,
          `| Instructions | ${formatInt(s.xlatedLen / 8)} translated, ${formatInt(s.jitedLen)} B JITed${s.verifiedInsns ? `, ${formatInt(s.verifiedInsns)} verified` : ''} |`,
          `| Memlock | ${formatBytes(s.memlock)} |`,
          `| BTF | ${s.btfId ? `id ${s.btfId}` : 'none'} |`,
          `| Loaded by uid | ${s.uid} |`,
          `| Maps | ${s.mapIds.length ? s.mapIds.map((m) => `${md(this.mapName(m))} (#${m})`).join(', ') : 'none'} |`,
        );
        if (s.runCount !== undefined) {
          lines.push(
            `| Runs | ${formatInt(s.runCount)} total, ${formatDuration(s.runCount ? (s.runTimeNs ?? 0) / s.runCount : 0)} average |`,
          );
          if (r?.rate)
            lines.push(
              `| Last interval | ${formatInt(Math.round(r.rate.runsPerSecond))} runs/s, ${formatDuration(r.rate.avgRunNs)} per run, ${r.rate.cpuPercent.toFixed(2)}% of one CPU |`,
            );
        } else {
          lines.push('| Run statistics | off (toggle BPF stats in the view title) |');
        }
      }
      return lines.join('\n');
    };
    return {
      label: name,
      description: parts.filter(Boolean).join(' · '),
      tooltip,
      icon: programIcon(typeName),
      contextValue: owner ? 'program.own' : 'program',
      collapsible: links.length ? 'expanded' : n.parent?.kind === 'object' || !s?.mapIds.length ? 'none' : 'collapsed',
    };
  }

  private mapView(n: ModelNode): NodeView {
    const id = n.ref as number;
    const r = this.maps.get(id);
    const owner = this.ownerOf('map', id);
    const loaded = owner?.maps.find((m) => m.id === id);
    const s = r?.summary;
    const name = this.mapName(id);
    const typeName = s?.typeName ?? r?.count?.typeName ?? loaded?.typeName ?? '';
    const maxEntries = s?.maxEntries ?? r?.count?.maxEntries ?? loaded?.maxEntries ?? 0;
    const pinned = this.pinOf(id);
    return {
      label: name,
      description: r
        ? (r.description ??= mapDescription(typeName, maxEntries, r.count, r.ringbuf))
        : mapDescription(typeName, maxEntries, undefined),
      tooltip: () => this.mapTooltip(id, name, typeName, maxEntries, r, pinned),
      icon: mapIcon(typeName),
      // ".events": a ring buffer or perf event array (the events view applies).
      contextValue: `map${owner ? '.own' : ''}${pinned ? '.pinned' : ''}${typeName === 'ringbuf' || typeName === 'perf_event_array' ? '.events' : ''}`,
      collapsible: 'none',
    };
  }

  private mapTooltip(id: number, name: string, typeName: string, maxEntries: number, r: MapRecord | undefined, pinned?: string): string {
    const s = r?.summary;
    const c = r?.count;
    const lines = [`**${md(name)}** — ${typeName} map, id ${id}`, '', '| | |', '|---|---|'];
    if (RINGBUF_TYPES.has(typeName)) {
      const rb = r?.ringbuf;
      lines.push(`| Ring | ${formatBytes(maxEntries)} |`);
      lines.push(
        rb
          ? `| Pending | ${formatBytes(rb.available)} (producer ${formatInt(rb.producerPos)}, consumer ${formatInt(rb.consumerPos)}) |`
          : '| Pending | not read yet |',
      );
    } else if (c && 'count' in c) {
      lines.push(
        `| Elements | ${formatInt(c.count)} of ${formatInt(maxEntries)}${maxEntries ? ` (${percent(c.count, maxEntries)})` : ''} |`,
      );
      lines.push(
        `| Counted | ${c.exact ? '**exact**' : '**walked** (may drift while the map changes)'} — ${methodText(c.method)}, ${formatMicros(c.micros)} |`,
      );
    } else if (c && 'error' in c) {
      lines.push(`| Elements | n/a |`, `| Counted | n/a — ${md(c.error)} |`);
    } else {
      lines.push(`| Elements | not counted yet |`);
    }
    if (s) {
      lines.push(
        `| Key / value | ${formatBytes(s.keySize)} / ${formatBytes(s.valueSize)} |`,
        `| Max entries | ${formatInt(s.maxEntries)} |`,
        `| Flags | ${flagsText(s.flags)} |`,
        `| Memlock | ${formatBytes(s.memlock)} |`,
        `| BTF | ${s.btfId ? `id ${s.btfId} (key type ${s.btfKeyTypeId}, value type ${s.btfValueTypeId})` : 'none (contents shown as hex)'} |`,
        `| Programs | ${s.programIds.length ? s.programIds.map((p) => `${md(this.programs.get(p)?.summary.name ?? '?')} (#${p})`).join(', ') : 'none'} |`,
      );
    }
    const pins = [...new Set([...(pinned ? [pinned] : []), ...(s?.pinned ?? [])])];
    lines.push(`| Pinned | ${pins.length ? pins.map((p) => `\`${p}\``).join('<br>') : 'no'} |`);
    return lines.join('\n');
  }

  /** The whole tree as plain data (for tests and the snapshot command). */
  snapshot(): SnapshotNode {
    const walk = (n: ModelNode): SnapshotNode => {
      const v = this.view(n);
      const children = this.children(n).map(walk);
      const out: SnapshotNode = { key: n.key, kind: n.kind, label: v.label, contextValue: v.contextValue };
      if (typeof n.ref === 'number') out.id = n.ref;
      if (v.description !== undefined) out.description = v.description;
      if (v.tooltip !== undefined) out.tooltip = typeof v.tooltip === 'function' ? v.tooltip() : v.tooltip;
      if (children.length) out.children = children;
      return out;
    };
    return walk(this.root);
  }
}

export interface SnapshotNode {
  key: string;
  kind: NodeKind;
  label: string;
  id?: number;
  description?: string;
  tooltip?: string;
  contextValue: string;
  children?: SnapshotNode[];
}

// ---------- formatting (pure, exported for the other views) ----------

function mapSignature(r: MapRecord): string {
  const c = r.count;
  const count = !c ? '' : 'count' in c ? `${c.count}|${c.method}|${c.exact}` : `e:${c.error}`;
  const rb = r.ringbuf ? `${r.ringbuf.available}` : '';
  return `${count}|${rb}`;
}

function programSignature(r: ProgramRecord): string {
  const s = r.summary;
  const rate = r.rate ? `${Math.round(r.rate.runsPerSecond)}|${Math.round(r.rate.avgRunNs)}|${r.rate.cpuPercent.toFixed(2)}` : '';
  const links = s.attachments?.map((a) => `${a.linkId}:${a.target ?? ''}:${a.pinned?.join(',') ?? ''}`).join(';') ?? '';
  return `${s.name}|${s.runCount ?? ''}|${rate}|${links}|${s.pinned?.join(',') ?? ''}`;
}

/** One attachment as the tree shows it: `xdp eth0`, `sched_process_exec`, or the link type alone
 *  (`attached` when that would only repeat the program type). */
export function attachmentText(a: ProgramAttachment, progTypeName?: string): string {
  if (!a.target) return a.type === progTypeName ? 'attached' : a.type;
  return a.type === progTypeName ? a.target : `${a.type} ${a.target}`;
}

/** A program's attachments for its description: the first one, and how many more. */
export function attachmentsText(progTypeName: string, links: readonly ProgramAttachment[]): string {
  const first = attachmentText(links[0], progTypeName);
  return links.length > 1 ? `${first} +${links.length - 1}` : first;
}

/** A five-cell gauge: one low block alone read as an underscore in the tree's font. */
function fillGauge(fill: number): string {
  const cells = 5;
  const full = Math.min(cells, Math.max(0, Math.round(fill * cells)));
  return '█'.repeat(full) + '░'.repeat(cells - full);
}

export function mapDescription(typeName: string, maxEntries: number, c: CountEntry | undefined, rb?: RingbufResult): string {
  if (RINGBUF_TYPES.has(typeName))
    return rb ? `${formatBytes(rb.available)} / ${formatBytes(rb.size)} pending` : `${formatBytes(maxEntries)} ring`;
  if (!c) return `… / ${formatInt(maxEntries)}`;
  if ('error' in c) return `n/a / ${formatInt(maxEntries)}`;
  if (c.method === 'max_entries') return `${formatInt(c.count)} / ${formatInt(maxEntries)} (array)`;
  const fill = maxEntries ? c.count / maxEntries : 0;
  return `${formatInt(c.count)} / ${formatInt(maxEntries)} ${fillGauge(fill)} ${percent(c.count, maxEntries)}${c.exact ? '' : ' ~'}`;
}

export function methodText(method: string): string {
  switch (method) {
    case 'iterator':
      return 'one read of the map-count iterator (kfunc bpf_map_sum_elem_count)';
    case 'max_entries':
      return 'arrays always hold max_entries elements';
    case 'for_each':
      return 'bpf_for_each_map_elem in a test-run program';
    case 'batch':
      return 'BPF_MAP_LOOKUP_BATCH over the whole map';
    case 'walk':
      return 'BPF_MAP_GET_NEXT_KEY walk';
    default:
      return method;
  }
}

const MAP_FLAGS: Array<[number, string]> = [
  [1 << 0, 'NO_PREALLOC'],
  [1 << 1, 'NO_COMMON_LRU'],
  [1 << 2, 'NUMA_NODE'],
  [1 << 3, 'RDONLY'],
  [1 << 4, 'WRONLY'],
  [1 << 5, 'STACK_BUILD_ID'],
  [1 << 6, 'ZERO_SEED'],
  [1 << 7, 'RDONLY_PROG'],
  [1 << 8, 'WRONLY_PROG'],
  [1 << 9, 'CLONE'],
  [1 << 10, 'MMAPABLE'],
  [1 << 11, 'PRESERVE_ELEMS'],
  [1 << 12, 'INNER_MAP'],
];

export function flagsText(flags: number): string {
  if (!flags) return '0';
  const names = MAP_FLAGS.filter(([bit]) => flags & bit).map(([, n]) => `BPF_F_${n}`);
  const known = MAP_FLAGS.reduce((m, [bit]) => m | bit, 0);
  if (flags & ~known) names.push(`0x${(flags & ~known).toString(16)}`);
  return `0x${flags.toString(16)} (${names.join(', ')})`;
}

export function mapIcon(typeName: string): string {
  if (typeName.includes('ringbuf') || typeName === 'perf_event_array') return 'map-ringbuf';
  if (typeName.endsWith('of_maps')) return 'map-of-maps';
  if (typeName.includes('lru')) return 'map-lru';
  if (typeName.includes('hash')) return 'map-hash';
  if (typeName.includes('array')) return 'map-array';
  if (typeName === 'lpm_trie') return 'map-trie';
  if (typeName === 'queue' || typeName === 'stack') return 'map-queue';
  return 'map-other';
}

export function programIcon(typeName: string): string {
  if (typeName === 'xdp') return 'prog-xdp';
  if (/^(tracing|tracepoint|raw_tracepoint|kprobe|perf_event|lsm)/.test(typeName)) return 'prog-trace';
  if (/^(sched_|socket|cgroup_skb|sk_|lwt|flow|netfilter|sock_ops|cgroup_sock)/.test(typeName)) return 'prog-net';
  return 'prog-other';
}

/** 16384 → "16,384" (toLocaleString is ten times slower, and this runs for every map every tick). */
export function formatInt(n: number): string {
  if (n >= 0 && n < 1000) return String(Math.round(n));
  const s = String(Math.round(Math.abs(n)));
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',';
    out += s[i];
  }
  return n < 0 ? `-${out}` : out;
}

export function percent(n: number, of: number): string {
  if (!of) return '0%';
  const p = (n / of) * 100;
  if (p > 0 && p < 0.1) return '<0.1%';
  return `${p > 0 && p < 1 ? p.toFixed(1) : Math.round(p)}%`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${trim(n / 1024)} KiB`;
  if (n < 1024 ** 3) return `${trim(n / 1024 ** 2)} MiB`;
  return `${trim(n / 1024 ** 3)} GiB`;
}

export function formatMicros(us: number): string {
  return us < 1000 ? `${trim(us)} µs` : `${trim(us / 1000)} ms`;
}

export function formatDuration(ns: number): string {
  return ns < 1000 ? `${Math.round(ns)} ns` : formatMicros(ns / 1000);
}

function formatRate(r: ProgramRate): string {
  return `${formatInt(Math.round(r.runsPerSecond))}/s · ${formatDuration(r.avgRunNs)} · ${r.cpuPercent.toFixed(r.cpuPercent < 1 ? 2 : 1)}% CPU`;
}

function trim(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** Escapes text for a Markdown table cell. */
function md(s: string): string {
  return s.replace(/[\\`*_{}[\]<>|]/g, (c) => `\\${c}`).replace(/\n/g, ' ');
}
