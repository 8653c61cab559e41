// "eBPF: Generate vmlinux.h": writes the target kernel's types, from its BTF, into the workspace
// folder (which the build and .clangd put on the include path). The target's helper dumps them
// (btf.vmlinux, libbpf's btf_dump: the kernel the programs will load into, no bpftool needed);
// local bpftool is the fallback when the helper cannot start.
import * as vscode from 'vscode';
import { dumpVmlinuxHeader, writeVmlinuxHeader } from '../core/toolchain/vmlinux';
import { HelperClientError } from '../core/connection/client';
import { Command } from './commands';
import type { Ctx } from './ctx';
import type { Target, Targets } from './targets';

export function activate(ctx: Ctx): void {
  const { log, targets } = ctx;
  // targetId: a target's id ("local", "ssh:…") to skip the pick when several are connected.
  ctx.registerCommand(Command.generateVmlinux, async (folderArg?: vscode.Uri, targetId?: string) => {
    const folder = folderArg ? vscode.workspace.getWorkspaceFolder(folderArg) : await pickFolder();
    if (!folder) return undefined;
    const target = targetId ? targets.get(targetId) : await pickTarget(targets);
    if (targetId && !target) {
      void vscode.window.showErrorMessage(`eBPF: there is no target "${targetId}".`);
      return undefined;
    }
    return vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `eBPF: generating vmlinux.h from the kernel BTF${target ? ` of ${target.label}` : ''}`,
      },
      async () => {
        try {
          const { header, from } = await dumpHeader(target, log, ctx.config.bpftoolPath);
          const file = await writeVmlinuxHeader(folder.uri.fsPath, header);
          log.info(`Wrote ${file} (${(header.length / 1e6).toFixed(1)} MB) from the BTF of ${from}.`);
          return file;
        } catch (e) {
          const message = (e as Error).message;
          log.error(message);
          void vscode.window.showErrorMessage(`eBPF: ${message}`);
          return undefined;
        }
      },
    );
  });
}

async function dumpHeader(
  target: Target | undefined,
  log: vscode.LogOutputChannel,
  bpftoolPath: string,
): Promise<{ header: string; from: string }> {
  if (target) {
    try {
      const client = await target.ready();
      const r = await client.vmlinuxHeader();
      return { header: r.text, from: `${target.label} (Linux ${r.kernelRelease}, through the helper)` };
    } catch (e) {
      // The helper answered (e.g. NO_BTF): that is the target's truth, bpftool would not do better.
      if (e instanceof HelperClientError && !['HELPER_UNAVAILABLE', 'HELPER_EXITED', 'PERMISSION', 'LIBBPF_MISSING'].includes(e.code)) {
        throw new Error(`${target.label}: ${e.message}`, { cause: e });
      }
      log.warn(`${target.label}: the helper cannot start (${(e as Error).message}); using local bpftool instead.`);
      if (target.id !== 'local') {
        void vscode.window.showWarningMessage(
          `eBPF: the helper on ${target.label} cannot start, so vmlinux.h comes from this machine's kernel, which may differ from ${target.label}'s.`,
        );
      }
    }
  }
  return { header: await dumpVmlinuxHeader(bpftoolPath), from: "this machine's kernel (local bpftool)" };
}

/** The connected target; a pick when several are; else the default one (its helper starts on use). */
async function pickTarget(targets: Targets): Promise<Target | undefined> {
  const connected = targets.all().filter((t) => t.state.kind === 'connected');
  if (connected.length === 1) return connected[0];
  if (connected.length === 0) return targets.default;
  const pick = await vscode.window.showQuickPick(
    connected.map((t) => ({ label: t.label, description: t.hello ? `Linux ${t.hello.kernelRelease}` : undefined, t })),
    { placeHolder: 'Generate vmlinux.h for which target kernel?' },
  );
  return pick?.t;
}

async function pickFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length <= 1) {
    if (!folders.length) void vscode.window.showWarningMessage('eBPF: open a folder to generate vmlinux.h into.');
    return folders[0];
  }
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder to write vmlinux.h into' });
}
