// Attach and detach from the editor: "Load and Attach" next to Load Object (and attach-on-load with
// ebpfWorkbench.load.attach), "Attach…" on a program and "Detach"/"Pin Link…" on its links in the
// Programs & Maps tree. What a program needs beyond its section (an interface, a direction, a
// cgroup, a function, a binary) is asked once with pickers fed by the target's helper, and
// remembered per program in the workspace (workspaceState), so the next Load and Attach just runs.
// Links made here die with their object unless pinned.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AttachedLink, AttachResult, AttachTarget, LoadedProgram } from '../protocol';
import { HelperClientError } from '../core/connection/client';
import { attachPlan, NEED_TEXT, type AttachNeed } from '../core/attach/sections';
import type { LoadedObjectInfo, ModelNode } from '../core/maps/model';
import { Command } from './commands';
import type { Ctx } from './ctx';
import type { Target } from './targets';

/** What Load and Attach and Attach… accept from code (tests, other extensions) instead of asking. */
export interface AttachOptions {
  /** Per program name: where to attach it (merged over what the workspace remembers). */
  targets?: Record<string, AttachTarget>;
  /** false: never ask; a program that lacks a place fails instead. Default true. */
  interactive?: boolean;
}

export interface ObjectAttachResult {
  links: AttachedLink[];
  notes: string[];
  /** Programs that were not attached, with why. */
  skipped: { program: string; why: string }[];
  errors: { program: string; message: string }[];
}

const KEY = 'ebpfWorkbench.attach';

/** The last place each program was attached to, per target, in this workspace. */
class AttachMemory {
  constructor(private readonly state: vscode.Memento) {}

  private key(target: Target, object: LoadedObjectInfo, program: string): string {
    const file = vscode.workspace.asRelativePath(object.sourcePath ?? object.objectPath);
    return `${target.id}|${file}|${program}`;
  }

  get(target: Target, object: LoadedObjectInfo, program: string): AttachTarget | undefined {
    return this.state.get<Record<string, AttachTarget>>(KEY, {})[this.key(target, object, program)];
  }

  async set(target: Target, object: LoadedObjectInfo, program: string, value: AttachTarget): Promise<void> {
    const all = { ...this.state.get<Record<string, AttachTarget>>(KEY, {}) };
    all[this.key(target, object, program)] = value;
    await this.state.update(KEY, all);
  }
}

function satisfied(need: AttachNeed, t: AttachTarget, plan: ReturnType<typeof attachPlan>): boolean {
  switch (need) {
    case 'direction':
      return !!t.direction || !!plan.direction;
    case 'netfilter':
      return !!t.netfilter;
    default:
      return !!t[need] || !!plan[need as 'function' | 'binary' | 'usdt' | 'tracepoint'];
  }
}

function errorText(e: unknown): string {
  if (e instanceof HelperClientError)
    return e.data.fix && !e.data.message.includes(e.data.fix) ? `${e.data.message} — ${e.data.fix}` : e.data.message;
  return (e as Error).message;
}

class Attacher {
  constructor(
    private readonly ctx: Ctx,
    private readonly memory: AttachMemory,
  ) {}

  targetOf(object: LoadedObjectInfo): Target | undefined {
    return this.ctx.targets
      .all()
      .find(
        (t) =>
          t.model.loadedObjects.includes(object) ||
          t.model.loadedObjects.some((o) => o.handle === object.handle && o.objectPath === object.objectPath),
      );
  }

