// "eBPF: Show Instructions": a program's BPF instructions interleaved with the C lines they came
// from, in a read-only document of its own language (syntaxes/bpf-instructions.tmLanguage.json).
// A loaded program comes from the kernel (xlated with line info, as bpftool prints it); a rejected
// one from its verifier log, with the instruction the verifier stopped at highlighted. Folding per
// source line; links both ways: `@ file:line` opens the C line, the cursor on an instruction
// highlights its C line, and the cursor on a C line highlights its instructions.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatListing, listFromLog, listXlated, type Listing } from '../core/insight/listing';
import { Stepper } from '../core/insight/stepper';
import type { ModelNode } from '../core/maps/model';
import { Command } from './commands';
import type { Ctx } from './ctx';
import { findSourceFile, openLog } from './insightInputs';

export const INSTRUCTIONS_SCHEME = 'ebpf-insns';
export const INSTRUCTIONS_LANGUAGE = 'bpf-instructions';

/** What the command accepts: a program in the tree, a program id, or a program of an object (CodeLens). */
export type InstructionsTarget = ModelNode | number | { objectPath: string; program?: string };

interface Shown {
  listing: Listing;
  text: string;
  /** The instruction the verifier stopped at (rejected programs). */
  errorInsn?: number;
  /** Document line of each listed instruction, and the C location of each document line. */
  lineOfInsn: Map<number, number>;
  sourceOfLine: ({ file: string; line: number } | undefined)[];
  /** The object the program came from (resolves basenames in the log). */
  near?: string;
}

