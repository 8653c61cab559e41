// Reading the Programs & Maps tree the way the tests see it: the snapshot command's JSON.
import * as vscode from 'vscode';
import type { SnapshotNode } from '../../src/core/maps/model';

export type { SnapshotNode };

export async function tree(refresh = false): Promise<SnapshotNode[]> {
  return JSON.parse(await vscode.commands.executeCommand<string>('ebpfWorkbench.maps.snapshot', { refresh }));
}

export function findAll(nodes: SnapshotNode[], pred: (n: SnapshotNode) => boolean, out: SnapshotNode[] = []): SnapshotNode[] {
  for (const n of nodes) {
    if (pred(n)) out.push(n);
    if (n.children) findAll(n.children, pred, out);
  }
  return out;
}
