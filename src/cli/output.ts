// Printing for the CLI: aligned tables for people, JSON for scripts, and errors with their fix.
import { HelperClientError, type HelperClient } from '../core/connection/client';

export function table(headers: string[], rows: string[][], rightAligned: number[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAligned.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Reports an error (as JSON with --json) and returns the exit code. */
export function reportError(e: unknown, json: boolean): number {
  if (e instanceof HelperClientError) {
    if (json) printJson({ error: e.data });
    else {
      process.stderr.write(`error: ${e.data.message}\n`);
      if (e.data.fix) process.stderr.write(`fix: ${e.data.fix}\n`);
    }
    return 1;
  }
  const message = e instanceof Error ? e.message : String(e);
  if (json) printJson({ error: { code: 'CLI', message } });
  else process.stderr.write(`error: ${message}\n`);
  return 1;
}

/** Resolves on Ctrl-C, SIGTERM, or when the helper goes away. */
export function untilInterrupted(client: HelperClient): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    client.onDidExit(() => resolve());
  });
}
