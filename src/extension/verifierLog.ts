// "eBPF: Explain Verifier Log" (a log from a CI run, a file, the clipboard or the active editor →
// diagnostics on the workspace's sources) and "eBPF: Show Verifier Log" (the last log as a
// read-only document with its own language; folding and links come from the language server).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { VERIFIER_LOG_LANGUAGE, VERIFIER_LOG_SCHEME } from '../protocol/languageServer';
import { BuiltinCommand, Command } from './commands';
import type { Ctx } from './ctx';
import type { AnalyzeVerifierLogResult, StoredVerifierLog, VerifierClient } from './verifierClient';

/** What `ebpfWorkbench.explainVerifierLog` accepts from other code and tests (users get a picker). */
export type ExplainInput = vscode.Uri | { log: string; sources?: string[]; name?: string };

export function activate(ctx: Ctx): void {
  const documents = new VerifierLogDocuments(ctx.verifier);
  ctx.subscriptions.push(documents, vscode.workspace.registerTextDocumentContentProvider(VERIFIER_LOG_SCHEME, documents));
  ctx.registerCommand(Command.explainVerifierLog, (input?: ExplainInput) => explain(ctx.verifier, ctx.log, input));
  ctx.registerCommand(Command.showVerifierLog, (objectPath?: string) => show(ctx.verifier, objectPath));
}

async function explain(
  diagnostics: VerifierClient,
  log: vscode.LogOutputChannel,
  input?: ExplainInput,
): Promise<AnalyzeVerifierLogResult | undefined> {
  const picked = input ?? (await pickLog());
  if (!picked) return undefined;
  let text: string;
  let name: string;
  let sources: string[] | undefined;
  if (picked instanceof vscode.Uri) {
    text = new TextDecoder().decode(await vscode.workspace.fs.readFile(picked));
    name = picked.scheme === 'file' ? picked.fsPath : picked.toString();
  } else {
    text = picked.log;
    name = picked.name ?? 'pasted log';
    sources = picked.sources;
  }
  if (!text.trim()) {
    void vscode.window.showWarningMessage('eBPF: the verifier log is empty.');
    return undefined;
  }
  sources ??= await workspaceSources();
  const result = await diagnostics.report({ objectPath: `explained:${name}`, sources, log: text });
  if (input) return result; // called by code: no notification
  if (result.findings === 0) {
    void vscode.window.showInformationMessage('eBPF: no verifier error found in that log.');
  } else {
    const where = result.placed
      ? `See Problems (${result.files.map((f) => path.basename(f)).join(', ')}).`
      : 'None matched a source file in this workspace; see "eBPF: Show Verifier Log".';
    const choice = await vscode.window.showWarningMessage(
      `eBPF: ${result.titles[0]}${result.findings > 1 ? ` (+${result.findings - 1} more)` : ''}. ${where}`,
      'Show Problems',
      'Show Log',
    );
    if (choice === 'Show Problems') await vscode.commands.executeCommand(BuiltinCommand.showProblems);
    if (choice === 'Show Log') await show(diagnostics, `explained:${name}`);
  }
  log.info(`Explained ${name} against ${sources.length} source(s).`);
  return result;
}

/** Where the log comes from: the active editor (a log you pasted into an untitled file), the clipboard, or a file. */
async function pickLog(): Promise<ExplainInput | undefined> {
  const editor = vscode.window.activeTextEditor;
  const fromEditor =
    editor && !editor.document.fileName.endsWith('.bpf.c') && editor.document.getText().trim() ? editor.document : undefined;
  const items: (vscode.QuickPickItem & { from: 'editor' | 'clipboard' | 'file' })[] = [];
  if (fromEditor) items.push({ label: '$(file-text) Active editor', description: path.basename(fromEditor.fileName), from: 'editor' });
  items.push({ label: '$(clippy) Clipboard', from: 'clipboard' }, { label: '$(folder-opened) Open a log file...', from: 'file' });
  const choice = await vscode.window.showQuickPick(items, {
    title: 'eBPF: Explain Verifier Log',
    placeHolder: 'Where is the verifier log (bpftool / libbpf / CI output)?',
  });
  if (!choice) return undefined;
  if (choice.from === 'editor' && fromEditor)
    return { log: fromEditor.getText(), name: fromEditor.uri.scheme === 'file' ? fromEditor.fileName : 'active editor' };
  if (choice.from === 'clipboard') return { log: await vscode.env.clipboard.readText(), name: 'clipboard' };
  const files = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: 'Explain',
    filters: { Logs: ['log', 'txt', 'verifier-log'], 'All files': ['*'] },
  });
  return files?.[0];
}

