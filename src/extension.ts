// activate() wires the features together and nothing else: each feature file registers
// and disposes what it owns.
import * as vscode from 'vscode';
import * as build from './commands/build';
import * as vmlinux from './commands/vmlinux';
import * as verifierDiagnostics from './verifierDiagnostics';

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('eBPF Workbench', { log: true });
  context.subscriptions.push(log);
  context.subscriptions.push(vscode.commands.registerCommand('ebpfWorkbench.showOutput', () => log.show()));

  build.activate(context, log);
  vmlinux.activate(context, log);
  verifierDiagnostics.activate(context, log);
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
