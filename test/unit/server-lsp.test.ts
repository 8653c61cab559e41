// The language server as a real process spoken to over LSP (stdio), as any editor would: a
// verifier log in, diagnostics / hovers / quick fixes / log folding and links out.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CodeActionRequest,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentLinkRequest,
  FoldingRangeRequest,
  HoverRequest,
  InitializeRequest,
  InitializedNotification,
  PublishDiagnosticsNotification,
  type CodeAction,
  type MarkupContent,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import {
  AnalyzeVerifierLogRequest,
  ClearVerifierLogNotification,
  VerifierHintsNotification,
  VERIFIER_LOG_LANGUAGE,
  type VerifierHintsParams,
} from '../../src/protocol/languageServer';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/verifier-editor');
const sourcePath = path.join(FIXTURES, 'null_check.bpf.c');
const sourceUri = pathToFileURL(sourcePath).toString();
const sourceText = readFileSync(sourcePath, 'utf8');
const log = readFileSync(path.join(FIXTURES, 'null_check.kernel.log'), 'utf8');
const lineOf = (needle: string) => sourceText.split('\n').findIndex((l) => l.includes(needle));

describe('server: over LSP (a real server process on stdio)', function () {
  this.timeout(20000);
  let server: ChildProcess;
  let connection: ProtocolConnection;
  const diagnostics: PublishDiagnosticsParams[] = [];
  const hints: VerifierHintsParams[] = [];
  let workspace: string;

  before(async () => {
    server = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/server/main.ts'), '--stdio'], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    connection = createProtocolConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
    connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      diagnostics.push(p);
    });
    connection.onNotification(VerifierHintsNotification, (p) => {
      hints.push(p);
    });
    connection.listen();
    workspace = mkdtempSync(path.join(os.tmpdir(), 'ebpf-server-test-'));
    const workspaceFolders = [{ uri: pathToFileURL(workspace).toString(), name: 'ws' }];
    const init = await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: null,
      workspaceFolders,
      capabilities: {},
    });
    assert.ok(init.capabilities.hoverProvider);
    await connection.sendNotification(InitializedNotification.type, {});
    await connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: sourceUri, languageId: 'c', version: 1, text: sourceText },
    });
  });

  after(() => {
    connection?.dispose();
    server?.kill();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('answers a verifier log with diagnostics and inline hints on the source', async () => {
    const result = await connection.sendRequest(AnalyzeVerifierLogRequest, {
      objectPath: '/tmp/null_check.bpf.o',
      sources: [sourcePath],
      log,
    });
    assert.deepEqual(
      { ...result, titles: result.titles.length },
      {
        findings: 1,
        placed: 1,
        files: [sourcePath],
        truncated: false,
        titles: 1,
        messages: ["R0 invalid mem access 'map_value_or_null'"],
      },
    );
    const published = diagnostics.filter((d) => d.uri === sourceUri).pop()!;
    assert.equal(published.diagnostics.length, 1);
    const [d] = published.diagnostics;
    assert.equal(d.range.start.line, lineOf('*count += 1;'));
    assert.equal(d.source, 'eBPF verifier');
    assert.equal(d.relatedInformation![0].location.range.start.line, lineOf('bpf_map_lookup_elem(&packets'));
    const h = hints.filter((x) => x.uri === sourceUri).pop()!;
    assert.deepEqual(
      h.hints.map((x) => x.line),
      [d.range.start.line],
    );
  });

  it('hovers the finding on its line and the helper under the cursor', async () => {
    const line = lineOf('*count += 1;');
    const onFinding = await connection.sendRequest(HoverRequest.type, {
      textDocument: { uri: sourceUri },
      position: { line, character: 2 },
    });
    assert.match((onFinding!.contents as MarkupContent).value, /Register state before instruction \d+/);
    const lookupLine = lineOf('bpf_map_lookup_elem(&packets');
    const character = sourceText.split('\n')[lookupLine].indexOf('lookup');
    const onHelper = await connection.sendRequest(HoverRequest.type, {
      textDocument: { uri: sourceUri },
      position: { line: lookupLine, character },
    });
    assert.match((onHelper!.contents as MarkupContent).value, /void \*bpf_map_lookup_elem\(void \*map, const void \*key\)/);
  });

  it('offers the NULL check as a quick fix on the diagnostic', async () => {
    const line = lineOf('*count += 1;');
    const range = { start: { line, character: 0 }, end: { line, character: 0 } };
    const actions = (await connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: sourceUri },
      range,
      context: { diagnostics: [] },
    })) as CodeAction[];
    assert.deepEqual(
      actions.map((a) => a.title),
      ["Return early when 'count' is NULL"],
    );
    assert.equal(actions[0].edit!.changes![sourceUri][0].newText, '\tif (!count)\n\t\treturn XDP_PASS;\n');
  });

  it('hovers a kfunc declared in a header the build finds in the workspace folder', async () => {
    // As with `-I<workspace>`: prog.bpf.c in src/ includes "kfuncs.h" from the workspace root.
    writeFileSync(path.join(workspace, 'kfuncs.h'), 'extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;\n');
    mkdirSync(path.join(workspace, 'src'));
    const prog = path.join(workspace, 'src/prog.bpf.c');
    const text = '#include "kfuncs.h"\nint f(struct task_struct *t)\n{\n\tt = bpf_task_acquire(t);\n\treturn 0;\n}\n';
    writeFileSync(prog, text);
    const uri = pathToFileURL(prog).toString();
    await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'c', version: 1, text } });
    const hover = await connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 3, character: 8 } });
    assert.match((hover!.contents as MarkupContent).value, /struct task_struct \*bpf_task_acquire\(struct task_struct \*p\)/);
  });

  it('still offers the fix after lines were added above the flagged line', async () => {
    await connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: sourceUri, version: 2 },
      contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '// edited\n// twice\n' }],
    });
    const line = lineOf('*count += 1;') + 2;
    const range = { start: { line, character: 0 }, end: { line, character: 0 } };
    const actions = (await connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: sourceUri },
      range,
      context: { diagnostics: [] },
    })) as CodeAction[];
    assert.equal(actions.length, 1);
    assert.equal(actions[0].edit!.changes![sourceUri][0].range.start.line, lineOf('bpf_map_lookup_elem(&packets') + 3);
    const hover = await connection.sendRequest(HoverRequest.type, { textDocument: { uri: sourceUri }, position: { line, character: 2 } });
    assert.match((hover!.contents as MarkupContent).value, /Pointer may be NULL|map_value_or_null/);
  });

  it('folds the log document and links `@ file:line` to the source', async () => {
    const uri = `ebpf-verifier-log:/null_check.bpf.o.verifier-log?object%3D${encodeURIComponent(encodeURIComponent('/tmp/null_check.bpf.o'))}`;
    await connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: VERIFIER_LOG_LANGUAGE, version: 1, text: log },
    });
    const folds = (await connection.sendRequest(FoldingRangeRequest.type, { textDocument: { uri } }))!;
    const logLines = log.split('\n');
    const begin = logLines.findIndex((l) => l.includes('-- BEGIN PROG LOAD LOG --'));
    const end = logLines.findIndex((l) => l.includes('-- END PROG LOAD LOG --'));
    assert.ok(
      folds.some((f) => f.startLine === begin && f.endLine === end),
      JSON.stringify(folds),
    );
    const links = (await connection.sendRequest(DocumentLinkRequest.type, { textDocument: { uri } }))!;
    const annotated = logLines.filter((l) => / @ null_check\.bpf\.c:[1-9]/.test(l)).length;
    assert.equal(links.length, annotated);
    assert.ok(links.every((l) => l.target!.startsWith(`${sourceUri}#L`)));
  });

  it('treats a saved log opened as bpf-verifier-log the same, linking sources next to it', async () => {
    const uri = pathToFileURL(path.join(FIXTURES, 'null_check.kernel.log')).toString();
    await connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: VERIFIER_LOG_LANGUAGE, version: 1, text: log },
    });
    const folds = (await connection.sendRequest(FoldingRangeRequest.type, { textDocument: { uri } }))!;
    assert.ok(folds.length > 0);
    const links = (await connection.sendRequest(DocumentLinkRequest.type, { textDocument: { uri } }))!;
    assert.ok(links.length > 0 && links.every((l) => l.target!.startsWith(`${sourceUri}#L`)));
  });

  it('clears the diagnostics of an object', async () => {
    const before = diagnostics.length;
    await connection.sendNotification(ClearVerifierLogNotification, { objectPath: '/tmp/null_check.bpf.o' });
    for (let i = 0; i < 50 && diagnostics.length === before; i++) await new Promise((r) => setTimeout(r, 20));
    const last = diagnostics.filter((d) => d.uri === sourceUri).pop()!;
    assert.deepEqual(last.diagnostics, []);
  });
});
