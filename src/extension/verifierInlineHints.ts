// Inline hints: the decoded verifier error shown after the offending line, with the full
// explanation and register state on hover. The language server decides what to show
// (ebpf/verifierHints); this file only draws it. Setting: ebpfWorkbench.verifier.inlineHints.
import * as vscode from 'vscode';
import type { VerifierHint } from '../protocol/languageServer';
import type { Config } from './config';
import type { Ctx } from './ctx';

export function activate(ctx: Ctx): void {
  const hints = new InlineHints(ctx.config);
  ctx.subscriptions.push(
    hints,
    ctx.verifier.onDidChangeHints((p) => hints.set(p.uri, p.hints)),
    vscode.window.onDidChangeVisibleTextEditors(() => hints.redraw()),
    ctx.config.onDidChange(['verifier.inlineHints'], () => hints.redraw()),
  );
}

class InlineHints implements vscode.Disposable {
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    after: {
      margin: '0 0 0 2em',
      color: new vscode.ThemeColor('editorError.foreground'),
      fontStyle: 'italic',
    },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly byUri = new Map<string, VerifierHint[]>();

  constructor(private readonly config: Config) {}

  set(uri: string, hints: VerifierHint[]): void {
    if (hints.length) this.byUri.set(uri, hints);
    else this.byUri.delete(uri);
    this.redraw();
  }

  redraw(): void {
    const enabled = this.config.inlineHints;
    for (const editor of vscode.window.visibleTextEditors) {
      const hints = enabled ? (this.byUri.get(editor.document.uri.toString()) ?? []) : [];
      editor.setDecorations(
        this.decoration,
        hints.filter((h) => h.line < editor.document.lineCount).map((h) => toDecoration(editor.document, h)),
      );
    }
  }

  dispose(): void {
    this.decoration.dispose();
  }
}

function toDecoration(document: vscode.TextDocument, hint: VerifierHint): vscode.DecorationOptions {
  // An empty range at the end of the line: the hover belongs to the hint, not to the code.
  const end = document.lineAt(hint.line).range.end;
  const hover = new vscode.MarkdownString(hint.hover);
  return {
    range: new vscode.Range(end, end),
    hoverMessage: hover,
    renderOptions: { after: { contentText: `\u2190 ${hint.title}` } },
  };
}
