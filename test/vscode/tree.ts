// Reading the Programs & Maps tree the way the tests see it: the extension API's snapshot.
import type { SnapshotNode } from '../../src/extension/api';
import { api } from './util';

export type { SnapshotNode };

export async function tree(refresh = false): Promise<SnapshotNode[]> {
  return (await api()).tree.snapshot({ refresh });
}

/** Selects and shows a node of the tree by its key. */
export async function reveal(key: string): Promise<boolean> {
  return (await api()).tree.reveal(key);
}

export function findAll(nodes: SnapshotNode[], pred: (n: SnapshotNode) => boolean, out: SnapshotNode[] = []): SnapshotNode[] {
  for (const n of nodes) {
    if (pred(n)) out.push(n);
    if (n.children) findAll(n.children, pred, out);
  }
  return out;
}
