// The state behind the "Programs & Maps" tree, with no vscode import: per target, the helper's
// state, the objects this extension loaded through it (this model is their one owner: load and
// unload go through it, and a helper that is gone takes them along), every program and map on the
// host with their pins (from the helper's inventory, the one source), and the latest counts.
// Nodes are stable objects keyed by a path-like id, so a tick that changes counts reports exactly
// which nodes to redraw and the tree keeps its expansion and selection. Rendering (labels,
// tooltips) is render.ts; number formatting is format.ts.
import { Emitter, type Event } from 'vscode-jsonrpc';
import type {
  LoadedMap,
  LoadedProgram,
  MapCountAllCompactResult,
  MapCountAllResult,
  MapCountResult,
  MapListResult,
  MapSummary,
  ObjectLoadResult,
  ProgListResult,
  ProgramSummary,
  RingbufResult,
} from '../../protocol/types';
import { COUNT_METHODS, EXACT_COUNT_METHODS } from '../../protocol/types';
import type { HelperState } from '../connection/supervisor';
import { RINGBUF_TYPES } from './format';

/** An object this extension loaded through the target's helper. */
export interface LoadedObjectInfo {
  handle: number;
  objectPath: string;
  /** The .bpf.c it was built from, when known (CodeLens, Count Map Elements preselection). */
  sourcePath?: string;
  programs: LoadedProgram[];
  maps: LoadedMap[];
  /** Paths pinned at load time (ObjectLoadParams.pinDir). */
  pinned: string[];
}

export type CountEntry = MapCountAllResult['counts'][number];

export interface ProgramRate {
  runsPerSecond: number;
  avgRunNs: number;
  /** Share of one CPU spent in the program since the previous sample, in percent (what bpftop shows). */
  cpuPercent: number;
}

/** What the model knows of one map. */
export interface MapState {
  readonly id: number;
  readonly summary?: MapSummary;
  readonly count?: CountEntry;
  readonly ringbuf?: RingbufResult;
}

interface MapRecord extends MapState {
  summary?: MapSummary;
  count?: CountEntry;
  ringbuf?: RingbufResult;
  /** Changes exactly when what the map's nodes show changes: a tick redraws only those. */
  signature: string;
}

/** What the model knows of one program. */
export interface ProgramState {
  readonly summary: ProgramSummary;
  readonly rate?: ProgramRate;
}

interface ProgramRecord extends ProgramState {
  summary: ProgramSummary;
  rate?: ProgramRate;
  sample?: { runCount: number; runTimeNs: number; atMs: number };
  signature: string;
}

export type NodeKind = 'target' | 'group' | 'object' | 'program' | 'map' | 'message' | 'link';

export interface ModelNode {
  /** Unique and stable across ticks: also the TreeItem id. */
  readonly key: string;
  readonly kind: NodeKind;
  readonly parent?: ModelNode;
  /** group: 'workspace' | 'host' | 'unused'; object: handle; program/map: kernel id; message: the state's kind. */
  readonly ref: string | number;
}

/** What a change touched: nodes to redraw in place, or the whole target when the structure changed. */
export interface Change {
  structure: boolean;
  nodes: ModelNode[];
}

const NOTHING: Change = { structure: false, nodes: [] };

export class TargetModel {
  readonly root: ModelNode;
  private stateValue: HelperState = { kind: 'starting' };
  private stats = false;

  private objects: LoadedObjectInfo[] = [];
  private readonly maps = new Map<number, MapRecord>();
  private readonly programs = new Map<number, ProgramRecord>();
  private inventoryLoaded = false;
  private readonly nodes = new Map<string, ModelNode>();
  /** Every node showing a given map / program (a map appears under each program using it). */
  private mapNodes = new Map<number, ModelNode[]>();
  private programNodes = new Map<number, ModelNode[]>();

  private readonly changeEmitter = new Emitter<Change>();
  private readonly objectsEmitter = new Emitter<readonly LoadedObjectInfo[]>();
  /** Fires after every change that touched nodes (the tree redraws them). */
  readonly onDidChange: Event<Change> = this.changeEmitter.event;
  /** Fires when the loaded objects change: a load, an unload, or a helper that went away with them. */
  readonly onDidChangeObjects: Event<readonly LoadedObjectInfo[]> = this.objectsEmitter.event;

  constructor(
    readonly targetId: string,
    readonly label: string,
  ) {
    this.root = this.node(`${targetId}`, 'target', targetId);
  }

  // ---------- inputs ----------

