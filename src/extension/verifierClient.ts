// The client half of the eBPF language server: starts it for *.bpf.c files and verifier log
// documents, and is the one way for features to report a load's verifier log (ctx.verifier):
//
//   await ctx.verifier.report({ objectPath, sources, log });   // diagnostics published when it resolves
//   await ctx.verifier.clear(objectPath);                       // the object loaded cleanly / was rebuilt
//
// It keeps the recent logs for the log view (verifierLog.ts) and relays the server's inline hints
// (verifierInlineHints.ts); those features subscribe to it, it does not wire them.
import * as vscode from 'vscode';
import { LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import {
  AnalyzeVerifierLogRequest,
  ClearVerifierLogNotification,
  VerifierHintsNotification,
  VERIFIER_LOG_LANGUAGE,
  VERIFIER_LOG_SCHEME,
  type AnalyzeVerifierLogResult,
  type VerifierHintsParams,
  type VerifierLogParams,
} from '../protocol/languageServer';

export type VerifierLogReport = VerifierLogParams;
export type { AnalyzeVerifierLogResult };

/** A log the extension has seen, kept for "eBPF: Show Verifier Log". */
export interface StoredVerifierLog extends VerifierLogReport {
  receivedAt: Date;
  result?: AnalyzeVerifierLogResult;
  /** Its diagnostics were cleared (the object loaded since); the log stays viewable. */
  cleared?: boolean;
}

/** Level-2 logs can be large: only the recent ones stay for the log view. */
const MAX_STORED_LOGS = 20;

export class VerifierClient implements vscode.Disposable {
  private readonly client: LanguageClient;
  private readonly started: Promise<void>;
  private readonly logs = new Map<string, StoredVerifierLog>();
  private readonly logsChanged = new vscode.EventEmitter<StoredVerifierLog>();
  private readonly hintsChanged = new vscode.EventEmitter<VerifierHintsParams>();
  /** Fires when a log is reported (the log view refreshes). */
  readonly onDidReportLog = this.logsChanged.event;
  /** Fires when the server sends the inline hints of a document. */
  readonly onDidChangeHints = this.hintsChanged.event;

  constructor(
    context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const module = context.asAbsolutePath('dist/server.js');
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', pattern: '**/*.bpf.c' },
        { scheme: VERIFIER_LOG_SCHEME, language: VERIFIER_LOG_LANGUAGE },
        { scheme: 'file', language: VERIFIER_LOG_LANGUAGE },
      ],
      outputChannel: log,
      diagnosticCollectionName: 'ebpf-verifier',
    };
    this.client = new LanguageClient('ebpfWorkbench.languageServer', 'eBPF Language Server', serverOptions, clientOptions);
    this.client.onNotification(VerifierHintsNotification, (p) => this.hintsChanged.fire(p));
    // The client restarts a crashed server, which comes back empty: give it the logs again.
    let runs = 0;
    this.client.onDidChangeState((e) => {
      if (e.newState !== State.Running || runs++ === 0) return;
      log.warn('eBPF language server restarted; reporting the verifier logs again.');
      for (const l of this.logs.values())
        if (!l.cleared)
          void this.client.sendRequest(AnalyzeVerifierLogRequest, { objectPath: l.objectPath, sources: l.sources, log: l.log });
    });
    this.started = this.client.start().catch((e: Error) => {
      log.error(`eBPF language server did not start: ${e.message}`);
      throw e;
    });
  }

  /**
   * Decodes a load's verifier log and publishes its diagnostics on the sources. `sources` are the
   * absolute paths of the .bpf.c files compiled into `objectPath`; `log` is the verifier log with
   * libbpf's messages around it, verbatim. Resolves once the diagnostics are published.
   */
  async report(report: VerifierLogReport): Promise<AnalyzeVerifierLogResult> {
    const stored: StoredVerifierLog = { ...report, receivedAt: new Date() };
    this.logs.delete(report.objectPath); // re-insert: the map's last entry is the latest log
    this.logs.set(report.objectPath, stored);
    // Level-2 logs can be large: keep only the recent ones for the log view.
    while (this.logs.size > MAX_STORED_LOGS) this.logs.delete(this.logs.keys().next().value!);
    this.logsChanged.fire(stored);
    await this.started;
    const result = await this.client.sendRequest(AnalyzeVerifierLogRequest, report);
    stored.result = result;
    this.log.info(
      `Verifier log of ${report.objectPath}: ${result.findings} finding(s)${result.titles.length ? ` (${result.titles.join('; ')})` : ''}, diagnostics on ${result.files.length} file(s).`,
    );
    return result;
  }

  /** Removes the diagnostics of one object (it loaded cleanly, or was rebuilt); its log stays viewable. */
  async clear(objectPath: string): Promise<void> {
    const stored = this.logs.get(objectPath);
    if (stored) stored.cleared = true;
    await this.started;
    await this.client.sendNotification(ClearVerifierLogNotification, { objectPath });
  }

  /** The most recent log, or the one of `objectPath`. */
  latest(objectPath?: string): StoredVerifierLog | undefined {
    if (objectPath !== undefined) return this.logs.get(objectPath);
    return [...this.logs.values()].pop();
  }

  all(): StoredVerifierLog[] {
    return [...this.logs.values()].reverse();
  }

  dispose(): void {
    this.logsChanged.dispose();
    this.hintsChanged.dispose();
    void this.client.stop().catch(() => undefined);
  }
}
