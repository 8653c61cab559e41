// Public API of the verifier core: pure (no vscode, no I/O). Log text in, findings out.
export type {
  Analysis,
  AnalyzeOptions,
  CatalogEntry,
  Explanation,
  Finding,
  ProgramLog,
  ProgramStats,
  QuickFix,
  RelatedLocation,
  Severity,
} from './types';
export { analyzeLog, createLogParser, type LogParser } from './analyze';
export { argumentExpression } from './source-hints';
export { explainMessage, describeType, matchEntry, matchFamily, stripMessagePrefixes, type ExplainContext } from './explain';
export { catalog, DOCS } from './catalog';
export { classifyLine, parseRegisterState, LineSplitter, type LogLine } from './parse';
export { resolveAnnotation, AnnotationTable, type Annotation, type SourceLocation } from './locate';
export { traceRegister, type OriginStep } from './provenance';
export { readLineInfo, type LineInfoEntry, type ObjectLineInfo } from './btf-ext';

import { createLogParser } from './analyze';
import type { Analysis, AnalyzeOptions } from './types';

/** Parse a log arriving as an async stream of chunks (a file or stdin) in bounded memory. */
export async function analyzeStream(chunks: AsyncIterable<string | Uint8Array>, options: AnalyzeOptions = {}): Promise<Analysis> {
  const parser = createLogParser(options);
  const decoder = new TextDecoder();
  for await (const c of chunks) parser.push(typeof c === 'string' ? c : decoder.decode(c, { stream: true }));
  parser.push(decoder.decode());
  return parser.end();
}