  /** Asks for what `plan` still needs; undefined when the user cancelled. */
  private async ask(target: Target, program: LoadedProgram, missing: AttachNeed[], known: AttachTarget): Promise<AttachTarget | undefined> {
    const out: AttachTarget = { ...known };
    const client = await target.ready();
    const title = `Attach ${program.name} (${program.section}) on ${target.label}`;
    for (const need of missing) {
      if (need === 'iface') {
        const places = await client.attachPlaces();
        const items = places.interfaces.map((i) => ({
          label: i.name,
          description: `${i.up ? 'up' : 'down'}${i.xdpProgramId ? ` · XDP program #${i.xdpProgramId} attached` : ''}`,
          picked: i.name === known.iface,
        }));
        items.sort((a, b) => Number(b.picked) - Number(a.picked));
        const pick = await vscode.window.showQuickPick(items, { title, placeHolder: 'Network interface to attach to' });
        if (!pick) return undefined;
        out.iface = pick.label;
      } else if (need === 'direction') {
        const pick = await vscode.window.showQuickPick(['ingress', 'egress'], {
          title,
          placeHolder: 'Which packets: arriving (ingress) or leaving (egress)?',
        });
        if (!pick) return undefined;
        out.direction = pick as 'ingress' | 'egress';
      } else if (need === 'cgroup') {
        const places = await client.attachPlaces();
        const pick = await vscode.window.showQuickPick(
          places.cgroups.map((c, i) => ({ label: c, description: i === 0 ? 'every process' : undefined })),
          { title, placeHolder: 'cgroup (v2) whose processes the program applies to', matchOnDescription: true },
        );
        if (!pick) return undefined;
        out.cgroup = pick.label;
      } else if (need === 'netfilter') {
        void vscode.window.showInformationMessage(
          `eBPF: netfilter programs need a family, hook and priority; attach ${program.name} with the CLI or from code.`,
        );
        return undefined;
      } else {
        const value = await vscode.window.showInputBox({
          title,
          prompt: `${program.name} needs ${NEED_TEXT[need]}${target.id !== 'local' ? ` (on ${target.label})` : ''}`,
          value: (known as Record<string, string | undefined>)[need] ?? '',
          placeHolder:
            need === 'function'
              ? 'do_unlinkat'
              : need === 'binary'
                ? '/usr/bin/bash'
                : need === 'tracepoint'
                  ? 'sched:sched_process_exec'
                  : 'provider:name',
          ignoreFocusOut: true,
        });
        if (!value) return undefined;
        (out as Record<string, string>)[need] = value.trim();
      }
    }
    return out;
  }

