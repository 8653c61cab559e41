// "eBPF: Add SSH Target" / "eBPF: Remove SSH Target", and keeping the SSH targets in the tree in
// step with the `ebpfWorkbench.sshTargets` setting. The transport itself is core/connection/ssh.ts; here is
// only the VS Code side: input, settings, and one Target per entry in targets.ts.
import * as vscode from 'vscode';
import { sshHelperClient } from '../core/connection/ssh';
import { parseTarget, specFromSetting, SshTargetSetting, TargetSyntaxError } from '../core/connection/sshTarget';
import { Command } from './commands';
import type { Ctx } from './ctx';

const ID_PREFIX = 'ssh:';

function validationMessage(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof TargetSyntaxError ? e.message : String(e);
  }
}

export function activate(ctx: Ctx): void {
  const { config, log, targets } = ctx;
  /** Adds a Target per valid entry, removes those no longer listed; invalid entries are reported, never run. */
  const sync = (recreate = false) => {
    const s = config.ssh;
    const wanted = new Map<string, ReturnType<typeof specFromSetting>>();
    for (const entry of s.entries) {
      try {
        const spec = specFromSetting(entry);
        wanted.set(ID_PREFIX + spec.label, spec);
      } catch (e) {
        const msg = `ebpfWorkbench.sshTargets: ignoring ${JSON.stringify(entry)}: ${(e as Error).message}`;
        log.warn(msg);
        void vscode.window.showWarningMessage(msg);
      }
    }
    for (const t of targets.all()) {
      if (t.id.startsWith(ID_PREFIX) && (recreate || !wanted.has(t.id))) targets.remove(t.id);
    }
    for (const [id, spec] of wanted) {
      if (targets.get(id)) continue;
      const client = sshHelperClient(spec, { configFile: s.configFile, sshPath: s.sshPath, log: (l) => log.info(`${spec.label}: ${l}`) });
      targets.createClientTarget(id, spec.label, client);
    }
  };
  sync();

  ctx.subscriptions.push(
    // The ssh binary or config file changed: every SSH target starts over.
    config.onDidChange(['ssh', 'sshTargets'], (changed) => sync(changed('ssh'))),
  );

  ctx.registerCommand(Command.addSshTarget, async () => {
    const target = await vscode.window.showInputBox({
      title: 'Add SSH Target (1/2)',
      prompt: 'user@host, user@host:port, user@[IPv6]:port, or a Host alias from your ssh config',
      placeHolder: 'root@build-server',
      ignoreFocusOut: true,
      validateInput: (v) => validationMessage(() => parseTarget(v)),
    });
    if (target === undefined) return;
    const jump = await vscode.window.showInputBox({
      title: 'Add SSH Target (2/2)',
      prompt: 'Jump host(s), comma-separated (ssh -J); leave empty for a direct connection',
      placeHolder: 'user@bastion:22',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? validationMessage(() => parseTarget(target, v)) : undefined),
    });
    if (jump === undefined) return;
    const entry: SshTargetSetting = jump.trim() ? { target: target.trim(), jump: jump.trim() } : target.trim();
    const label = specFromSetting(entry).label;
    const current = config.ssh.entries;
    if (current.some((e) => validationMessage(() => specFromSetting(e)) === undefined && specFromSetting(e).label === label)) {
      void vscode.window.showInformationMessage(`${label} is already an SSH target.`);
      return;
    }
    await config.setSshTargets([...current, entry]);
    log.info(`added SSH target ${label}`);
  });

  ctx.registerCommand(Command.removeSshTarget, async (arg?: { targetId?: string } | string) => {
    let id = typeof arg === 'string' ? arg : arg?.targetId;
    if (!id) {
      const pick = await vscode.window.showQuickPick(
        targets
          .all()
          .filter((t) => t.id.startsWith(ID_PREFIX))
          .map((t) => ({ label: t.label, id: t.id })),
        { title: 'Remove SSH Target' },
      );
      id = pick?.id;
    }
    if (!id?.startsWith(ID_PREFIX)) return;
    const label = id.slice(ID_PREFIX.length);
    const kept = config.ssh.entries.filter(
      (e) => validationMessage(() => specFromSetting(e)) !== undefined || specFromSetting(e).label !== label,
    );
    await config.setSshTargets(kept);
  });
}
