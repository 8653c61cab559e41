// The eBPF language server: owns the verifier diagnostics of *.bpf.c files. A client reports a
// load's verifier log (ebpf/verifierLog); the server decodes it with the verifier core, publishes
// diagnostics on the sources, and answers hovers (findings, BPF helpers, kfuncs), quick fixes, and
// folding/links for verifier log documents. LSP only: no vscode import, runs under any LSP client.
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  createConnection,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeAction,
  type Connection,
  type DocumentLink,
  type Hover,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeLog, readLineInfo, type ObjectLineInfo } from '../core/verifier';
import { parseDepfile } from '../core/toolchain/depfile';
import { helperCount, helperHover, identifierAt, kfuncDeclarations, kfuncHover } from './helperDocs';
import {
  AnalyzeVerifierLogRequest,
  ClearVerifierLogNotification,
  VerifierHintsNotification,
  VerifierLogNotification,
  VERIFIER_LOG_LANGUAGE,
  VERIFIER_LOG_SCHEME,
  type AnalyzeVerifierLogResult,
  type VerifierHintsParams,
  type VerifierLogParams,
} from '../protocol/languageServer';
import {
  currentLine,
  findingHover,
  hintsFor,
  placeFindings,
  resolveSource,
  shiftFinding,
  type PlacedFinding,
  type SourceFile,
} from './verifierFindings';
import { logDocumentObject, logFoldingRanges, logSourceReferences, stripLinePrefixes } from './verifierLogDocument';
import { buildQuickFixes } from './verifierQuickFixes';

