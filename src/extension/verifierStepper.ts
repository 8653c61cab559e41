// "eBPF: Step Through Verification": the Verifier Steps view walks the verifier's path instruction
// by instruction over an indexed log (any size: the log is indexed once, states load on demand):
// the instruction, its C line highlighted in the editor, the explored branch (level 2) and how it
// ended, and the registers before → after with the changed ones marked. Back, forward, jump to the
// error, and from a register to the instruction that gave it its value (backward slice).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Stepper, type StepView } from '../core/insight/stepper';
import { DIAGNOSTIC_SOURCE } from '../protocol/languageServer';
import { BuiltinCommand, Command, ContextKey } from './commands';
import type { Ctx } from './ctx';
import { findSourceFile, openLog, type IndexedLog } from './insightInputs';

export const STEPPER_VIEW = 'ebpfWorkbench.stepper';

type Item =
  | { kind: 'info'; label: string; description?: string; tooltip?: string; icon: string; command?: vscode.Command }
  | { kind: 'registers' }
  | { kind: 'register'; name: string };

export class VerifierStepper implements vscode.TreeDataProvider<Item>, vscode.Disposable {
  private log?: IndexedLog;
  private stepper?: Stepper;
  private view?: StepView;
  private readonly changed = new vscode.EventEmitter<Item | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly line = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('editor.stackFrameHighlightBackground'),
    isWholeLine: true,
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.rangeHighlightForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Full,
  });
  /** The source line highlighted last (for the VS Code tests). */
  highlighted?: { uri: string; line: number };
  treeView?: vscode.TreeView<Item>;

  constructor(private readonly ctx: Ctx) {}

  get current(): StepView | undefined {
    return this.view;
  }

  async open(arg?: Parameters<typeof openLog>[1]): Promise<StepView | undefined> {
    const log = await openLog(this.ctx, arg);
    if (!log) return undefined;
    if (log.index.stepOffset.length === 0) {
      log.dispose();
      void vscode.window.showInformationMessage('eBPF: that log has no instruction lines to step through (load with log level 1 or 2).');
      return undefined;
    }
    this.log?.dispose();
    this.log = log;
    this.stepper = new Stepper(log.index, log.source);
    await vscode.commands.executeCommand(BuiltinCommand.setContext, ContextKey.stepperActive, true);
    const view = await this.goTo(this.stepper.initialStep() ?? 0);
    // Focus fails while the view is still being revealed by its `when` clause; the view shows anyway.
    await vscode.commands
      .executeCommand(`${STEPPER_VIEW}.focus`)
      .then(undefined, (e: Error) => this.ctx.log.debug(`focus ${STEPPER_VIEW}: ${e.message}`));
    return view;
  }

  async goTo(step: number): Promise<StepView | undefined> {
    if (!this.stepper) return undefined;
    const s = Math.max(0, Math.min(this.stepper.steps - 1, step));
    this.view = await this.stepper.view(s);
    this.changed.fire(undefined);
    if (this.treeView)
      this.treeView.message = `${this.log?.name}: step ${(s + 1).toLocaleString('en-US')} of ${this.stepper.steps.toLocaleString('en-US')}`;
    await this.highlightSource();
    return this.view;
  }

  next = () => this.goTo((this.view?.step ?? -1) + 1);
  previous = () => this.goTo((this.view?.step ?? 1) - 1);
  jumpToError = async () => {
    const err = this.log?.index.programs.find((p) => p.errorStep !== undefined)?.errorStep;
    if (err === undefined) {
      void vscode.window.showInformationMessage('eBPF: this log has no verifier error (every program was accepted).');
      return this.view;
    }
    return this.goTo(err);
  };

  /** Lets the log go, removes the source highlight and hides the view until the next log. */
  close = async (): Promise<void> => {
    this.log?.dispose();
    this.log = this.stepper = this.view = this.highlighted = undefined;
    for (const e of vscode.window.visibleTextEditors) e.setDecorations(this.line, []);
    if (this.treeView) this.treeView.message = undefined;
    this.changed.fire(undefined);
    await vscode.commands.executeCommand(BuiltinCommand.setContext, ContextKey.stepperActive, false);
  };

  /** From a register (or stack slot) to the step that wrote it. */
  async definition(item?: Item | string): Promise<StepView | undefined> {
    const name = typeof item === 'string' ? item : item?.kind === 'register' ? item.name : undefined;
    if (!this.stepper || !this.view || !name) return undefined;
    const def = await this.stepper.definition(this.view.step, name.replace(/^frame\d+\./, ''));
    if (!def) {
      void vscode.window.showInformationMessage(`eBPF: ${name} got its value before anything the log shows (the program's entry state).`);
      return this.view;
    }
    return this.goTo(def.step);
  }

  private async highlightSource(): Promise<void> {
    const src = this.view?.source;
    if (!src?.file || !src.line) return;
    const uri = await findSourceFile(src.file, this.log?.objectPath);
    if (!uri) return;
    const range = new vscode.Range(src.line - 1, 0, src.line - 1, 0);
    let editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    editor ??= await vscode.window.showTextDocument(uri, { preserveFocus: true, preview: true, viewColumn: vscode.ViewColumn.One });
    for (const e of vscode.window.visibleTextEditors) if (e !== editor) e.setDecorations(this.line, []);
    editor.setDecorations(this.line, [range]);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    this.highlighted = { uri: uri.toString(), line: src.line };
  }

  getTreeItem(item: Item): vscode.TreeItem {
    if (item.kind === 'registers') {
      const t = new vscode.TreeItem('Registers and stack (before → after)', vscode.TreeItemCollapsibleState.Expanded);
      t.iconPath = new vscode.ThemeIcon('symbol-variable');
      return t;
    }
    if (item.kind === 'register') {
      const v = this.view!;
      const before = v.before[item.name];
      const after = v.after[item.name];
      const changed = v.changed.includes(item.name);
      const t = new vscode.TreeItem(item.name);
      t.description = changed ? `${before ?? '—'} → ${after ?? '(unreadable)'}` : (after ?? before ?? '');
      t.tooltip = new vscode.MarkdownString(
        `**${item.name}**\n\nbefore: \`${before ?? '—'}\`\n\nafter: \`${after ?? '(not readable after this instruction)'}\`\n\nRight-click: where did it get its value?`,
      );
      t.iconPath = new vscode.ThemeIcon(
        changed ? 'diff-modified' : 'circle-small',
        changed ? new vscode.ThemeColor('charts.yellow') : undefined,
      );
      t.contextValue = 'register';
      return t;
    }
    const t = new vscode.TreeItem(item.label);
    t.description = item.description;
    t.tooltip = item.tooltip;
    t.iconPath = new vscode.ThemeIcon(item.icon);
    t.command = item.command;
    return t;
  }

  getChildren(item?: Item): Item[] {
    const v = this.view;
    if (!v) return [];
    if (item?.kind === 'registers') {
      const names = [...new Set([...Object.keys(v.before), ...Object.keys(v.after)])];
      const order = (n: string) => {
        const m = /^(?:frame(\d+)\.)?(R|fp-)(\d+)$/.exec(n);
        return m ? Number(m[1] ?? 0) * 10000 + (m[2] === 'R' ? 0 : 1000) + Number(m[3]) : 99999;
      };
      return names.sort((a, b) => order(a) - order(b)).map((name) => ({ kind: 'register', name }));
    }
    if (item) return [];
    const seg = v.segment;
    const items: Item[] = [
      {
        kind: 'info',
        label: `${v.insn}: ${v.text}`,
        description: `step ${(v.step + 1).toLocaleString('en-US')}`,
        tooltip: `Instruction ${v.insn} as the verifier printed it; step ${v.step + 1} of the log.`,
        icon: 'debug-stackframe',
      },
    ];
    if (v.source)
      items.push({
        kind: 'info',
        label: v.source.text.trim() || '(compiler-generated)',
        description: v.source.file ? `${path.basename(v.source.file)}:${v.source.line}` : undefined,
        tooltip: 'The C line the verifier annotated for this instruction',
        icon: 'file-code',
      });
    const endText =
      seg.end === 'pruned'
        ? `pruned at ${seg.prunedAt}: its state is equivalent to one already verified`
        : seg.end === 'error'
          ? 'the verifier stopped: error'
          : seg.end === 'exit'
            ? 'reached exit'
            : 'cut (the log ends)';
    items.push({
      kind: 'info',
      label: seg.from === undefined ? 'Entry path' : `Branch from ${seg.from} to ${seg.to}${seg.speculative ? ' (speculative)' : ''}`,
      description: `depth ${seg.depth} · ${seg.position + 1}/${seg.count} · ${endText}`,
      tooltip: `${seg.from === undefined ? 'The path from the program entry' : 'A path the verifier pushed at a branch and explores now'}; it ${endText}.`,
      icon: seg.end === 'pruned' ? 'debug-step-over' : 'git-branch',
    });
    if (v.error)
      items.push({
        kind: 'info',
        label: v.error,
        description: 'verifier error',
        tooltip: 'The message the verifier stopped with',
        icon: 'error',
      });
    items.push({ kind: 'registers' });
    return items;
  }

  dispose(): void {
    this.log?.dispose();
    this.changed.dispose();
    this.line.dispose();
  }
}

