// "eBPF: Build", "eBPF: Build Active File", the `ebpf` task type, and the clang diagnostics they
// publish to Problems (with notes as related information and clang's fix-its as quick fixes).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BuildDiagnostic, BuildResult, buildAll } from '../core/toolchain/builder';
import { writeClangdConfig } from '../core/toolchain/clangd';
import { ToolchainError } from '../core/toolchain/toolchain';
import { BuiltinCommand, Command } from './commands';
import { SECTION, type Config } from './config';
import type { Ctx } from './ctx';

export interface BuildSummary {
  built: number;
  upToDate: number;
  failed: number;
  objects: string[];
  errors: number;
  warnings: number;
}

const TASK_TYPE = 'ebpf';

export function activate(ctx: Ctx): void {
  const { builds } = ctx;
  ctx.registerCommand(Command.build, () => builds.run());
  ctx.registerCommand(Command.buildActiveFile, () => {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || !doc.fileName.endsWith('.bpf.c')) {
      void vscode.window.showWarningMessage('eBPF: the active editor is not a *.bpf.c file.');
      return undefined;
    }
    return builds.run([doc.uri]);
  });
  ctx.subscriptions.push(
    vscode.languages.registerCodeActionsProvider({ language: 'c' }, new FixItActions(builds), {
      providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
    }),
    vscode.tasks.registerTaskProvider(TASK_TYPE, {
      provideTasks: () => (vscode.workspace.workspaceFolders ?? []).map((f) => builds.task(f)),
      resolveTask: (task) => {
        const folder = task.scope && typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
        return folder ? builds.task(folder, task.definition.file as string | undefined, task.definition) : undefined;
      },
    }),
  );
  if (vscode.workspace.isTrusted) void builds.writeClangdConfigs();
  ctx.subscriptions.push(
    ctx.config.onDidChange(['build.includeDirs', 'clang.extraFlags'], () => {
      if (vscode.workspace.isTrusted) void builds.writeClangdConfigs();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void builds.writeClangdConfigs()),
  );
}

