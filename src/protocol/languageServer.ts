// The custom part of the contract between the extension and the eBPF language server, typed: each
// request and notification is a vscode-jsonrpc RequestType / NotificationType that both halves
// (src/server/main.ts and src/extension/verifierClient.ts) send and handle, so a method name or a
// parameter shape cannot drift between them. Everything else is plain LSP. Other editors' clients
// send the same method names with the same JSON.
import { NotificationType, RequestType } from 'vscode-jsonrpc';

/** The extension (or any client) tells the server about the outcome of loading an object. */
export interface VerifierLogParams {
  /** The object file that was loaded; identifies this log for later updates and clearing. */
  objectPath: string;
  /** Absolute paths of the .bpf.c files compiled into the object (log annotations name basenames). */
  sources: string[];
  /** The complete verifier log and libbpf messages, verbatim. */
  log: string;
}

export const VerifierLogNotification = new NotificationType<VerifierLogParams>('ebpf/verifierLog');

/**
 * The same as the notification, as a request: it answers once the diagnostics are published, so
 * a caller can tell the user what was found (and tests can wait for it).
 */
export const AnalyzeVerifierLogRequest = new RequestType<VerifierLogParams, AnalyzeVerifierLogResult, void>('ebpf/analyzeVerifierLog');

export interface AnalyzeVerifierLogResult {
  /** Findings the verifier core decoded from the log. */
  findings: number;
  /** Of those, how many were placed on a source file (the others had no file the sources could match). */
  placed: number;
  /** Absolute paths of the files that got diagnostics. */
  files: string[];
  truncated: boolean;
  /** Decoded titles, in log order, for a one-line summary. */
  titles: string[];
  /** The log lines that state each error, verbatim (the log view puts the cursor on the first). */
  messages: string[];
}

/** Forget the diagnostics of one object (it loaded cleanly, or was rebuilt). */
export interface ClearVerifierLogParams {
  objectPath: string;
}

export const ClearVerifierLogNotification = new NotificationType<ClearVerifierLogParams>('ebpf/clearVerifierLog');

/**
 * Server → client: the decoded titles to show at the end of offending lines, per document.
 * Sent whenever the verifier diagnostics of a document change (an empty list clears them).
 */
export interface VerifierHint {
  /** 0-based line. */
  line: number;
  title: string;
  /** Markdown: full explanation, fix, register state. */
  hover: string;
}

export interface VerifierHintsParams {
  uri: string;
  hints: VerifierHint[];
}

export const VerifierHintsNotification = new NotificationType<VerifierHintsParams>('ebpf/verifierHints');

/** Read-only verifier log documents opened by "eBPF: Show Verifier Log". */
export const VERIFIER_LOG_SCHEME = 'ebpf-verifier-log';
export const VERIFIER_LOG_LANGUAGE = 'bpf-verifier-log';

/** Diagnostic source shown in Problems. */
export const DIAGNOSTIC_SOURCE = 'eBPF verifier';
