// "eBPF: Compare Verification Stats": the last load of an object against the one before it, per
// program (processed instructions, states, verdict, with the difference), veristat-style, in a
// read-only document. The numbers come from the per-build stats file beside the object.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { compareBudgets, describeBudget, formatComparison, lastStats, readStats, STATS_FILE } from '../core/insight/budget';
import { Command } from './commands';
import type { Ctx } from './ctx';

const SCHEME = 'ebpf-stats';

/** The text of a comparison (exported for the document and the VS Code tests). */
export function comparisonText(objectPath: string): string | undefined {
  const rec = lastStats(objectPath);
  if (!rec) return undefined;
  const rows = compareBudgets(rec.previous?.programs ?? [], rec.current.programs);
  const t = formatComparison(rows);
  const widths = t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (t.rightAligned.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [
    `${path.basename(objectPath)}: A = ${rec.previous ? `the load of ${new Date(rec.previous.loadedAt).toLocaleString()}` : '(no previous load)'}, B = the load of ${new Date(rec.current.loadedAt).toLocaleString()}`,
    '',
    line(t.headers),
    ...t.rows.map(line),
    '',
    ...rec.current.programs.map(
      (p) =>
        `${p.name}: ${describeBudget(
          p,
          rec.previous?.programs.find((x) => x.name === p.name),
        )}${p.error ? ` — ${p.error}` : ''}`,
    ),
    '',
  ].join('\n');
}

export function activate(ctx: Ctx): void {
  const provider: vscode.TextDocumentContentProvider = {
    provideTextDocumentContent: (uri) =>
      comparisonText(new URLSearchParams(uri.query).get('object') ?? '') ?? 'no stats recorded for this object\n',
  };
  ctx.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(SCHEME, provider));
  ctx.registerCommand(Command.compareVerificationStats, async (objectPath?: string) => {
    objectPath ??= await pickObject();
    if (!objectPath) return undefined;
    if (!lastStats(objectPath)) {
      void vscode.window.showInformationMessage(`eBPF: no verification stats for ${path.basename(objectPath)} yet; load it first.`);
      return undefined;
    }
    const uri = vscode.Uri.from({
      scheme: SCHEME,
      path: `/${path.basename(objectPath)} verification stats`,
      query: `object=${encodeURIComponent(objectPath)}&t=${Date.now()}`,
    });
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Active });
    return doc.getText();
  });
}

async function pickObject(): Promise<string | undefined> {
  const files = await vscode.workspace.findFiles(`**/${STATS_FILE}`, '**/node_modules/**');
  const objects = files.flatMap((f) => Object.keys(readStats(f.fsPath).objects).map((name) => path.join(path.dirname(f.fsPath), name)));
  if (objects.length === 0) {
    void vscode.window.showInformationMessage('eBPF: no verification stats yet: load an object first.');
    return undefined;
  }
  if (objects.length === 1) return objects[0];
  return (
    await vscode.window.showQuickPick(
      objects.map((o) => ({ label: path.basename(o), description: vscode.workspace.asRelativePath(o), o })),
      { placeHolder: 'Object to compare' },
    )
  )?.o;
}
