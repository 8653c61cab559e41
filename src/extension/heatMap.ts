// "eBPF: Show Verifier Heat Map": per C line, how many instruction visits the verifier spent there
// (from a level-2 log, or whatever instruction lines a log has), as a tinted background, an
// overview-ruler mark and the share at the end of the line, plus a sorted list that reveals the
// line. This is where the too-large / too-complex diagnostics point people.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { heatMap, type HeatMap } from '../core/insight/heat';
import { Command } from './commands';
import type { Ctx } from './ctx';
import { findSourceFile, openLog } from './insightInputs';

const LEVELS = 5;

export class HeatMapDecorations implements vscode.Disposable {
  private readonly levels = Array.from({ length: LEVELS }, (_, i) => {
    const alpha = 0.12 + (0.5 * (i + 1)) / LEVELS;
    return vscode.window.createTextEditorDecorationType({
      backgroundColor: `rgba(255, ${Math.round(140 - 25 * i)}, 0, ${alpha.toFixed(2)})`,
      isWholeLine: true,
      overviewRulerColor: `rgba(255, ${Math.round(140 - 25 * i)}, 0, 0.9)`,
      overviewRulerLane: vscode.OverviewRulerLane.Right,
    });
  });
  private readonly label = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground') },
  });
  /** The heat map shown last and the file it is on (for the VS Code tests). */
  current?: { heat: HeatMap; uri: string };

  async show(ctx: Ctx, arg?: Parameters<typeof openLog>[1]): Promise<HeatMap | undefined> {
    const log = await openLog(ctx, arg);
    if (!log) return undefined;
    try {
      const programs = log.index.programs.filter((p) => p.endStep > p.firstStep);
      const program = programs.find((p) => p.error) ?? programs.sort((a, b) => b.endStep - b.firstStep - (a.endStep - a.firstStep))[0];
      if (!program) {
        void vscode.window.showInformationMessage('eBPF: that log has no instruction lines; load with log level 2 for a heat map.');
        return undefined;
      }
      const heat = heatMap(log.index, program);
      const top = heat.lines.find((l) => l.file && l.line);
      const uri = await findSourceFile(top?.file, log.objectPath);
      if (!uri) {
        void vscode.window.showWarningMessage(`eBPF: ${top?.file ?? 'the source'} is not in this workspace. ${heat.summary}`);
        return heat;
      }
      const editor = await vscode.window.showTextDocument(uri, { preview: false, viewColumn: vscode.ViewColumn.One });
      this.decorate(editor, heat);
      this.current = { heat, uri: uri.toString() };
      void this.list(editor, heat);
      return heat;
    } finally {
      log.dispose();
    }
  }

  private decorate(editor: vscode.TextEditor, heat: HeatMap): void {
    const base = path.basename(editor.document.fileName);
    const lines = heat.lines.filter(
      (l) => l.file && path.basename(l.file) === base && l.line && l.line > 0 && l.line <= editor.document.lineCount,
    );
    const max = Math.max(1, ...lines.map((l) => l.visits));
    const byLevel: vscode.Range[][] = Array.from({ length: LEVELS }, () => []);
    const labels: vscode.DecorationOptions[] = [];
    for (const l of lines) {
      const range = new vscode.Range(l.line! - 1, 0, l.line! - 1, editor.document.lineAt(l.line! - 1).text.length);
      // Lines with a sliver of the work keep their label but no tint, so the hot region stands out.
      if (l.visits / max >= 0.02) byLevel[Math.min(LEVELS - 1, Math.floor((l.visits / max) * LEVELS - 1e-9))].push(range);
      labels.push({
        range,
        renderOptions: {
          after: {
            contentText: `◀ ${(l.share * 100).toFixed(1)}% · ${l.visits.toLocaleString('en-US')} visit${l.visits === 1 ? '' : 's'}`,
          },
        },
        hoverMessage: `The verifier spent ${l.visits.toLocaleString('en-US')} of its ${heat.instructionLines.toLocaleString('en-US')} instruction visits on this line.`,
      });
    }
    this.levels.forEach((d, i) => editor.setDecorations(d, byLevel[i]));
    editor.setDecorations(this.label, labels);
  }

  private async list(editor: vscode.TextEditor, heat: HeatMap): Promise<void> {
    const picked = await vscode.window.showQuickPick(
      heat.lines.map((l) => ({
        // Line 0 is clang's mark for instructions it generated with no source line of their own.
        label: `${(l.share * 100).toFixed(1)}%  ${l.text.trim() || (l.line ? '(no source text)' : '(compiler-generated, no source line)')}`,
        description: l.file && l.line ? `${path.basename(l.file)}:${l.line}` : undefined,
        detail: `${l.visits.toLocaleString('en-US')} instruction visit${l.visits === 1 ? '' : 's'}`,
        line: l.line,
      })),
      { placeHolder: heat.summary, matchOnDescription: true },
    );
    if (picked?.line) {
      const pos = new vscode.Position(picked.line - 1, 0);
      editor.selection = new vscode.Selection(pos, pos);
      editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenter);
    }
  }

  clear(): void {
    for (const e of vscode.window.visibleTextEditors) {
      for (const d of this.levels) e.setDecorations(d, []);
      e.setDecorations(this.label, []);
    }
    this.current = undefined;
  }

  dispose(): void {
    for (const d of this.levels) d.dispose();
    this.label.dispose();
  }
}

export function activate(ctx: Ctx): HeatMapDecorations {
  const heat = new HeatMapDecorations();
  ctx.subscriptions.push(heat);
  ctx.registerCommand(Command.showHeatMap, (arg?: Parameters<typeof openLog>[1]) => heat.show(ctx, arg));
  ctx.registerCommand(Command.clearHeatMap, () => heat.clear());
  return heat;
}