interface Report {
  objectPath: string;
  sources: SourceFile[];
  placed: Map<string, PlacedFinding[]>;
}

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const reports = new Map<string, Report>();
  const includeDirs: string[] = [];

  connection.onInitialize((params) => {
    // Quoted includes (vmlinux.h) are also searched in the workspace folders, as the build's -I does.
    for (const f of params.workspaceFolders ?? []) if (f.uri.startsWith('file:')) includeDirs.push(fileURLToPath(f.uri));
    if (!params.workspaceFolders && params.rootUri?.startsWith('file:')) includeDirs.push(fileURLToPath(params.rootUri));
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        foldingRangeProvider: true,
        documentLinkProvider: { resolveProvider: false },
      },
      serverInfo: { name: 'ebpf-workbench-server' },
    };
  });
  connection.onInitialized(() => connection.console.info(`eBPF language server ready (${helperCount()} helper docs).`));

  /** Every finding on a document, across all reported objects (a header can be in several). */
  const placedOn = (uri: string): PlacedFinding[] => [...reports.values()].flatMap((r) => r.placed.get(uri) ?? []);

  const publish = (uri: string) => {
    const placed = placedOn(uri);
    void connection.sendDiagnostics({ uri, diagnostics: placed.map((p) => p.diagnostic) });
    const hints: VerifierHintsParams = { uri, hints: hintsFor(placed) };
    void connection.sendNotification(VerifierHintsNotification, hints);
  };

  /** Documents a report put diagnostics on: the ones to republish when it is replaced or cleared. */
  const urisOf = (r: Report | undefined) => (r ? [...r.placed.keys()] : []);

  const analyze = async (params: VerifierLogParams): Promise<AnalyzeVerifierLogResult> => {
    // What the object was built from: its line info and, from the build's depfile, its own headers.
    const object = await readObject(params.objectPath, params.sources);
    const sources = await readSources([...params.sources, ...(object.headers ?? [])], documents);
    const analysis = analyzeLog(stripLinePrefixes(params.log), {
      sources: new Map(sources.map((s) => [s.path, s.text])),
      lineInfo: object.lineInfo,
    });
    // Without a depfile, headers named by the log (`@ common.h:12`) next to a source are sources too.
    for (const f of object.headers ? [] : analysis.findings) {
      for (const file of [f.file, ...f.related.map((r) => r.file)]) {
        if (!file || resolveSource(file, sources)) continue;
        const extra = await readNeighbour(file, sources, documents);
        if (extra) sources.push(extra);
      }
    }
    const previous = reports.get(params.objectPath);
    const report: Report = { objectPath: params.objectPath, sources, placed: placeFindings(analysis.findings, sources) };
    reports.set(params.objectPath, report);
    const placedCount = [...report.placed.values()].reduce((n, l) => n + l.length, 0);
    connection.console.info(
      `${params.objectPath}: ${analysis.findings.length} finding(s), ${placedCount} placed on ${report.placed.size} file(s)${analysis.truncated ? ' (log truncated)' : ''}.`,
    );
    for (const uri of new Set([...urisOf(previous), ...urisOf(report)])) publish(uri);
    return {
      findings: analysis.findings.length,
      placed: placedCount,
      files: sources.filter((s) => report.placed.has(s.uri)).map((s) => s.path),
      truncated: analysis.truncated,
      titles: analysis.findings.map((f) => f.title),
      messages: analysis.findings.map((f) => f.message),
    };
  };
  connection.onNotification(VerifierLogNotification, async (params) => {
    await analyze(params);
  });
  connection.onRequest(AnalyzeVerifierLogRequest, (params) => analyze(params));

  connection.onNotification(ClearVerifierLogNotification, (params) => {
    const previous = reports.get(params.objectPath);
    reports.delete(params.objectPath);
    for (const uri of new Set(urisOf(previous))) publish(uri);
  });

  connection.onHover(async ({ textDocument, position }): Promise<Hover | null> => {
    const parts: string[] = [];
    const doc = documents.get(textDocument.uri);
    const lines = doc?.getText().split('\n');
    for (const p of placedOn(textDocument.uri)) {
      const line = lines ? currentLine(p, lines) : p.line;
      // Inside the flagged code only: past its end sits the inline hint, which has its own hover.
      if (line === position.line && position.character < p.diagnostic.range.end.character) parts.push(findingHover(p.finding));
    }
    if (doc) {
      const lineText = doc.getText({ start: { line: position.line, character: 0 }, end: { line: position.line + 1, character: 0 } });
      const word = identifierAt(lineText, position.character);
      const helper = word && helperHover(word);
      if (helper) parts.push(helper);
      else if (word) {
        const declaration = kfuncDeclarations(doc.getText()).get(word) ?? (await kfuncFromIncludes(doc, word, includeDirs));
        if (declaration) parts.push(kfuncHover(word, declaration));
      }
    }
    return parts.length ? { contents: { kind: 'markdown', value: parts.join('\n\n---\n\n') } } : null;
  });

  connection.onCodeAction(({ textDocument, range, context }): CodeAction[] => {
    const doc = documents.get(textDocument.uri);
    const actions: CodeAction[] = [];
    const text = doc?.getText() ?? sourceText(reports, textDocument.uri);
    if (text === undefined) return actions;
    const lines = text.split('\n');
    for (const p of placedOn(textDocument.uri)) {
      // Edits since the load may have moved the line; if its code changed, a fix could land wrong.
      const line = currentLine(p, lines);
      if (line === undefined || line < range.start.line || line > range.end.line) continue;
      const diagnostic = context.diagnostics.find((d) => d.range.start.line === line && d.message === p.diagnostic.message) ?? p.diagnostic;
      for (const fix of buildQuickFixes(shiftFinding(p.finding, line - p.line), text, line)) {
        actions.push({
          title: fix.title,
          kind: CodeActionKind.QuickFix,
          diagnostics: [diagnostic],
          isPreferred: fix.isPreferred,
          edit: { changes: { [textDocument.uri]: fix.edits } },
        });
      }
    }
    return actions;
  });

  // Verifier log documents (scheme ebpf-verifier-log): fold states, link `@ file:line` to sources.
  connection.onFoldingRanges(({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    return doc && isLogDocument(doc) ? logFoldingRanges(doc.getText()) : null;
  });

  connection.onDocumentLinks(({ textDocument }): DocumentLink[] | null => {
    const doc = documents.get(textDocument.uri);
    if (!doc || !isLogDocument(doc)) return null;
    const objectPath = logDocumentObject(doc.uri);
    const sources = reports.get(objectPath)?.sources ?? [...reports.values()].flatMap((r) => r.sources);
    // A log saved to disk: sources next to it count too.
    const logDir = doc.uri.startsWith('file:') ? path.dirname(fileURLToPath(doc.uri)) : undefined;
    const links: DocumentLink[] = [];
    for (const ref of logSourceReferences(doc.getText())) {
      const nextToLog = logDir && path.resolve(logDir, ref.file);
      const source =
        resolveSource(ref.file, sources, ref.sourceLine) ??
        (nextToLog && existsSync(nextToLog) ? { path: nextToLog, uri: pathToFileURL(nextToLog).toString(), text: '' } : undefined);
      if (!source) continue;
      links.push({
        range: { start: { line: ref.line, character: ref.start }, end: { line: ref.line, character: ref.end } },
        target: `${source.uri}#L${ref.sourceLine}`,
        tooltip: `Open ${source.path}:${ref.sourceLine}`,
      });
    }
    return links;
  });

  documents.listen(connection);
  connection.listen();
}