  /** Attaches one program of an object this workspace loaded. */
  async attachOne(
    target: Target,
    object: LoadedObjectInfo,
    program: LoadedProgram,
    given: AttachTarget | undefined,
    interactive: boolean,
  ): Promise<AttachResult> {
    const plan = attachPlan(program.section);
    if (plan.kind === 'none') throw new Error(`${program.name} is not attached from here: ${plan.why}`);
    let t: AttachTarget = { ...(this.memory.get(target, object, program.name) ?? {}), ...(given ?? {}) };
    const missing = plan.needs.filter((n) => !satisfied(n, t, plan));
    if (missing.length) {
      if (!interactive) throw new Error(`${program.name} needs ${missing.map((n) => NEED_TEXT[n]).join(' and ')}`);
      const asked = await this.ask(target, program, missing, t);
      if (!asked) throw new vscode.CancellationError();
      t = asked;
    }
    const client = await target.ready();
    const r = await client.attach({ id: program.id, ...t });
    await this.memory.set(target, object, program.name, t);
    this.ctx.log.info(`${target.label}: attached ${program.name}: ${r.links.map((l) => `${l.target} (link #${l.linkId})`).join(', ')}`);
    for (const n of r.notes) this.ctx.log.warn(`${target.label}: ${program.name}: ${n}`);
    return r;
  }

  async attachObject(object: LoadedObjectInfo, opts: AttachOptions = {}): Promise<ObjectAttachResult> {
    const out: ObjectAttachResult = { links: [], notes: [], skipped: [], errors: [] };
    const target = this.targetOf(object);
    if (!target) throw new Error(`eBPF: ${object.objectPath} is not loaded`);
    const interactive = opts.interactive !== false;
    for (const p of object.programs) {
      const plan = attachPlan(p.section);
      if (plan.kind === 'none') {
        out.skipped.push({ program: p.name, why: plan.why ?? 'nothing to attach to' });
        continue;
      }
      try {
        const r = await this.attachOne(target, object, p, opts.targets?.[p.name], interactive);
        out.links.push(...r.links);
        out.notes.push(...r.notes.map((n) => `${p.name}: ${n}`));
      } catch (e) {
        if (e instanceof vscode.CancellationError) out.skipped.push({ program: p.name, why: 'cancelled' });
        else out.errors.push({ program: p.name, message: errorText(e) });
      }
    }
    void vscode.commands.executeCommand(Command.refreshTree);
    const name = path.basename(object.objectPath);
    if (out.errors.length) {
      for (const e of out.errors) this.ctx.log.error(`${target.label}: attaching ${e.program} failed: ${e.message}`);
      void vscode.window
        .showErrorMessage(`eBPF: ${out.errors.map((e) => `${e.program}: ${e.message}`).join('; ')}`, 'Show Output')
        .then((c) => c && this.ctx.log.show());
    }
    for (const n of out.notes) void vscode.window.showInformationMessage(`eBPF: ${n}`);
    if (out.links.length)
      void vscode.window.setStatusBarMessage(
        `eBPF: ${name} attached: ${out.links.map((l) => `${l.program} → ${l.target}`).join(', ')}`,
        8000,
      );
    return out;
  }
}

/** A program or link node's target, object and ids. */
function locate(ctx: Ctx, node: ModelNode): { target: Target; programId: number; object?: LoadedObjectInfo } | undefined {
  const target = ctx.tree.targetOf(node);
  if (!target) return undefined;
  const programId = (node.kind === 'link' ? node.parent?.ref : node.ref) as number;
  const object = target.model.loadedObjects.find((o) => o.programs.some((p) => p.id === programId));
  return { target, programId, object };
}

export function activate(ctx: Ctx): void {
  const attacher = new Attacher(ctx, new AttachMemory(ctx.extension.workspaceState));

  ctx.registerCommand(Command.loadAndAttach, async (arg?: vscode.Uri | string, opts?: AttachOptions) => {
    const info = await vscode.commands.executeCommand<LoadedObjectInfo | undefined>(Command.loadObject, arg, { attach: false });
    if (!info) return undefined;
    return { ...info, attached: await attacher.attachObject(info, opts) };
  });

  /** Every program of a loaded object (Load with ebpfWorkbench.load.attach on calls it). */
  ctx.registerCommand(Command.attachObject, (object: LoadedObjectInfo, opts?: AttachOptions) => attacher.attachObject(object, opts));

  ctx.registerCommand(Command.attachProgram, async (arg?: ModelNode | { targetId: string; id: number; target?: AttachTarget }) => {
    if (!arg) {
      void vscode.window.showInformationMessage('eBPF: choose a program of This workspace in the Programs & Maps view to attach it.');
      return undefined;
    }
    const where = 'kind' in arg ? locate(ctx, arg) : { target: ctx.targets.get(arg.targetId)!, programId: arg.id, object: undefined };
    if (!where?.target) return undefined;
    const object = where.object ?? where.target.model.loadedObjects.find((o) => o.programs.some((p) => p.id === where.programId));
    const program = object?.programs.find((p) => p.id === where.programId);
    if (!object || !program) {
      void vscode.window.showWarningMessage(
        'eBPF: only programs this workspace loaded can be attached from here (they need their libbpf object).',
      );
      return undefined;
    }
    try {
      const given = 'kind' in arg ? undefined : arg.target;
      const r = await attacher.attachOne(where.target, object, program, given, !given);
      void vscode.commands.executeCommand(Command.refreshTree);
      for (const n of r.notes) void vscode.window.showInformationMessage(`eBPF: ${program.name}: ${n}`);
      void vscode.window.setStatusBarMessage(`eBPF: ${program.name} attached to ${r.links.map((l) => l.target).join(', ')}`, 8000);
      return r;
    } catch (e) {
      if (e instanceof vscode.CancellationError) return undefined;
      void vscode.window.showErrorMessage(`eBPF: attaching ${program.name} failed: ${errorText(e)}`);
      return undefined;
    }
  });

  ctx.registerCommand(Command.detachLink, async (arg?: ModelNode | { targetId: string; linkId: number }) => {
    if (!arg || ('kind' in arg && arg.kind !== 'link')) return false;
    const target = 'kind' in arg ? ctx.tree.targetOf(arg) : ctx.targets.get(arg.targetId);
    const linkId = 'kind' in arg ? (arg.ref as number) : arg.linkId;
    if (!target) return false;
    try {
      await (await target.ready()).detach(linkId);
      ctx.log.info(`${target.label}: detached link #${linkId}`);
      void vscode.commands.executeCommand(Command.refreshTree);
      return true;
    } catch (e) {
      void vscode.window.showErrorMessage(`eBPF: detaching link #${linkId} failed: ${errorText(e)}`);
      return false;
    }
  });

  ctx.registerCommand(Command.pinLink, async (arg?: ModelNode | { targetId: string; linkId: number }, pinPath?: string) => {
    if (!arg || ('kind' in arg && arg.kind !== 'link')) return undefined;
    const target = 'kind' in arg ? ctx.tree.targetOf(arg) : ctx.targets.get(arg.targetId);
    const linkId = 'kind' in arg ? (arg.ref as number) : arg.linkId;
    if (!target) return undefined;
    const where =
      pinPath ??
      (await vscode.window.showInputBox({
        title: `Pin link #${linkId}`,
        prompt: 'A path below /sys/fs/bpf: the link stays attached after unload until the pin is removed (Unpin, or rm)',
        value: `/sys/fs/bpf/link_${linkId}`,
      }));
    if (!where) return undefined;
    try {
      const r = await (await target.ready()).pinLink({ linkId, path: where });
      void vscode.commands.executeCommand(Command.refreshTree);
      return r.pinned;
    } catch (e) {
      void vscode.window.showErrorMessage(`eBPF: pinning link #${linkId} failed: ${errorText(e)}`);
      return undefined;
    }
  });
}
