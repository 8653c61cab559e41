// Context actions of the Programs & Maps tree: Copy Id, Pin/Unpin (maps and programs, below
// /sys/fs/bpf), and Test Run (programs: BPF_PROG_TEST_RUN with input from a file or the helper's
// zeroed default frame; the result goes to the output channel).
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { TestRunResult } from '../protocol';
import type { Target } from './targets';
import { formatDuration } from '../core/maps/format';
import type { ModelNode } from '../core/maps/model';
import { Command } from './commands';
import type { Ctx } from './ctx';

/** Test Run from code: no prompts. */
export interface TestRunArgs {
  id: number;
  targetId?: string;
  /** base64 input; omitted: the helper's default (a zeroed frame for packet programs). */
  dataIn?: string;
  repeat?: number;
}

/** A map or program from code (tests, CodeLens): the tree passes its node instead. */
export interface ObjectRef {
  kind: 'map' | 'program';
  id: number;
  targetId?: string;
  /** Unpin: which pin, when the map has several (else the user picks). */
  path?: string;
}

export function activate(ctx: Ctx): void {
  const { log, targets, tree } = ctx;
  const targetOf = (node: ModelNode | ObjectRef | undefined): Target =>
    (node && 'key' in node ? tree.targetOf(node) : node?.targetId ? targets.get(node.targetId) : undefined) ?? targets.default;
  /** Tree nodes and ObjectRefs alike, as { kind, id }. */
  const refOf = (node: ModelNode | ObjectRef | undefined): { kind: string; id: number } | undefined =>
    !node
      ? undefined
      : 'key' in node
        ? typeof node.ref === 'number'
          ? { kind: node.kind, id: node.ref }
          : undefined
        : { kind: node.kind, id: node.id };

  const copyId = async (node?: ModelNode | ObjectRef) => {
    const ref = refOf(node);
    if (!ref) return;
    await vscode.env.clipboard.writeText(String(ref.id));
    void vscode.window.setStatusBarMessage(`eBPF: copied ${ref.kind} id ${ref.id}`, 3000);
  };

  const pin = async (node?: ModelNode | ObjectRef, pathArg?: string) => {
    const ref = refOf(node);
    if (!ref || (ref.kind !== 'map' && ref.kind !== 'program')) return undefined;
    const target = targetOf(node);
    const model = target.model;
    const name = (ref.kind === 'map' ? model.mapName(ref.id) : model.program(ref.id)?.name) || `${ref.kind}_${ref.id}`;
    const path =
      pathArg ??
      (await vscode.window.showInputBox({
        title: `Pin ${ref.kind} ${name} (#${ref.id})`,
        prompt: 'Path on bpffs. A pinned object stays in the kernel after the helper exits, until unpinned.',
        value: `/sys/fs/bpf/${name}`,
        validateInput: (v) => (v.startsWith('/sys/fs/bpf/') ? undefined : 'Pins live below /sys/fs/bpf/'),
      }));
    if (!path) return undefined;
    try {
      const client = await target.ready();
      await client.pin({ kind: ref.kind === 'map' ? 'map' : 'prog', id: ref.id, path });
      log.info(`Pinned ${ref.kind} ${name} (#${ref.id}) at ${path} on ${target.label}.`);
      await tree.tickTarget(target.id, true); // the helper's inventory reports the new pin
      return path;
    } catch (e) {
      void vscode.window.showErrorMessage(`eBPF: pinning ${name} failed: ${(e as Error).message}`);
      return undefined;
    }
  };

  const unpin = async (node?: ModelNode | ObjectRef) => {
    const ref = refOf(node);
    if (!ref || ref.kind !== 'map') return false;
    const target = targetOf(node);
    const pins = target.model.pinsOf(ref.id);
    const path =
      node && 'path' in node && node.path
        ? pins.find((p) => p === node.path)
        : pins.length > 1
          ? await vscode.window.showQuickPick([...pins], {
              placeHolder: `${target.model.mapName(ref.id)} is pinned at several paths: which one?`,
            })
          : pins[0];
    if (!path) return false;
    try {
      const client = await target.ready();
      await client.unpin(path);
      log.info(`Unpinned ${path} on ${target.label}.`);
      await tree.tickTarget(target.id, true);
      return true;
    } catch (e) {
      void vscode.window.showErrorMessage(`eBPF: unpinning ${path} failed: ${(e as Error).message}`);
      return false;
    }
  };

  const testRun = async (arg?: ModelNode | TestRunArgs): Promise<TestRunResult | undefined> => {
    let target: Target;
    let params: { id: number; dataIn?: string; repeat?: number };
    let name: string;
    if (arg && 'kind' in arg) {
      if (arg.kind !== 'program') return undefined;
      target = targetOf(arg);
      name = target.model.program(arg.ref as number)?.name ?? `#${arg.ref}`;
      const input = await askInput();
      if (!input) return undefined;
      params = { id: arg.ref as number, ...input };
    } else if (arg && 'id' in arg) {
      target = (arg.targetId ? targets.get(arg.targetId) : undefined) ?? targets.default;
      name = target.model.program(arg.id)?.name ?? `#${arg.id}`;
      params = { id: arg.id, dataIn: arg.dataIn, repeat: arg.repeat };
    } else {
      void vscode.window.showInformationMessage('eBPF: choose a program in the Programs & Maps view, then Test Run from its context menu.');
      return undefined;
    }
    const client = await target.ready();
    // Long runs (repeat up to 1e6) can be stopped: the helper kills the run's process at once.
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `eBPF: test run of ${name}`, cancellable: true },
      (_progress, token) => client.testRun(params, token),
    );
    log.info(
      `Test run of ${name} (#${params.id}) on ${target.label}: retval ${r.retval}, ${formatDuration(r.durationNs)} per run` +
        `${params.repeat && params.repeat > 1 ? ` over ${params.repeat} runs` : ''}, ${Buffer.from(r.dataOut, 'base64').length} bytes out`,
    );
    if (arg && 'kind' in arg) {
      log.show(true);
      void tree.tickTarget(target.id); // the run probably changed map counts
    }
    return r;
  };

  ctx.registerCommand(Command.copyId, copyId);
  ctx.registerCommand(Command.pin, pin);
  ctx.registerCommand(Command.unpin, unpin);
  ctx.registerCommand(Command.testRun, testRun);
}

async function askInput(): Promise<{ dataIn?: string; repeat: number } | undefined> {
  const source = await vscode.window.showQuickPick(
    [
      { label: 'Zeroed input', description: 'the helper’s default: a zeroed 64-byte frame for packet programs', file: false },
      { label: 'Input from file…', description: 'raw bytes (e.g. a packet) passed as data_in', file: true },
    ],
    { placeHolder: 'Test run input' },
  );
  if (!source) return undefined;
  let dataIn: string | undefined;
  if (source.file) {
    const files = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Use as input' });
    if (!files?.[0]) return undefined;
    dataIn = (await fs.promises.readFile(files[0].fsPath)).toString('base64');
  }
  const repeat = await vscode.window.showInputBox({
    prompt: 'Repeat how many times? (1 to 1,000,000)',
    value: '1',
    validateInput: (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= 1e6 ? undefined : 'a whole number from 1 to 1,000,000'),
  });
  if (!repeat) return undefined;
  return { dataIn, repeat: Number(repeat) };
}
