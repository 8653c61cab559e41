// What `activate` returns (vscode.extensions.getExtension(...).exports): a small typed API for
// the VS Code tests and for other extensions, so that nothing needs a command made for tests.
// Add to it only what a caller needs and cannot reach through a user's command.
import type { SnapshotNode } from '../core/maps/render';
import type { StepView } from '../core/insight/stepper';
import type { HeatMap } from '../core/insight/heat';
import type { BudgetLenses } from './budgetCodeLens';
import type { Ctx } from './ctx';
import type { EventsViews } from './eventsView';
import type { MapContentsApi } from './mapContents';
import type { TraceConsoles } from './traceConsole';
import type { HeatMapDecorations } from './heatMap';
import type { InstructionsDocuments } from './showInstructions';
import type { VerifierStepper } from './verifierStepper';

export type { SnapshotNode };

export interface EbpfWorkbenchApi {
  readonly tree: {
    /** The Programs & Maps tree as plain data (labels, descriptions, tooltips as shown). By default every
     *  target connects and refreshes first; `refresh: false` reads what the view shows now. */
    snapshot(opts?: { refresh?: boolean }): Promise<SnapshotNode[]>;
    /** Selects and shows the node with this key (a snapshot's `key`), expanding its parents; false if unknown. */
    reveal(key: string): Promise<boolean>;
  };
  /** The "eBPF Trace" consoles: what each shows. */
  readonly trace: TraceConsoles;
  /** The events views: their rows and counts, export, pause. */
  readonly events: EventsViews;
  /** Show Contents panels: the changes their pages send. */
  readonly mapContents: MapContentsApi;
  /** What the insight views show now (#13): the stepper's step, the highlighted lines, the heat map. */
  readonly insight: {
    step(): StepView | undefined;
    /** The source line the stepper highlighted last. */
    stepperHighlight(): { uri: string; line: number } | undefined;
    /** The last two-way highlight between an instructions document and its C file (0-based lines). */
    instructionsHighlight(): { uri: string; lines: number[] } | undefined;
    heatMap(): { heat: HeatMap; uri: string } | undefined;
    /** Resolves once the stats files of the workspace are read. */
    lensesReady(): Promise<void>;
  };
}

export interface FeatureApis {
  trace: TraceConsoles;
  events: EventsViews;
  mapContents: MapContentsApi;
}

export interface InsightParts {
  lenses: BudgetLenses;
  instructions: InstructionsDocuments;
  stepper: VerifierStepper;
  heat: HeatMapDecorations;
}

export function createApi(ctx: Ctx, insight: InsightParts, features: FeatureApis): EbpfWorkbenchApi {
  return {
    tree: {
      snapshot: (opts) => ctx.tree.snapshot(opts),
      reveal: (key) => ctx.tree.reveal(key),
    },
    insight: {
      step: () => insight.stepper.current,
      stepperHighlight: () => insight.stepper.highlighted,
      instructionsHighlight: () => insight.instructions.lastHighlight,
      heatMap: () => insight.heat.current,
      lensesReady: () => insight.lenses.ready,
    },
    ...features,
  };
}
