// The extension's context: the services every feature shares, created once by main.ts in start-up
// order. A feature is a file exporting `activate(ctx)`: it takes what it needs from here,
// registers its commands through `ctx.registerCommand` and pushes what it creates to
// `ctx.subscriptions`, so it can be read (and deleted) alone. No module-level state anywhere.
import * as vscode from 'vscode';
import type { Builds } from './build';
import type { CommandId } from './commands';
import type { Config } from './config';
import type { MapsTree } from './mapsTree';
import type { Targets } from './targets';
import type { VerifierClient } from './verifierClient';

export interface Services {
  /** The "eBPF Workbench" log channel (the language server writes to it too). */
  readonly log: vscode.LogOutputChannel;
  readonly config: Config;
  /** The machines with a helper: "This machine" and the SSH targets, each with its tree model. */
  readonly targets: Targets;
  /** clang builds and their diagnostics. */
  readonly builds: Builds;
  /** The language server: verifier logs in, diagnostics and inline hints out. */
  readonly verifier: VerifierClient;
  /** The Programs & Maps tree view. */
  readonly tree: MapsTree;
}

export class Ctx implements Services {
  readonly log: vscode.LogOutputChannel;
  readonly config: Config;
  readonly targets: Targets;
  readonly builds: Builds;
  readonly verifier: VerifierClient;
  readonly tree: MapsTree;

  constructor(
    readonly extension: vscode.ExtensionContext,
    services: Services,
  ) {
    this.log = services.log;
    this.config = services.config;
    this.targets = services.targets;
    this.builds = services.builds;
    this.verifier = services.verifier;
    this.tree = services.tree;
  }

  /** Disposed when the extension deactivates. */
  get subscriptions(): vscode.Disposable[] {
    return this.extension.subscriptions;
  }

  /** A file in media/. */
  media(file: string): vscode.Uri {
    return vscode.Uri.joinPath(this.extension.extensionUri, 'media', file);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- command arguments come from menus, CodeLenses and code
  registerCommand(id: CommandId, handler: (...args: any[]) => unknown): void {
    this.subscriptions.push(vscode.commands.registerCommand(id, handler));
  }
}
