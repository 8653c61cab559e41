// The extension's settings, typed: every read of an `ebpfWorkbench.*` setting goes through Config,
// and Config owns the change events (features say which keys they care about). Executables and
// their flags are machine-scoped in the manifest, so a workspace's .vscode/settings.json can never
// choose what runs.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SshTargetSetting } from '../core/connection/sshTarget';

export const SECTION = 'ebpfWorkbench';

/** Every setting, relative to SECTION (package.json's contributes.configuration). */
export type SettingKey =
  | 'sshTargets'
  | 'ssh.configFile'
  | 'ssh.path'
  | 'maps.refreshInterval'
  | 'clang.path'
  | 'clang.extraFlags'
  | 'bpftool.path'
  | 'build.outputDir'
  | 'build.includeDirs'
  | 'build.include'
  | 'verifier.inlineHints'
  | 'load.attach'
  | 'verifier.budgetWarningPercent';

export interface BuildSettings {
  clangPath: string;
  extraFlags: string[];
  /** Absolute output folder, or undefined for "next to each source". */
  outputDir?: string;
  include: string;
  /** Header folders, absolute: the workspace folder first (vmlinux.h), then the setting's. */
  includeDirs: string[];
}

export interface SshSettings {
  entries: SshTargetSetting[];
  configFile?: string;
  sshPath?: string;
}

export class Config implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.ConfigurationChangeEvent>();
  private readonly subscription = vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(SECTION)) this.changed.fire(e);
  });

  /** Calls `listener` when any of `keys` changed (a group such as 'ssh' covers 'ssh.path' too). */
  onDidChange(keys: readonly (SettingKey | 'ssh')[], listener: (changed: (key: SettingKey | 'ssh') => boolean) => void): vscode.Disposable {
    return this.changed.event((e) => {
      const changed = (key: SettingKey | 'ssh') => e.affectsConfiguration(`${SECTION}.${key}`);
      if (keys.some(changed)) listener(changed);
    });
  }

  build(folder: vscode.WorkspaceFolder): BuildSettings {
    const c = this.section(folder.uri);
    const out = c.get<string>('build.outputDir', '.output').trim();
    return {
      clangPath: c.get<string>('clang.path', 'clang').trim() || 'clang',
      extraFlags: c.get<string[]>('clang.extraFlags', []),
      outputDir: out ? path.resolve(folder.uri.fsPath, out) : undefined,
      include: c.get<string>('build.include', '**/*.bpf.c') || '**/*.bpf.c',
      includeDirs: [folder.uri.fsPath, ...c.get<string[]>('build.includeDirs', []).map((d) => path.resolve(folder.uri.fsPath, d))],
    };
  }

  /** Load Object attaches every program too (as Load and Attach does). */
  get attachOnLoad(): boolean {
    return this.section().get<boolean>('load.attach', false);
  }

  get bpftoolPath(): string {
    return this.section().get<string>('bpftool.path', 'bpftool').trim() || 'bpftool';
  }

  /** How often the Programs & Maps view refreshes counts while visible, in ms (at least 100). */
  get refreshIntervalMs(): number {
    return Math.max(100, this.section().get<number>('maps.refreshInterval', 1000));
  }

  get inlineHints(): boolean {
    return this.section().get<boolean>('verifier.inlineHints', true);
  }

  /** The complexity CodeLens warns past this share of the verifier's instruction limit (percent). */
  get budgetWarningPercent(): number {
    return Math.min(100, Math.max(0, this.section().get<number>('verifier.budgetWarningPercent', 50)));
  }

  get ssh(): SshSettings {
    const c = this.section();
    const entries = c.get<SshTargetSetting[]>('sshTargets', []);
    return {
      entries: Array.isArray(entries) ? entries : [],
      configFile: c.get<string>('ssh.configFile', '').trim() || undefined,
      sshPath: c.get<string>('ssh.path', '').trim() || undefined,
    };
  }

  /** Machine scope: the user's (or the remote's) settings, where ssh and its keys live. */
  setSshTargets(entries: SshTargetSetting[]): Thenable<void> {
    return this.section().update('sshTargets', entries, vscode.ConfigurationTarget.Global);
  }

  private section(scope?: vscode.Uri): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION, scope);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
