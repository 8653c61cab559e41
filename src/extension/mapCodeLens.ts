// A CodeLens above each BTF-style map definition (`struct { ... } name SEC(".maps");`) in a
// .bpf.c whose object is loaded: the live element count, and "Count" to run Count Map Elements.
import * as vscode from 'vscode';
import type { Targets } from './targets';
import { mapDescription } from '../core/maps/format';
import { Command } from './commands';
import type { Ctx } from './ctx';

export interface MapDefinition {
  name: string;
  /** 0-based lines of `struct {` and of the closing `} name SEC(".maps");`. */
  startLine: number;
  endLine: number;
}

const END = /^\s*\}\s*([A-Za-z_]\w*)\s+SEC\(\s*"\.maps"\s*\)\s*;/;
const START = /^\s*struct\s*\{\s*$/;

/** The map definitions of a BPF C source: names and the lines each spans. */
export function findMapDefinitions(text: string): MapDefinition[] {
  const lines = text.split(/\r?\n/);
  const out: MapDefinition[] = [];
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    if (START.test(lines[i])) start = i;
    const m = END.exec(lines[i]);
    if (m) {
      out.push({ name: m[1], startLine: start >= 0 ? start : i, endLine: i });
      start = -1;
    }
  }
  return out;
}

/** The kernel keeps the first 15 characters of a map name. */
export function kernelName(name: string): string {
  return name.slice(0, 15);
}

/** The loaded map defined in `sourcePath` with this name, on any target. */
export function loadedMapFor(targets: Targets, sourcePath: string, name: string): { targetId: string; id: number } | undefined {
  for (const t of targets.all()) {
    for (const o of t.model.loadedObjects) {
      if (o.sourcePath !== sourcePath) continue;
      const m = o.maps.find((x) => x.name === name || x.name === kernelName(name));
      if (m) return { targetId: t.id, id: m.id };
    }
  }
  return undefined;
}

class MapCounts implements vscode.CodeLensProvider {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changeEmitter.event;

  constructor(private readonly targets: Targets) {}

  refresh(): void {
    this.changeEmitter.fire();
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!document.fileName.endsWith('.bpf.c')) return [];
    const loaded = this.targets.all().some((t) => t.model.loadedObjects.some((o) => o.sourcePath === document.fileName));
    if (!loaded) return [];
    const lenses: vscode.CodeLens[] = [];
    for (const def of findMapDefinitions(document.getText())) {
      const found = loadedMapFor(this.targets, document.fileName, def.name);
      if (!found) continue;
      const range = new vscode.Range(def.startLine, 0, def.startLine, 0);
      const m = this.targets.get(found.targetId)?.model.map(found.id);
      const typeName = m?.summary?.typeName ?? m?.count?.typeName ?? '';
      const maxEntries = m?.summary?.maxEntries ?? m?.count?.maxEntries ?? 0;
      const text = m ? mapDescription(typeName, maxEntries, m.count, m.ringbuf) : 'loaded';
      lenses.push(
        new vscode.CodeLens(range, {
          title: `$(database) ${def.name}: ${text}`,
          command: Command.showMapContents,
          arguments: [found],
          tooltip: 'Show the contents of this map',
        }),
        new vscode.CodeLens(range, {
          title: 'Count',
          command: Command.countMapElements,
          arguments: [{ ...found, interactive: true }],
          tooltip: 'Count the elements of this map now (exact count, method and time)',
        }),
      );
    }
    return lenses;
  }
}

export function activate(ctx: Ctx): void {
  const { targets, tree } = ctx;
  const provider = new MapCounts(targets);
  // Counts change every tick: redraw the lenses at most once per tick, and only for loaded sources.
  let pending = false;
  const refresh = () => {
    if (pending) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      provider.refresh();
    }, 50);
  };
  ctx.subscriptions.push(
    vscode.languages.registerCodeLensProvider({ scheme: 'file', pattern: '**/*.bpf.c' }, provider),
    tree.onDidTick(() => {
      if (targets.all().some((t) => t.model.loadedObjects.length > 0)) refresh();
    }),
    ...targets.all().map((t) => t.model.onDidChangeObjects(refresh)),
  );
}
