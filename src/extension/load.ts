// "eBPF: Load Object" and "eBPF: Unload Object". Load builds the .bpf.c first (incremental: an
// up-to-date object is not recompiled), then asks the target's helper to load the .bpf.o and keep
// it loaded; the object then shows under "This workspace". A verifier rejection goes, complete, to
// the verifier diagnostics (Problems, inline hints) instead of a wall of text in a popup.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LoadFailureDetails } from '../protocol';
import type { Target, Targets } from './targets';
import { HelperClientError } from '../core/connection/client';
import type { VerifierClient } from './verifierClient';
import type { LoadedObjectInfo, ModelNode } from '../core/maps/model';
import type { Builds } from './build';
import { BuiltinCommand, Command } from './commands';
import type { Ctx } from './ctx';
import { recordStats } from '../core/insight/budget';
import { loadMeasured } from '../core/insight/measure';

export function activate(ctx: Ctx): void {
  const loader = new Loader(ctx.targets, ctx.builds, ctx.verifier, ctx.log);
  ctx.registerCommand(Command.loadObject, async (arg?: vscode.Uri | string, opts?: { attach?: boolean }) => {
    const info = await loader.load(arg);
    // ebpfWorkbench.load.attach: attach what was loaded (Load and Attach passes attach: false and attaches itself).
    if (info && (opts?.attach ?? ctx.config.attachOnLoad)) await vscode.commands.executeCommand(Command.attachObject, info);
    return info;
  });
  ctx.registerCommand(Command.unloadObject, (arg?: ModelNode | number) => loader.unload(arg));
}