export class Builds implements vscode.Disposable {
  readonly diagnostics = vscode.languages.createDiagnosticCollection('clang');
  /** The clang fix-its behind each published diagnostic, for the quick-fix provider. */
  readonly fixIts = new WeakMap<vscode.Diagnostic, BuildDiagnostic['fixIts']>();

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly config: Config,
  ) {}

  dispose(): void {
    this.diagnostics.dispose();
  }

  /** Builds the given files, or every matching *.bpf.c in the workspace, with a progress notification. */
  async run(files?: vscode.Uri[], write: (text: string) => void = () => undefined): Promise<BuildSummary | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage(
        'eBPF: building runs clang on this workspace\'s files. Trust the workspace first ("Workspaces: Manage Workspace Trust").',
      );
      return undefined;
    }
    const jobs = await this.collect(files);
    const wholeFolder = new Set([...jobs.keys()].filter((f) => !files || files.some((u) => u.toString() === f.uri.toString())));
    if (jobs.size === 0) {
      void vscode.window.showInformationMessage('eBPF: no *.bpf.c files to build in this workspace.');
      return undefined;
    }
    const total = [...jobs.values()].reduce((n, s) => n + s.length, 0);
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `eBPF: building ${total} file${total === 1 ? '' : 's'}`, cancellable: true },
      async (_progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        const summary: BuildSummary = { built: 0, upToDate: 0, failed: 0, objects: [], errors: 0, warnings: 0 };
        for (const [folder, sources] of jobs) {
          const settings = this.config.build(folder);
          let results: BuildResult[];
          try {
            results = await buildAll(sources, {
              clangPath: settings.clangPath,
              extraFlags: settings.extraFlags,
              includeDirs: settings.includeDirs,
              outputDir: settings.outputDir,
              signal: abort.signal,
              onOutput: (source, command, output) => {
                this.log.info(`${settings.clangPath} ${command.join(' ')}`);
                if (output.trim()) this.log.info(output.trimEnd());
                write(`$ ${settings.clangPath} ${command.join(' ')}\r\n${output.replace(/\r?\n/g, '\r\n')}`);
              },
            });
          } catch (e) {
            this.reportToolchainError(e);
            write(`${(e as Error).message}\r\n`);
            summary.failed += sources.length;
            continue;
          }
          this.publish(results, wholeFolder.has(folder) ? folder : undefined);
          for (const r of results) {
            if (r.status === 'failed') summary.failed++;
            else {
              summary.objects.push(r.object);
              if (r.status === 'built') summary.built++;
              else summary.upToDate++;
            }
            summary.errors += r.diagnostics.filter((d) => d.severity === 'error').length;
            summary.warnings += r.diagnostics.filter((d) => d.severity === 'warning').length;
          }
        }
        const line = `Build finished: ${summary.built} built, ${summary.upToDate} up to date, ${summary.failed} failed (${summary.errors} errors, ${summary.warnings} warnings).`;
        this.log.info(line);
        write(`${line}\r\n`);
        if (summary.failed) {
          void vscode.window
            .showErrorMessage(`eBPF: ${summary.failed} of ${total} files failed to build. See Problems.`, 'Show Problems')
            .then((c) => c && vscode.commands.executeCommand(BuiltinCommand.showProblems));
        }
        await this.offerVmlinuxWhenMissing();
        return summary;
      },
    );
  }

  task(folder: vscode.WorkspaceFolder, file?: string, definition: vscode.TaskDefinition = { type: TASK_TYPE, file }): vscode.Task {
    const task = new vscode.Task(
      definition,
      folder,
      file ? `build ${file}` : 'build',
      'ebpf',
      new vscode.CustomExecution(
        async () => new BuildTerminal((write) => this.run([file ? vscode.Uri.joinPath(folder.uri, file) : folder.uri], write)),
      ),
      [],
    );
    task.group = vscode.TaskGroup.Build;
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Silent, clear: true };
    return task;
  }

  async writeClangdConfigs(): Promise<void> {
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const settings = this.config.build(folder);
      const has = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, settings.include), '**/node_modules/**', 1);
      if (has.length === 0) continue;
      const outcome = await writeClangdConfig(folder.uri.fsPath, settings.includeDirs, settings.extraFlags).catch((e: Error) => {
        this.log.warn(`Could not write .clangd in ${folder.uri.fsPath}: ${e.message}`);
        return undefined;
      });
      if (outcome === 'written')
        this.log.info(`Wrote ${path.join(folder.uri.fsPath, '.clangd')} so clangd compiles *.bpf.c for the BPF target.`);
      if (outcome === 'user-owned')
        this.log.info(`${folder.uri.fsPath}/.clangd is yours: not changed. Add "-target bpf" for *.bpf.c there.`);
    }
  }

  /** Groups sources by workspace folder; a workspace folder's own URI stands for all its sources. */
  private async collect(files?: vscode.Uri[]): Promise<Map<vscode.WorkspaceFolder, string[]>> {
    const jobs = new Map<vscode.WorkspaceFolder, string[]>();
    const add = (folder: vscode.WorkspaceFolder, file: string) => jobs.set(folder, [...(jobs.get(folder) ?? []), file]);
    const folders = files
      ? files.flatMap((f) => {
          const folder = vscode.workspace.getWorkspaceFolder(f);
          return folder && folder.uri.toString() === f.toString() ? [folder] : [];
        })
      : [...(vscode.workspace.workspaceFolders ?? [])];
    for (const folder of folders) {
      const found = await vscode.workspace.findFiles(
        new vscode.RelativePattern(folder, this.config.build(folder).include),
        '**/node_modules/**',
      );
      found.sort((a, b) => a.fsPath.localeCompare(b.fsPath)).forEach((f) => add(folder, f.fsPath));
    }
    for (const file of files ?? []) {
      const folder = vscode.workspace.getWorkspaceFolder(file);
      if (folder && folder.uri.toString() !== file.toString()) add(folder, file.fsPath);
    }
    return jobs;
  }

  /** After a whole-folder build, diagnostics of files that were not built (deleted) go too. */
  private publish(results: BuildResult[], wholeFolder?: vscode.WorkspaceFolder): void {
    const byFile = new Map<string, vscode.Diagnostic[]>();
    if (wholeFolder) {
      const prefix = wholeFolder.uri.fsPath + path.sep;
      this.diagnostics.forEach((uri) => {
        if (uri.fsPath.startsWith(prefix)) byFile.set(uri.fsPath, []);
      });
    }
    for (const r of results) byFile.set(r.source, []);
    for (const r of results) {
      for (const d of r.diagnostics) {
        const diagnostic = toVscodeDiagnostic(d);
        this.fixIts.set(diagnostic, d.fixIts);
        byFile.set(d.file, [...(byFile.get(d.file) ?? []), diagnostic]);
      }
    }
    for (const [file, list] of byFile) this.diagnostics.set(vscode.Uri.file(file), list);
  }

  private reportToolchainError(e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.log.error(message);
    const actions = e instanceof ToolchainError ? ['Open Settings'] : [];
    void vscode.window.showErrorMessage(`eBPF: ${message}`, ...actions).then((c) => {
      if (c) void vscode.commands.executeCommand(BuiltinCommand.openSettings, `${SECTION}.clang`);
    });
  }

  private async offerVmlinuxWhenMissing(): Promise<void> {
    let missing = false;
    this.diagnostics.forEach((_uri, list) => {
      missing ||= list.some((d) => d.message.includes("'vmlinux.h' file not found"));
    });
    if (!missing) return;
    const choice = await vscode.window.showWarningMessage(
      "eBPF: vmlinux.h is missing. Generate it from the kernel's BTF and rebuild?",
      'Generate vmlinux.h',
    );
    if (choice) {
      await vscode.commands.executeCommand(Command.generateVmlinux);
      await this.run();
    }
  }
}

