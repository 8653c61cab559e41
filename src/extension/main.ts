// activate() builds the context (Ctx) in start-up order, then activates each feature with it, and
// nothing else: each feature file registers and disposes what it owns. The order below is the
// start-up order.
import * as vscode from 'vscode';
import { createApi, type EbpfWorkbenchApi } from './api';
import { Builds } from './build';
import { Command } from './commands';
import { Config } from './config';
import { Ctx } from './ctx';
import { MapsTree } from './mapsTree';
import { Targets } from './targets';
import { VerifierClient } from './verifierClient';
import * as attachPrograms from './attachPrograms';
import * as build from './build';
import * as countMapElements from './countMapElements';
import * as eventsView from './eventsView';
import * as load from './load';
import * as mapActions from './mapActions';
import * as mapCodeLens from './mapCodeLens';
import * as mapContents from './mapContents';
import * as mapsTree from './mapsTree';
import * as sshTargets from './sshTargets';
import * as targetCommands from './targets';
import * as traceConsole from './traceConsole';
import * as verifierInlineHints from './verifierInlineHints';
import * as verifierLog from './verifierLog';
import * as vmlinux from './vmlinux';
import * as budgetCodeLens from './budgetCodeLens';
import * as compareStats from './compareStats';
import * as heatMap from './heatMap';
import * as showInstructions from './showInstructions';
import * as verifierStepper from './verifierStepper';

export type { EbpfWorkbenchApi };

export async function activate(extension: vscode.ExtensionContext): Promise<EbpfWorkbenchApi> {
  // The services, each created once.
  const log = vscode.window.createOutputChannel('eBPF Workbench', { log: true });
  extension.subscriptions.push(log);
  const config = new Config();
  extension.subscriptions.push(config);
  const targets = new Targets(log); // "This machine"; its helper starts on first use
  extension.subscriptions.push(targets);
  const builds = new Builds(log, config);
  extension.subscriptions.push(builds);
  const verifier = new VerifierClient(extension, log); // starts the language server
  extension.subscriptions.push(verifier);
  const tree = new MapsTree(targets, config, vscode.Uri.joinPath(extension.extensionUri, 'media'), log);
  extension.subscriptions.push(tree);
  const ctx = new Ctx(extension, { log, config, targets, builds, verifier, tree });

  // The features.
  ctx.registerCommand(Command.showOutput, () => log.show());
  build.activate(ctx);
  vmlinux.activate(ctx);
  verifierLog.activate(ctx);
  verifierInlineHints.activate(ctx);
  targetCommands.activate(ctx);
  sshTargets.activate(ctx); // adds the SSH targets of the settings
  mapsTree.activate(ctx);
  load.activate(ctx);
  attachPrograms.activate(ctx);
  countMapElements.activate(ctx);
  mapActions.activate(ctx);
  const contents = mapContents.activate(ctx);
  mapCodeLens.activate(ctx);
  const trace = traceConsole.activate(ctx);
  const events = eventsView.activate(ctx);
  const insight = {
    lenses: budgetCodeLens.activate(ctx),
    instructions: showInstructions.activate(ctx),
    stepper: verifierStepper.activate(ctx),
    heat: heatMap.activate(ctx),
  };
  compareStats.activate(ctx);

  return createApi(ctx, insight, { trace, events, mapContents: contents });
}

export function deactivate(): void {
  // Everything is disposed through the extension context's subscriptions.
}
