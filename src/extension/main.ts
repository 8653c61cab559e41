// activate() wires the features together and nothing else: each feature file registers
// and disposes what it owns.
import * as vscode from 'vscode';
import * as addSshTarget from './sshTargets';
import * as build from './build';
import * as countMapElements from './countMapElements';
import * as load from './load';
import * as mapActions from './mapActions';
import * as vmlinux from './vmlinux';
import * as targets from './targets';
import * as verifierDiagnostics from './verifierClient';
import * as mapCodeLens from './mapCodeLens';
import * as mapContents from './mapContents';
import * as mapsTree from './mapsTree';

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('eBPF Workbench', { log: true });
  context.subscriptions.push(log);
  context.subscriptions.push(vscode.commands.registerCommand('ebpfWorkbench.showOutput', () => log.show()));

  const builds = build.activate(context, log);
  verifierDiagnostics.activate(context, log);
  const machines = targets.activate(context, log);
  vmlinux.activate(context, log, machines);
  const tree = mapsTree.activate(context, log, machines);
  load.activate(context, log, machines, builds);
  countMapElements.activate(context, machines, tree);
  mapActions.activate(context, log, machines, tree);
  mapContents.activate(context, machines, tree);
  mapCodeLens.activate(context, machines, tree);
  addSshTarget.activate(context, log, machines);
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
