// Helpers for tests that drive the extension the way a user does: open files, wait for the
// extension and for diagnostics to settle.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EbpfWorkbenchApi } from '../../src/extension/api';

export const EXTENSION_ID = 'ebpf-workbench.ebpf-workbench';

/** The example workspace the runner opened (a fresh copy of bpf/examples/). */
export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('no workspace folder is open; the runner should open a copy of bpf/examples/');
  return folder.uri;
}

export function workspaceFile(...segments: string[]): vscode.Uri {
  return vscode.Uri.joinPath(workspaceRoot(), ...segments);
}

/** Opens a file (a workspace-relative path or a Uri) in an editor and returns the editor. */
export async function openFile(file: string | vscode.Uri): Promise<vscode.TextEditor> {
  const uri = typeof file === 'string' ? (path.isAbsolute(file) ? vscode.Uri.file(file) : workspaceFile(file)) : file;
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc, { preview: false });
}

/** Our extension, activated. */
export async function activateExtension(): Promise<vscode.Extension<EbpfWorkbenchApi>> {
  const ext = vscode.extensions.getExtension<EbpfWorkbenchApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not installed in this VS Code`);
  await ext.activate();
  return ext;
}

/** The typed API `activate` returns (what tests read state through). */
export async function api(): Promise<EbpfWorkbenchApi> {
  return (await activateExtension()).exports;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`
 *  with `what` in the message. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Resolves with the diagnostics of `uri` once `accept` is true for them (by default: at least one
 * diagnostic from `source`, when given). Reacts to onDidChangeDiagnostics, so it also sees
 * diagnostics that were published before the call. Fails after `timeoutMs`, listing what was there.
 */
export async function waitForDiagnostics(
  uri: vscode.Uri,
  options: { source?: string; accept?: (d: vscode.Diagnostic[]) => boolean; timeoutMs?: number } = {},
): Promise<vscode.Diagnostic[]> {
  const { source, timeoutMs = 30_000 } = options;
  const current = () => vscode.languages.getDiagnostics(uri).filter((d) => source === undefined || d.source === source);
  const accept = options.accept ?? ((d: vscode.Diagnostic[]) => d.length > 0);
  if (accept(current())) return current();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      const seen = current().map(formatDiagnostic).join('\n  ') || '(none)';
      reject(
        new Error(
          `timed out after ${timeoutMs} ms waiting for diagnostics${source ? ` from ${source}` : ''} on ${uri.fsPath}; have:\n  ${seen}`,
        ),
      );
    }, timeoutMs);
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (!e.uris.some((u) => u.toString() === uri.toString())) return;
      const d = current();
      if (accept(d)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(d);
      }
    });
  });
}

/** "file:line:col severity message" (1-based), for assertion messages. */
export function formatDiagnostic(d: vscode.Diagnostic): string {
  const sev = ['error', 'warning', 'info', 'hint'][d.severity];
  return `${d.range.start.line + 1}:${d.range.start.character + 1} ${sev} ${d.message}${d.source ? ` [${d.source}]` : ''}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