/** Our read-only log view, or a saved log the editor opened as bpf-verifier-log. */
const isLogDocument = (doc: TextDocument) => doc.uri.startsWith(`${VERIFIER_LOG_SCHEME}:`) || doc.languageId === VERIFIER_LOG_LANGUAGE;

/** The text that went into the object: the file on disk (what clang compiled), else the open editor's. */
async function readSources(paths: readonly string[], documents: TextDocuments<TextDocument>): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const p of new Set(paths)) {
    const uri = pathToFileURL(p).toString();
    const text = await readFile(p, 'utf8').catch(() => documents.get(uri)?.getText());
    if (text !== undefined) out.push({ path: p, uri, text });
  }
  return out;
}

/**
 * The loaded object's line info (from its bytes) and the project headers its depfile (`<object>.d`,
 * written by the build) lists: files next to the object's sources, not system or generated headers.
 */
async function readObject(objectPath: string, sources: readonly string[]): Promise<{ lineInfo?: ObjectLineInfo; headers?: string[] }> {
  const bytes = await readFile(objectPath).catch(() => undefined);
  const lineInfo = bytes ? readLineInfo(bytes) : undefined;
  const depfile = await readFile(`${objectPath}.d`, 'utf8').catch(() => undefined);
  if (depfile === undefined) return { lineInfo };
  const dirs = sources.map((s) => path.dirname(path.resolve(s)));
  const headers = parseDepfile(depfile)
    .map((d) => path.resolve(path.dirname(objectPath), d))
    .filter((d) => /\.h$/.test(d) && path.basename(d) !== 'vmlinux.h' && dirs.some((dir) => d.startsWith(dir + path.sep)));
  return { lineInfo, headers };
}

async function readNeighbour(
  file: string,
  sources: readonly SourceFile[],
  documents: TextDocuments<TextDocument>,
): Promise<SourceFile | undefined> {
  for (const s of sources) {
    const candidate = path.resolve(path.dirname(s.path), file);
    if (existsSync(candidate)) return (await readSources([candidate], documents))[0];
  }
  return undefined;
}

function sourceText(reports: Map<string, Report>, uri: string): string | undefined {
  for (const r of reports.values()) {
    const s = r.sources.find((x) => x.uri === uri);
    if (s) return s.text;
  }
  return undefined;
}

/** kfunc prototypes in headers the document includes with quotes (bpftool's vmlinux.h has them). */
const includeCache = new Map<string, { mtimeMs: number; kfuncs: Map<string, string> }>();
async function kfuncFromIncludes(doc: TextDocument, name: string, includeDirs: readonly string[]): Promise<string | undefined> {
  if (!doc.uri.startsWith('file:')) return undefined;
  const dirs = [path.dirname(fileURLToPath(doc.uri)), ...includeDirs];
  for (const m of doc.getText().matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
    let file: string | undefined;
    let mtimeMs: number | undefined;
    for (const dir of dirs) {
      file = path.resolve(dir, m[1]);
      mtimeMs = (await stat(file).catch(() => undefined))?.mtimeMs;
      if (mtimeMs !== undefined) break;
    }
    if (!file || mtimeMs === undefined) continue;
    let cached = includeCache.get(file);
    if (!cached || cached.mtimeMs !== mtimeMs) {
      const text = await readFile(file, 'utf8').catch(() => '');
      cached = { mtimeMs, kfuncs: kfuncDeclarations(text) };
      includeCache.set(file, cached);
    }
    const found = cached.kfuncs.get(name);
    if (found) return found;
  }
  return undefined;
}

// Started by the client over IPC (or stdio: `node dist/server.js --stdio` from other editors).
if (require.main === module) startServer(createConnection(ProposedFeatures.all));