class Loader {
  constructor(
    private readonly targets: Targets,
    private readonly builds: Builds,
    private readonly verifier: VerifierClient,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Loads the given .bpf.c/.bpf.o (Uri or path), else the active .bpf.c, else a picked file. */
  async load(arg?: vscode.Uri | string): Promise<LoadedObjectInfo | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage('eBPF: loading runs clang and a root helper on workspace files. Trust the workspace first.');
      return undefined;
    }
    const file = typeof arg === 'string' ? vscode.Uri.file(arg) : arg instanceof vscode.Uri ? arg : await this.pickFile();
    if (!file) return undefined;
    const target = await this.pickTarget();
    if (!target) return undefined;
    // Count Map Elements and friends wait for a load in progress instead of finding no maps.
    return target.trackLoad(path.basename(file.fsPath), this.buildAndLoad(file, target));
  }

  private async buildAndLoad(file: vscode.Uri, target: Target): Promise<LoadedObjectInfo | undefined> {
    let objectPath = file.fsPath;
    let sourcePath: string | undefined;
    if (objectPath.endsWith('.bpf.c')) {
      sourcePath = objectPath;
      const summary = await this.builds.run([file]);
      if (!summary || summary.failed || summary.objects.length === 0) return undefined; // build reported why
      objectPath = summary.objects[0];
    } else {
      const sibling = objectPath.replace(/\.o$/, '.c');
      if (fs.existsSync(sibling)) sourcePath = sibling;
      // An object in the output folder (.output/x.bpf.o): its source is x.bpf.c somewhere in the workspace.
      else sourcePath = (await vscode.workspace.findFiles(`**/${path.basename(sibling)}`, '**/node_modules/**', 2))[0]?.fsPath;
    }

    const name = path.basename(objectPath);
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `eBPF: loading ${name} on ${target.label}` },
      async () => {
        const client = await target.ready();
        // Loading the same object again replaces the previous copy: unload it first.
        for (const old of target.model.loadedObjects.filter((o) => o.objectPath === objectPath)) {
          await client.unloadObject(old.handle).catch(() => undefined);
          target.model.removeObject(old.handle);
        }
        try {
          // Every load measures the verifier's budget (log level 4) and keeps it beside the object.
          const measured = await loadMeasured(client, await client.objectSource(objectPath));
          try {
            recordStats(objectPath, measured.budgets, new Date(), sourcePath);
          } catch (e) {
            this.log.warn(`The verification stats of ${name} could not be kept beside it: ${(e as Error).message}`);
          }
          if (measured.error) throw measured.error;
          const result = measured.result!;
          if (result.libbpfLog.trim()) this.log.debug(`libbpf (${name}):\n${result.libbpfLog.trimEnd()}`);
          const info = target.model.addObject(result, objectPath, sourcePath);
          this.log.info(
            `Loaded ${objectPath} on ${target.label} (handle ${result.handle}): ` +
              `programs ${result.programs.map((p) => `${p.name}#${p.id}`).join(', ') || 'none'}; maps ${result.maps.map((m) => `${m.name}#${m.id}`).join(', ') || 'none'}`,
          );
          await this.verifier.clear(objectPath).catch(() => undefined);
          void vscode.window.setStatusBarMessage(
            `eBPF: loaded ${name}: ${result.programs.length} program(s), ${result.maps.length} map(s)`,
            5000,
          );
          return info;
        } catch (e) {
          await this.reportFailure(e, objectPath, sourcePath);
          return undefined;
        }
      },
    );
  }

  private async reportFailure(e: unknown, objectPath: string, sourcePath?: string): Promise<void> {
    const name = path.basename(objectPath);
    if (!(e instanceof HelperClientError)) {
      this.log.error(`Loading ${objectPath} failed: ${(e as Error).message}`);
      void vscode.window.showErrorMessage(`eBPF: loading ${name} failed: ${(e as Error).message}`);
      return;
    }
    const details = e.data.details as LoadFailureDetails | undefined;
    this.log.error(`Loading ${objectPath} failed: ${e.message}`);
    if (details?.libbpfLog) this.log.info(`libbpf:\n${details.libbpfLog.trimEnd()}`);
    if (details?.verifierLog) {
      const log = details.libbpfLog ? `${details.verifierLog}\n${details.libbpfLog}` : details.verifierLog;
      const result = await this.verifier.report({ objectPath, sources: sourcePath ? [sourcePath] : [], log }).catch((err: Error) => {
        this.log.warn(`The verifier log could not be decoded into diagnostics: ${err.message}`);
        return undefined;
      });
      const what = details.program ? `program ${details.program}` : name;
      const why = result?.titles[0] ? `: ${result.titles[0]}` : '';
      void vscode.window
        .showErrorMessage(
          `eBPF: the verifier rejected ${what}${why}${details.logTruncated ? ' (log truncated)' : ''}.`,
          'Show Problems',
          'Show Output',
        )
        .then((c) => {
          if (c === 'Show Problems') void vscode.commands.executeCommand(BuiltinCommand.showProblems);
          if (c === 'Show Output') this.log.show();
        });
      return;
    }
    void vscode.window.showErrorMessage(`eBPF: loading ${name} failed: ${e.message}`, 'Show Output').then((c) => c && this.log.show());
  }

  async unload(arg?: ModelNode | number): Promise<boolean> {
    const picked = await this.pickLoaded(arg);
    if (!picked) return false;
    const { target, object } = picked;
    try {
      const client = await target.ready();
      await client.unloadObject(object.handle);
      this.log.info(`Unloaded ${object.objectPath} from ${target.label} (handle ${object.handle}).`);
    } catch (e) {
      // Already gone with its helper: nothing left to unload.
      this.log.warn(`Unloading ${object.objectPath}: ${(e as Error).message}`);
    }
    target.model.removeObject(object.handle);
    return true;
  }

  private async pickLoaded(arg?: ModelNode | number): Promise<{ target: Target; object: LoadedObjectInfo } | undefined> {
    const all = this.targets.all().flatMap((target) => target.model.loadedObjects.map((object) => ({ target, object })));
    if (typeof arg === 'number') return all.find((x) => x.object.handle === arg);
    if (arg && arg.kind === 'object') {
      let root: ModelNode = arg;
      while (root.parent) root = root.parent;
      return all.find((x) => x.object.handle === arg.ref && x.target.id === root.ref);
    }
    if (all.length === 0) {
      void vscode.window.showInformationMessage('eBPF: nothing is loaded by this extension.');
      return undefined;
    }
    if (all.length === 1) return all[0];
    const pick = await vscode.window.showQuickPick(
      all.map((x) => ({ label: path.basename(x.object.objectPath), description: x.target.label, detail: x.object.objectPath, x })),
      { placeHolder: 'Object to unload' },
    );
    return pick?.x;
  }

  private async pickFile(): Promise<vscode.Uri | undefined> {
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active && /\.bpf\.[co]$/.test(active.fsPath)) return active;
    const found = await vscode.workspace.findFiles('**/*.bpf.{c,o}', '**/node_modules/**');
    if (found.length === 0) {
      void vscode.window.showInformationMessage('eBPF: no *.bpf.c or *.bpf.o in this workspace.');
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      found
        .sort((a, b) => a.fsPath.localeCompare(b.fsPath))
        .map((uri) => ({ label: path.basename(uri.fsPath), description: vscode.workspace.asRelativePath(uri), uri })),
      { placeHolder: 'BPF object or source to load', matchOnDescription: true },
    );
    return pick?.uri;
  }

  private async pickTarget(): Promise<Target | undefined> {
    const all = this.targets.all();
    if (all.length <= 1) return all[0];
    const pick = await vscode.window.showQuickPick(
      all.map((t) => ({ label: t.label, description: t.state.kind, t })),
      { placeHolder: 'Load on which target?' },
    );
    return pick?.t;
  }
}