  setState(state: HelperState): Change {
    this.stateValue = state;
    if (state.kind !== 'connected') {
      // A helper that is gone took its objects with it; showing old numbers would lie.
      const dropped = this.objects.length > 0;
      this.objects = [];
      this.maps.clear();
      this.programs.clear();
      this.inventoryLoaded = false;
      if (dropped) this.objectsEmitter.fire(this.objects);
    }
    return this.changed({ structure: true, nodes: [this.root] });
  }

  /** Records an object the helper loaded for this extension. */
  addObject(result: ObjectLoadResult, objectPath: string, sourcePath?: string): LoadedObjectInfo {
    const info: LoadedObjectInfo = {
      handle: result.handle,
      objectPath,
      sourcePath,
      programs: result.programs,
      maps: result.maps,
      pinned: result.pinned,
    };
    this.objects = [...this.objects, info];
    this.objectsChanged();
    return info;
  }

  removeObject(handle: number): void {
    this.objects = this.objects.filter((o) => o.handle !== handle);
    this.objectsChanged();
  }

  private objectsChanged(): void {
    this.objectsEmitter.fire(this.objects);
    this.changed({ structure: true, nodes: [this.root] });
  }

  /** Tells the listeners, and returns the change to callers that apply it themselves (tests, the bench). */
  private changed(change: Change): Change {
    if (change.structure || change.nodes.length) this.changeEmitter.fire(change);
    return change;
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
      else this.maps.set(s.id, { id: s.id, summary: s, signature: '' });
    }
    for (const id of [...this.maps.keys()]) if (!seen.has(id)) this.maps.delete(id);
    this.updatePrograms(progs, nowMs);
    this.inventoryLoaded = true;
    return this.changed({ structure: true, nodes: [this.root] });
  }

  /** Program list alone (run counts while BPF stats are on). Redraws programs whose numbers changed. */
  applyPrograms(progs: ProgListResult, nowMs: number): Change {
    return this.changed(this.updatePrograms(progs, nowMs));
  }

  private updatePrograms(progs: ProgListResult, nowMs: number): Change {
    this.stats = progs.statsEnabled;
    const seen = new Set<number>();
    let structure = false;
    const changed: ModelNode[] = [];
    for (const s of progs.programs) {
      seen.add(s.id);
      let r = this.programs.get(s.id);
      if (!r) {
        r = { summary: s, signature: '' };
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
      const signature = programSignature(r);
      if (signature !== r.signature) {
        r.signature = signature;
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
        r = { id: c.id, signature: '' };
        this.maps.set(c.id, r);
        structure = true;
      }
      r.count = c;
      const signature = mapSignature(r);
      if (signature !== r.signature) {
        r.signature = signature;
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
    return this.changed(structure ? { structure: true, nodes: [this.root] } : { structure: false, nodes: changed });
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
        r = { id, signature: '' };
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
      const signature = mapSignature(r);
      if (signature !== r.signature) {
        r.signature = signature;
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
    return this.changed(structure ? { structure: true, nodes: [this.root] } : { structure: false, nodes: changed });
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
    if (!r) return NOTHING;
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
    return this.changed(this.touchMap(c.id));
  }

  applyRingbuf(mapId: number, positions: RingbufResult): Change {
    const r = this.maps.get(mapId);
    if (!r) return NOTHING;
    r.ringbuf = positions;
    return this.changed(this.touchMap(mapId));
  }

  private touchMap(id: number): Change {
    const r = this.maps.get(id);
    if (r) r.signature = mapSignature(r);
    return { structure: false, nodes: [...(this.mapNodes.get(id) ?? [])] };
  }

  // ---------- queries ----------

  get state(): HelperState {
    return this.stateValue;
  }

  /** BPF run statistics are on (the last program list said so). */
  get statsEnabled(): boolean {
    return this.stats;
  }

  /** Objects loaded through this extension on this target, in load order. */
  get loadedObjects(): readonly LoadedObjectInfo[] {
    return this.objects;
  }

  map(id: number): MapState | undefined {
    return this.maps.get(id);
  }

  /** Where a map is pinned, from the helper's inventory (whoever pinned it). */
  pinsOf(mapId: number): readonly string[] {
    return this.maps.get(mapId)?.summary?.pinned ?? [];
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

  programState(id: number): ProgramState | undefined {
    return this.programs.get(id);
  }

  /** Programs on the host, the helper's own left out. */
  hostProgramCount(): number {
    return this.programs.size - this.internalProgramCount();
  }

  /** Maps on the host, the ones only the helper's own programs use left out. */
  hostMapCount(): number {
    return this.maps.size - this.internalMapIds().size;
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

  /** Maps no program uses (held open by a process, or pinned). */
  unusedMapIds(): number[] {
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
}

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