/** Every *.bpf.c in the workspace: a log names sources by basename, the server picks the right one. */
async function workspaceSources(): Promise<string[]> {
  const found = await vscode.workspace.findFiles('**/*.bpf.c', '**/node_modules/**', 2000);
  return found.filter((u) => u.scheme === 'file').map((u) => u.fsPath);
}

async function show(diagnostics: VerifierClient, objectPath?: string): Promise<vscode.TextEditor | undefined> {
  let stored = diagnostics.latest(objectPath);
  if (!objectPath && diagnostics.all().length > 1) {
    const picked = await vscode.window.showQuickPick(
      diagnostics.all().map((l) => ({ label: displayName(l), description: describe(l), log: l })),
      { title: 'eBPF: Show Verifier Log', placeHolder: 'Which load?' },
    );
    if (!picked) return undefined;
    stored = picked.log;
  }
  if (!stored) {
    void vscode.window.showInformationMessage('eBPF: no verifier log yet. Load a program, or run "eBPF: Explain Verifier Log" on a log.');
    return undefined;
  }
  let doc = await vscode.workspace.openTextDocument(logUri(stored.objectPath));
  if (doc.languageId !== VERIFIER_LOG_LANGUAGE) doc = await vscode.languages.setTextDocumentLanguage(doc, VERIFIER_LOG_LANGUAGE);
  // Open on the verifier's error, not on libbpf's preamble.
  const lines = doc.getText().split('\n');
  const wanted = stored.result?.messages[0]?.trim();
  const at = wanted ? lines.findIndex((l) => l.trim() === wanted || l.includes(wanted)) : -1;
  const selection = at >= 0 ? new vscode.Range(at, 0, at, lines[at].length) : undefined;
  return vscode.window.showTextDocument(doc, { preview: false, selection });
}

function displayName(l: StoredVerifierLog): string {
  return l.objectPath.startsWith('explained:') ? l.objectPath.slice('explained:'.length) : path.basename(l.objectPath);
}

function describe(l: StoredVerifierLog): string {
  const findings = l.result ? `${l.result.findings} finding(s)` : '';
  return [findings, l.receivedAt.toLocaleTimeString()].filter(Boolean).join(' \u00b7 ');
}

/** `ebpf-verifier-log:/prog.bpf.o.verifier-log?object=<path>`: the name shows in the tab, the query finds the log. */
export function logUri(objectPath: string): vscode.Uri {
  const base = path.basename(objectPath.replace(/^explained:/, '')) || 'log';
  return vscode.Uri.from({ scheme: VERIFIER_LOG_SCHEME, path: `/${base}.verifier-log`, query: `object=${encodeURIComponent(objectPath)}` });
}

class VerifierLogDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly diagnostics: VerifierClient) {
    // A new log for an object that is already open refreshes the document.
    this.subscription = diagnostics.onDidReportLog((l) => this.changed.fire(logUri(l.objectPath)));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const objectPath = decodeURIComponent(/(?:^|&)object=([^&]*)/.exec(uri.query)?.[1] ?? '');
    const stored = this.diagnostics.latest(objectPath);
    return stored ? stored.log : `No verifier log for ${objectPath} in this session.\n`;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
