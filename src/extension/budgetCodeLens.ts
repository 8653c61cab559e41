// The complexity budget above each program's SEC() function, after every load (accepted or
// rejected): processed instructions against the limit with a small gauge, total and peak states,
// stack per subprogram, verification time, and the change since the previous load. It reads the
// per-build stats files that loads write beside the objects (`.ebpf-verifier-stats.json`, also
// written by `ebpf-workbench stats --save`), so it follows them through a file watcher.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { budgetGauge, describeBudget, readStats, secPrograms, STATS_FILE, type StatsRecord } from '../core/insight/budget';
import { Command } from './commands';
import type { Ctx } from './ctx';

interface Entry {
  objectPath: string;
  current: StatsRecord;
  previous?: StatsRecord;
}

export class BudgetLenses implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly bySource = new Map<string, Entry>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly watcher = vscode.workspace.createFileSystemWatcher(`**/${STATS_FILE}`);
  readonly ready: Promise<void>;

  constructor(private readonly ctx: Ctx) {
    this.watcher.onDidChange((u) => this.reload(u));
    this.watcher.onDidCreate((u) => this.reload(u));
    this.ready = Promise.resolve(vscode.workspace.findFiles(`**/${STATS_FILE}`, '**/node_modules/**')).then(async (files) => {
      for (const f of files) this.reload(f);
    });
    ctx.config.onDidChange(['verifier.budgetWarningPercent'], () => this.changed.fire());
  }

  /** Reads one stats file (also called right after a load wrote it). */
  reload(file: vscode.Uri): void {
    const stats = readStats(file.fsPath);
    for (const [name, rec] of Object.entries(stats.objects)) {
      if (!rec.current.source) continue;
      this.bySource.set(rec.current.source, { objectPath: path.join(path.dirname(file.fsPath), name), ...rec });
    }
    this.changed.fire();
  }

  entryFor(source: string): Entry | undefined {
    return this.bySource.get(source);
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const entry = this.bySource.get(document.uri.fsPath);
    if (!entry) return [];
    const warnAt = this.ctx.config.budgetWarningPercent / 100;
    const out: vscode.CodeLens[] = [];
    for (const fn of secPrograms(document.getText())) {
      const b = entry.current.programs.find((p) => p.name === fn.name);
      if (!b) continue;
      const before = entry.previous?.programs.find((p) => p.name === fn.name);
      const range = new vscode.Range(fn.line, 0, fn.line, 0);
      const warn = b.verdict === 'rejected' || (b.processedInsns ?? 0) / b.insnLimit >= warnAt;
      out.push(
        new vscode.CodeLens(range, {
          title: `${warn ? '$(warning) ' : ''}${budgetGauge(b)} ${describeBudget(b, before)}`,
          tooltip:
            `Verifier budget of ${fn.name} at the load of ${new Date(entry.current.loadedAt).toLocaleString()}` +
            `${b.verifiedInsns ? ` (kernel verified_insns ${b.verifiedInsns.toLocaleString('en-US')})` : ''}` +
            `${b.error ? `\n${b.error}` : ''}${before ? `\nprevious load: ${describeBudget(before)}` : ''}\nClick: its instructions`,
          command: Command.showInstructions,
          arguments: [{ objectPath: entry.objectPath, program: fn.name }],
        }),
        new vscode.CodeLens(range, {
          title: 'Compare',
          tooltip: 'Compare this load with the previous one (veristat-style)',
          command: Command.compareVerificationStats,
          arguments: [entry.objectPath],
        }),
      );
    }
    return out;
  }

  dispose(): void {
    this.watcher.dispose();
    this.changed.dispose();
  }
}

export function activate(ctx: Ctx): BudgetLenses {
  const lenses = new BudgetLenses(ctx);
  ctx.subscriptions.push(lenses, vscode.languages.registerCodeLensProvider({ scheme: 'file', pattern: '**/*.bpf.c' }, lenses));
  return lenses;
}
