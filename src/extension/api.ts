// What `activate` returns (vscode.extensions.getExtension(...).exports): a small typed API for
// the VS Code tests and for other extensions, so that nothing needs a command made for tests.
// Add to it only what a caller needs and cannot reach through a user's command.
import type { SnapshotNode } from '../core/maps/model';
import type { Ctx } from './ctx';

export type { SnapshotNode };

export interface EbpfWorkbenchApi {
  readonly tree: {
    /** The Programs & Maps tree as plain data (labels, descriptions, tooltips as shown). By default every
     *  target connects and refreshes first; `refresh: false` reads what the view shows now. */
    snapshot(opts?: { refresh?: boolean }): Promise<SnapshotNode[]>;
    /** Selects and shows the node with this key (a snapshot's `key`), expanding its parents; false if unknown. */
    reveal(key: string): Promise<boolean>;
  };
}

export function createApi(ctx: Ctx): EbpfWorkbenchApi {
  return {
    tree: {
      snapshot: (opts) => ctx.tree.snapshot(opts),
      reveal: (key) => ctx.tree.reveal(key),
    },
  };
}