function toVscodeDiagnostic(d: BuildDiagnostic): vscode.Diagnostic {
  const start = new vscode.Position(Math.max(0, d.line - 1), Math.max(0, d.column - 1));
  const severity =
    d.severity === 'error'
      ? vscode.DiagnosticSeverity.Error
      : d.severity === 'warning'
        ? vscode.DiagnosticSeverity.Warning
        : vscode.DiagnosticSeverity.Information;
  const diagnostic = new vscode.Diagnostic(new vscode.Range(start, start), d.hint ? `${d.message}\n${d.hint}` : d.message, severity);
  diagnostic.source = 'clang';
  if (d.option) diagnostic.code = d.option;
  diagnostic.relatedInformation = d.related.map(
    (r) =>
      new vscode.DiagnosticRelatedInformation(
        new vscode.Location(vscode.Uri.file(r.file), new vscode.Position(Math.max(0, r.line - 1), Math.max(0, r.column - 1))),
        r.message,
      ),
  );
  return diagnostic;
}

/** clang's fix-its ("insert ';'") offered as quick fixes on the diagnostics that carry them. */
class FixItActions implements vscode.CodeActionProvider {
  constructor(private readonly builds: Builds) {}

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    return context.diagnostics
      .flatMap((diagnostic) => {
        const fixIts = this.builds.fixIts.get(diagnostic);
        if (!fixIts?.length) return [];
        const edit = new vscode.WorkspaceEdit();
        for (const f of fixIts) {
          const range = new vscode.Range(f.start.line - 1, f.start.column - 1, f.end.line - 1, f.end.column - 1);
          edit.replace(vscode.Uri.file(f.file), range, f.text);
        }
        const first = fixIts[0];
        const title = first.text ? `Insert '${first.text}' (clang fix-it)` : 'Apply clang fix-it';
        const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
        action.edit = edit;
        action.diagnostics = [diagnostic];
        action.isPreferred = true;
        return [action];
      })
      .filter(() => document.uri.scheme === 'file');
  }
}

/** A pseudo-terminal for the `ebpf` task: runs the build and shows clang's output. */
class BuildTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;

  constructor(private readonly build: (write: (text: string) => void) => Promise<BuildSummary | undefined>) {}

  open(): void {
    this.build((t) => this.writeEmitter.fire(t)).then(
      (summary) => this.closeEmitter.fire(summary && summary.failed === 0 ? 0 : 1),
      (e: Error) => {
        this.writeEmitter.fire(`${e.message}\r\n`);
        this.closeEmitter.fire(1);
      },
    );
  }

  close(): void {}
}