/** From a verifier diagnostic: step to where it stopped, or see where the budget went. */
class StepperActions implements vscode.CodeActionProvider {
  constructor(private readonly ctx: Ctx) {}

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    if (!context.diagnostics.some((d) => d.source === DIAGNOSTIC_SOURCE)) return [];
    const log = this.ctx.verifier.all().find((l) => !l.cleared && l.sources.includes(document.uri.fsPath));
    if (!log) return [];
    const step = new vscode.CodeAction('Step through the verification to this error', vscode.CodeActionKind.Empty);
    step.command = { command: Command.stepThroughVerification, title: step.title, arguments: [log.objectPath] };
    const heat = new vscode.CodeAction('Show where the verifier spent its instructions (heat map)', vscode.CodeActionKind.Empty);
    heat.command = { command: Command.showHeatMap, title: heat.title, arguments: [log.objectPath] };
    return [step, heat];
  }
}

export function activate(ctx: Ctx): VerifierStepper {
  ctx.subscriptions.push(vscode.languages.registerCodeActionsProvider({ scheme: 'file', pattern: '**/*.bpf.c' }, new StepperActions(ctx)));
  const stepper = new VerifierStepper(ctx);
  stepper.treeView = vscode.window.createTreeView(STEPPER_VIEW, { treeDataProvider: stepper, showCollapseAll: false });
  ctx.subscriptions.push(stepper, stepper.treeView);
  ctx.registerCommand(Command.stepThroughVerification, (arg?: Parameters<typeof openLog>[1]) => stepper.open(arg));
  ctx.registerCommand(Command.stepperNext, stepper.next);
  ctx.registerCommand(Command.stepperPrevious, stepper.previous);
  ctx.registerCommand(Command.stepperJumpToError, stepper.jumpToError);
  ctx.registerCommand(Command.stepperDefinition, (item?: Item | string) => stepper.definition(item));
  ctx.registerCommand(Command.stepperClose, stepper.close);
  return stepper;
}