export class InstructionsDocuments implements vscode.TextDocumentContentProvider, vscode.FoldingRangeProvider, vscode.DocumentLinkProvider {
  private readonly shown = new Map<string, Shown>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly cHighlight = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
    isWholeLine: true,
  });
  private readonly insnHighlight = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
    isWholeLine: true,
  });
  private readonly errorHighlight = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('inputValidation.errorBackground'),
    border: '1px solid',
    borderColor: new vscode.ThemeColor('inputValidation.errorBorder'),
    isWholeLine: true,
    after: { contentText: '  ◀ the verifier stopped here', color: new vscode.ThemeColor('errorForeground') },
  });
  /** The last two-way highlight, for the VS Code tests. */
  lastHighlight?: { uri: string; lines: number[] };

  constructor() {
    vscode.window.onDidChangeTextEditorSelection((e) => this.follow(e.textEditor));
    vscode.window.onDidChangeVisibleTextEditors(() => this.decorateErrors());
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.shown.get(uri.toString())?.text ?? '(this listing is gone: run eBPF: Show Instructions again)\n';
  }

  show(listing: Listing, errorInsn?: number, near?: string): vscode.Uri {
    // The document shows file names; links and highlights use the paths the line info recorded.
    const text = formatListing(listing, { basenames: true });
    const fullPath = new Map<string, string>();
    for (const i of listing.insns) if (i.file && !fullPath.has(path.basename(i.file))) fullPath.set(path.basename(i.file), i.file);
    const lines = text.split('\n');
    const lineOfInsn = new Map<number, number>();
    const sourceOfLine: Shown['sourceOfLine'] = [];
    let current: { file: string; line: number } | undefined;
    lines.forEach((l, k) => {
      const a = /^; .* @ (.+?):(\d+)(?: {2}\[jit [^\]]*\])?$/.exec(l);
      if (a) current = Number(a[2]) > 0 ? { file: fullPath.get(a[1]) ?? a[1], line: Number(a[2]) } : undefined;
      else if (/^\w[\w.]*:$/.test(l) || l === '') current = undefined;
      const m = /^\s*(\d+): \(/.exec(l);
      if (m) lineOfInsn.set(Number(m[1]), k);
      sourceOfLine.push(current);
    });
    const uri = vscode.Uri.from({ scheme: INSTRUCTIONS_SCHEME, path: `/${listing.program}.bpf-insns`, query: `origin=${listing.origin}` });
    this.shown.set(uri.toString(), { listing, text, errorInsn, lineOfInsn, sourceOfLine, near });
    this.changed.fire(uri);
    return uri;
  }

  provideFoldingRanges(document: vscode.TextDocument): vscode.FoldingRange[] {
    const out: vscode.FoldingRange[] = [];
    let start = -1;
    for (let k = 0; k < document.lineCount; k++) {
      const l = document.lineAt(k).text;
      const boundary = l.startsWith('; ') || /^\w[\w.]*:$/.test(l) || l === '';
      if (boundary && start >= 0 && k - 1 > start) out.push(new vscode.FoldingRange(start, k - 1));
      if (boundary) start = l.startsWith('; ') ? k : -1;
    }
    if (start >= 0 && document.lineCount - 1 > start) out.push(new vscode.FoldingRange(start, document.lineCount - 1));
    return out;
  }

  async provideDocumentLinks(document: vscode.TextDocument): Promise<vscode.DocumentLink[]> {
    const shown = this.shown.get(document.uri.toString());
    const out: vscode.DocumentLink[] = [];
    const cache = new Map<string, vscode.Uri | undefined>();
    for (let k = 0; k < document.lineCount; k++) {
      const l = document.lineAt(k).text;
      const m = /^(; .* @ )(.+?):(\d+)/.exec(l);
      if (!m || Number(m[3]) === 0) continue;
      const recorded = shown?.sourceOfLine[k]?.file ?? m[2];
      if (!cache.has(recorded)) cache.set(recorded, await findSourceFile(recorded, shown?.near));
      const file = cache.get(recorded);
      if (!file) continue;
      const start = m[1].length;
      const link = new vscode.DocumentLink(
        new vscode.Range(k, start, k, start + m[2].length + 1 + m[3].length),
        file.with({ fragment: `L${m[3]}` }),
      );
      link.tooltip = `Open ${path.basename(m[2])} at line ${m[3]}`;
      out.push(link);
    }
    return out;
  }

  /** Two-way highlight: an instruction's C line, or a C line's instructions, in the visible editors. */
  private async follow(editor: vscode.TextEditor): Promise<void> {
    const doc = editor.document;
    const line = editor.selection.active.line;
    if (doc.uri.scheme === INSTRUCTIONS_SCHEME) {
      const shown = this.shown.get(doc.uri.toString());
      const src = shown?.sourceOfLine[line];
      for (const e of vscode.window.visibleTextEditors) {
        if (e.document.uri.scheme !== 'file') continue;
        const hit = src && path.basename(e.document.fileName) === path.basename(src.file);
        e.setDecorations(this.cHighlight, hit ? [new vscode.Range(src.line - 1, 0, src.line - 1, 0)] : []);
        if (hit) {
          e.revealRange(new vscode.Range(src.line - 1, 0, src.line - 1, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
          this.lastHighlight = { uri: e.document.uri.toString(), lines: [src.line - 1] };
        }
      }
      return;
    }
    if (doc.uri.scheme !== 'file' || !/\.c$|\.h$/.test(doc.fileName)) return;
    const base = path.basename(doc.fileName);
    for (const e of vscode.window.visibleTextEditors) {
      const shown = e.document.uri.scheme === INSTRUCTIONS_SCHEME ? this.shown.get(e.document.uri.toString()) : undefined;
      if (!shown) continue;
      const lines = shown.sourceOfLine.flatMap((s, k) =>
        s && s.line === line + 1 && path.basename(s.file) === base && /^\s*\d+: \(/.test(e.document.lineAt(k).text) ? [k] : [],
      );
      e.setDecorations(
        this.insnHighlight,
        lines.map((k) => new vscode.Range(k, 0, k, 0)),
      );
      if (lines.length) {
        e.revealRange(new vscode.Range(lines[0], 0, lines[lines.length - 1], 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
        this.lastHighlight = { uri: e.document.uri.toString(), lines };
      }
    }
  }

  private decorateErrors(): void {
    for (const e of vscode.window.visibleTextEditors) {
      const shown = e.document.uri.scheme === INSTRUCTIONS_SCHEME ? this.shown.get(e.document.uri.toString()) : undefined;
      if (!shown) continue;
      const k = shown.errorInsn === undefined ? undefined : shown.lineOfInsn.get(shown.errorInsn);
      e.setDecorations(this.errorHighlight, k === undefined ? [] : [new vscode.Range(k, 0, k, 0)]);
    }
  }

  dispose(): void {
    this.changed.dispose();
    this.cHighlight.dispose();
    this.insnHighlight.dispose();
    this.errorHighlight.dispose();
  }
}

export function activate(ctx: Ctx): InstructionsDocuments {
  const docs = new InstructionsDocuments();
  const selector = { scheme: INSTRUCTIONS_SCHEME };
  ctx.subscriptions.push(
    docs,
    vscode.workspace.registerTextDocumentContentProvider(INSTRUCTIONS_SCHEME, docs),
    vscode.languages.registerFoldingRangeProvider(selector, docs),
    vscode.languages.registerDocumentLinkProvider(selector, docs),
  );
  ctx.registerCommand(Command.showInstructions, (arg?: InstructionsTarget) => showInstructions(ctx, docs, arg));
  return docs;
}

async function showInstructions(ctx: Ctx, docs: InstructionsDocuments, arg?: InstructionsTarget): Promise<vscode.Uri | undefined> {
  const picked = arg ?? (await pick(ctx));
  if (picked === undefined) return undefined;
  let uri: vscode.Uri | undefined;
  if (typeof picked === 'number' || 'key' in picked) {
    const target = typeof picked === 'number' ? ctx.targets.default : (ctx.tree.targetOf(picked) ?? ctx.targets.default);
    const id = typeof picked === 'number' ? picked : Number(picked.ref);
    const client = await target.ready();
    const near = target.model.loadedObjects.find((o) => o.programs.some((p) => p.id === id))?.objectPath;
    uri = docs.show(listXlated(await client.programInsns(id)), undefined, near);
  } else {
    // A program of an object: loaded → from the kernel; rejected → from its stored log.
    for (const target of ctx.targets.all()) {
      const object = target.model.loadedObjects.find((o) => o.objectPath === picked.objectPath);
      const prog = object?.programs.find((p) => !picked.program || p.name === picked.program);
      if (object && prog) {
        const client = await target.ready();
        uri = docs.show({ ...listXlated(await client.programInsns(prog.id)), program: prog.name }, undefined, object.objectPath);
        break;
      }
    }
    if (!uri) {
      const log = await openLog(ctx, picked.objectPath);
      if (!log) {
        void vscode.window.showInformationMessage(
          `eBPF: ${path.basename(picked.objectPath)} is not loaded and has no verifier log; load it first.`,
        );
        return undefined;
      }
      try {
        const program =
          log.index.programs.find((p) => (!picked.program || p.name === picked.program) && p.endStep > p.firstStep) ??
          log.index.programs.find((p) => p.endStep > p.firstStep);
        if (!program) return undefined;
        const stepper = new Stepper(log.index, log.source);
        const listing = await listFromLog(log.index, program, async (s) => (await stepper.readStepLines(s, s + 1))[0], picked.program);
        const errorInsn = program.errorStep === undefined ? undefined : log.index.stepInsn[program.errorStep];
        uri = docs.show(listing, errorInsn, picked.objectPath);
      } finally {
        log.dispose();
      }
    }
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.languages.setTextDocumentLanguage(doc, INSTRUCTIONS_LANGUAGE);
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false });
  return uri;
}

async function pick(ctx: Ctx): Promise<InstructionsTarget | undefined> {
  const items = ctx.targets.all().flatMap((t) =>
    t.model.loadedObjects.flatMap((o) =>
      o.programs.map((p) => ({
        label: p.name,
        description: `${path.basename(o.objectPath)} · id ${p.id} · ${t.label}`,
        arg: { objectPath: o.objectPath, program: p.name },
      })),
    ),
  );
  const rejected = ctx.verifier
    .all()
    .filter((l) => !l.cleared && !l.objectPath.startsWith('explained:'))
    .map((l) => ({
      label: path.basename(l.objectPath),
      description: 'rejected: from its verifier log',
      arg: { objectPath: l.objectPath },
    }));
  const all = [...items, ...rejected];
  if (all.length === 0) {
    void vscode.window.showInformationMessage(
      'eBPF: no loaded program and no verifier log: load an object first (or pick a program in Programs & Maps).',
    );
    return undefined;
  }
  return (await vscode.window.showQuickPick(all, { placeHolder: 'Program whose instructions to show' }))?.arg;
}
