// Typed access to the extension's settings. Executables and their flags are machine-scoped in the
// manifest, so a workspace's .vscode/settings.json can never choose what runs.
import * as path from 'node:path';
import * as vscode from 'vscode';

const SECTION = 'ebpfWorkbench';

export interface BuildSettings {
  clangPath: string;
  extraFlags: string[];
  /** Absolute output folder, or undefined for "next to each source". */
  outputDir?: string;
  include: string;
  /** Header folders, absolute: the workspace folder first (vmlinux.h), then the setting's. */
  includeDirs: string[];
}

export function buildSettings(folder: vscode.WorkspaceFolder): BuildSettings {
  const c = vscode.workspace.getConfiguration(SECTION, folder.uri);
  const out = c.get<string>('build.outputDir', '').trim();
  return {
    clangPath: c.get<string>('clang.path', 'clang').trim() || 'clang',
    extraFlags: c.get<string[]>('clang.extraFlags', []),
    outputDir: out ? path.resolve(folder.uri.fsPath, out) : undefined,
    include: c.get<string>('build.include', '**/*.bpf.c') || '**/*.bpf.c',
    includeDirs: [folder.uri.fsPath, ...c.get<string[]>('build.includeDirs', []).map((d) => path.resolve(folder.uri.fsPath, d))],
  };
}

export function bpftoolPath(): string {
  return vscode.workspace.getConfiguration(SECTION).get<string>('bpftool.path', 'bpftool').trim() || 'bpftool';
}

/** How often the Programs & Maps view refreshes counts while visible, in ms (at least 100). */
export function refreshIntervalMs(): number {
  return Math.max(100, vscode.workspace.getConfiguration(SECTION).get<number>('maps.refreshInterval', 1000));
}
