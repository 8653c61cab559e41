// "eBPF: Generate vmlinux.h": writes the kernel's types, from its BTF, into the workspace folder
// (which the build and .clangd put on the include path).
import * as vscode from 'vscode';
import { dumpVmlinuxHeader, writeVmlinuxHeader } from '../build/vmlinux';
import { bpftoolPath } from '../config';

export function activate(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('ebpfWorkbench.generateVmlinux', async (folderArg?: vscode.Uri) => {
      const folder = folderArg ? vscode.workspace.getWorkspaceFolder(folderArg) : await pickFolder();
      if (!folder) return undefined;
      return vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'eBPF: generating vmlinux.h from the kernel BTF' },
        async () => {
          try {
            const header = await dumpVmlinuxHeader(bpftoolPath());
            const file = await writeVmlinuxHeader(folder.uri.fsPath, header);
            log.info(`Wrote ${file} (${(header.length / 1e6).toFixed(1)} MB) from the running kernel's BTF.`);
            return file;
          } catch (e) {
            const message = (e as Error).message;
            log.error(message);
            void vscode.window.showErrorMessage(`eBPF: ${message}`);
            return undefined;
          }
        },
      );
    }),
  );
}

async function pickFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length <= 1) {
    if (!folders.length) void vscode.window.showWarningMessage('eBPF: open a folder to generate vmlinux.h into.');
    return folders[0];
  }
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder to write vmlinux.h into' });
}
