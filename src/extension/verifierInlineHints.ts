// Inline hints: the decoded verifier error shown after the offending line, with the full
// explanation and register state on hover. The language server decides what to show
// (ebpf/verifierHints); this file only draws it. Setting: ebpfWorkbench.verifier.inlineHints.
import * as vscode from 'vscode';
import type { VerifierHint, VerifierHintsParams } from '../protocol/languageServer';

const SETTING = 'ebpfWorkbench.verifier.inlineHints';

export interface HintSource {
  readonly onDidChangeHints: vscode.Event<VerifierHintsParams>;
}

export function activate(context: vscode.ExtensionContext, source: HintSource): InlineHints {
  const hints = new InlineHints();
  context.subscriptions.push(
    hints,
    source.onDidChangeHints((p) => hints.set(p.uri, p.hints)),
    vscode.window.onDidChangeVisibleTextEditors(() => hints.redraw()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SETTING)) hints.redraw();
    }),
  );
  return hints;
}

export class InlineHints implements vscode.Disposable {
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    after: {
      margin: '0 0 0 2em',
      color: new vscode.ThemeColor('editorError.foreground'),
      fontStyle: 'italic',
    },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly byUri = new Map<string, VerifierHint[]>();

  set(uri: string, hints: VerifierHint[]): void {
    if (hints.length) this.byUri.set(uri, hints);
    else this.byUri.delete(uri);
    this.redraw();
  }

  /** The hints currently known for a document (what is drawn when the setting is on). */
  get(uri: vscode.Uri): readonly VerifierHint[] {
    return this.byUri.get(uri.toString()) ?? [];
  }

  redraw(): void {
    const enabled = vscode.workspace.getConfiguration().get<boolean>(SETTING, true);
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
