// What the insight features (stepper, heat map, Show Instructions) read: a verifier log (a load's
// stored log, an open log document, a log file on disk: read at positions, never held) and the
// workspace file that a log's `@ file:line` names (usually a basename).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { bufferSource, indexLog, openFileSource, type LogIndex, type LogSource } from '../core/insight/logIndex';
import { VERIFIER_LOG_LANGUAGE } from '../protocol/languageServer';
import type { Ctx } from './ctx';

export interface IndexedLog {
  name: string;
  /** The object whose load produced it, when it came from a load. */
  objectPath?: string;
  index: LogIndex;
  source: LogSource;
  dispose(): void;
}

/** A log given by code (object path, file Uri, text), else the active log document, else the latest load's. */
export async function openLog(ctx: Ctx, arg?: string | vscode.Uri | { log: string; name?: string }): Promise<IndexedLog | undefined> {
  const fromText = async (text: string, name: string, objectPath?: string): Promise<IndexedLog> => {
    const source = bufferSource(text);
    return { name, objectPath, index: await indexLog(source), source, dispose: () => undefined };
  };
  if (arg instanceof vscode.Uri) {
    if (arg.scheme === 'file') {
      const source = await openFileSource(arg.fsPath);
      return { name: path.basename(arg.fsPath), index: await indexLog(source), source, dispose: () => void source.close() };
    }
    const doc = await vscode.workspace.openTextDocument(arg);
    return fromText(doc.getText(), path.basename(arg.path));
  }
  if (arg && typeof arg === 'object') return fromText(arg.log, arg.name ?? 'log');
  if (typeof arg === 'string') {
    const stored = ctx.verifier.latest(arg);
    return stored ? fromText(stored.log, path.basename(arg), arg) : undefined;
  }
  const active = vscode.window.activeTextEditor?.document;
  if (active?.languageId === VERIFIER_LOG_LANGUAGE) {
    if (active.uri.scheme === 'file') return openLog(ctx, active.uri);
    return fromText(active.getText(), path.basename(active.uri.path));
  }
  const latest = ctx.verifier.latest();
  if (latest) return fromText(latest.log, path.basename(latest.objectPath), latest.objectPath);
  void vscode.window.showInformationMessage('eBPF: no verifier log yet. Load a program (a rejection keeps its log), or open a log file.');
  return undefined;
}

/** The workspace file a log or a BTF line record names: an existing absolute path, else a file with that name. */
export async function findSourceFile(name: string | undefined, near?: string): Promise<vscode.Uri | undefined> {
  if (!name) return undefined;
  if (path.isAbsolute(name)) {
    try {
      await vscode.workspace.fs.stat(vscode.Uri.file(name));
      return vscode.Uri.file(name);
    } catch {
      /* built elsewhere: look it up by name */
    }
  }
  const base = path.basename(name);
  if (near) {
    const sibling = vscode.Uri.file(path.join(path.dirname(near), base));
    try {
      await vscode.workspace.fs.stat(sibling);
      return sibling;
    } catch {
      /* not beside it */
    }
  }
  const found = await vscode.workspace.findFiles(`**/${base}`, '**/node_modules/**', 2);
  return found[0];
}
