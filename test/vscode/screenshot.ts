// Screenshots of the workbench from inside a test. The tests run in the extension host (a server
// process) while the workbench is a page in Chromium, so we ask the test runner, which drives the
// page, to take it: run-code-server.mjs passes its endpoint in EBPF_SCREENSHOT_URL.
import * as http from 'node:http';

/** Saves test-results/<name>.png and resolves with its path once the file is written; with
 *  `visible`, only once the page shows that text (rejects if it never does). Under a runner without
 *  a page (test-electron) it resolves with undefined. */
export async function screenshot(name: string, visible?: string): Promise<string | undefined> {
  const endpoint = process.env.EBPF_SCREENSHOT_URL;
  if (!endpoint) return undefined;
  const url = new URL(endpoint);
  url.searchParams.set('name', name);
  if (visible) url.searchParams.set('visible', visible);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`screenshot ${name}: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}
