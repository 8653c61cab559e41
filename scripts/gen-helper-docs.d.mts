// Types for scripts/gen-helper-docs.mjs, so the unit tests can import its parser.
export interface HelperDoc {
  id: number;
  signature: string;
  description: string;
  returns: string;
}
export const DEFAULT_HEADER: string;
export const DEFAULT_OUTPUT: string;
export function parseHelperDefs(text: string): Record<string, HelperDoc>;
export function rstToMarkdown(lines: string[]): string;
export function generateHelperDocs(header?: string, output?: string): 'missing-header' | 'unchanged' | 'written';
