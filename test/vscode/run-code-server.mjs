// Runs the in-editor test suite (out/test/vscode/index.js) inside a real VS Code: code-server
// from .tools/ on Node 24, opened in headless Chromium through playwright-core. The workbench
// starts the extension host with our extension and tests, and calls window.codeAutomationExit(code)
// when they finish; that code becomes our exit code.
//
// Tests can ask for a screenshot of the page (see screenshot.ts): we listen on 127.0.0.1 and pass
// the URL to the extension host as EBPF_SCREENSHOT_URL.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { build, prepareRun, results, root, testsEntry } from './prepare.mjs';

const node24 = path.join(root, '.tools/node24/bin/node');
const codeServer = path.join(root, '.tools/code-server/node_modules/code-server/out/node/entry.js');
const CONSOLE_TAG = '[ebpf-test] ';
const timeoutMs = Number(process.env.EBPF_VSCODE_TIMEOUT_MS || 10 * 60_000);

const log = (msg) => console.log(`test:vscode: ${msg}`);
const fail = (msg) => {
  console.error(`test:vscode: ${msg}`);
  process.exit(1);
};

for (const [file, what] of [
  [node24, 'Node 24'],
  [codeServer, 'code-server'],
]) {
  if (!fs.existsSync(file)) fail(`${what} is not installed (${path.relative(root, file)} missing). Run: bash scripts/setup.sh --vscode`);
}
const browserPath = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => fs.existsSync(p));
if (!browserPath) fail('Chromium not found at /usr/lib/chromium/chromium or /usr/bin/chromium. Run: bash scripts/setup.sh');

build('test:vscode');
const { tmp, dirs, workspace, cleanup } = prepareRun();

let server; // code-server, leader of its own process group
let browser;
let shotServer;
// The whole group, even if code-server itself is gone: extension hosts could outlive it.
function killServer() {
  if (server?.pid) {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
process.on('exit', killServer);
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => {
    killServer();
    cleanup();
    process.exit(130);
  });

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net
      .createServer()
      .listen(0, '127.0.0.1', () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      })
      .on('error', reject);
  });
}

async function waitForHealth(url, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) return false;
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function main() {
  // Screenshot endpoint for the tests: POST /screenshot?name=foo → test-results/foo.png.
  // &visible=text waits until the page shows that text (what the extension host reports can be
  // ahead of what the workbench has painted, e.g. a CodeLens) and fails if it never does.
  let page;
  shotServer = http.createServer(async (req, res) => {
    const params = new URL(req.url, 'http://x').searchParams;
    const name = params.get('name') || '';
    const visible = params.get('visible');
    if (req.method !== 'POST' || !/^[\w.-]+$/.test(name) || !page) {
      res.writeHead(400).end('POST /screenshot?name=<letters, digits, . _ ->[&visible=<text>] once the page is open');
      return;
    }
    try {
      if (visible) {
        await page
          .waitForFunction((t) => document.body.innerText.replace(/\u00a0/g, ' ').includes(t), visible, { timeout: 15_000 })
          .catch(() => {
            throw new Error(`the page never showed "${visible}"`);
          });
      }
      const file = path.join(results, `${name}.png`);
      await page.screenshot({ path: file });
      res.writeHead(200).end(file);
    } catch (e) {
      res.writeHead(500).end(String(e));
    }
  });
  await new Promise((r) => shotServer.listen(0, '127.0.0.1', r));
  const shotUrl = `http://127.0.0.1:${shotServer.address().port}/screenshot`;

  const port = await freePort();
  const serverLog = path.join(results, 'code-server.log');
  const out = fs.openSync(serverLog, 'w');
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    // Read by the tests in the extension host (code-server passes its environment on).
    EBPF_TEST_WORKSPACE: workspace,
    EBPF_SCREENSHOT_URL: shotUrl,
    EBPF_TEST_LAYER: 'vscode',
    EBPF_TEST_CONSOLE_TAG: CONSOLE_TAG,
  };
  log(`starting code-server 127.0.0.1:${port} (log: ${path.relative(root, serverLog)})`);
  server = spawn(
    node24,
    [
      codeServer,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--user-data-dir',
      dirs['user-data'],
      '--extensions-dir',
      dirs.extensions,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      // Without it the workbench ignores the test payload in the URL.
      '--vscode-option',
      'enable-smoke-test-driver',
    ],
    { cwd: tmp, env, detached: true, stdio: ['ignore', out, out] },
  );

  const base = `http://127.0.0.1:${port}`;
  if (!(await waitForHealth(`${base}/healthz`, 60_000))) {
    const why = server.exitCode !== null ? `exited with code ${server.exitCode}` : `did not answer ${base}/healthz within 60 s`;
    throw new Error(`code-server ${why}. Its log:\n${tail(serverLog)}`);
  }

  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(root)],
    ['extensionTestsPath', remote(testsEntry)],
  ];
  const url = `${base}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;

  browser = await chromium.launch({
    executablePath: browserPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });

  // The extension host's console (mocha's reporter) is forwarded to the page's console.
  page.on('console', (msg) => {
    const text = extensionHostText(msg);
    if (text !== undefined) console.log(text);
  });
  page.on('pageerror', (e) => console.error(`test:vscode: page error: ${e.message}`));

  // The workbench calls this when the extension host running the tests has exited.
  let finished;
  const exit = new Promise((resolve) => (finished = resolve));
  await page.exposeFunction('codeAutomationExit', async (code, logs) => {
    saveLogs(logs);
    try {
      await page.screenshot({ path: path.join(results, 'vscode-final.png') });
    } catch {
      /* page closing */
    }
    finished(typeof code === 'number' ? code : 1);
  });
  log(`opening ${base}/?folder=${workspace}`);
  await page.goto(url);

  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(async () => {
      try {
        await page.screenshot({ path: path.join(results, 'vscode-timeout.png') });
      } catch {
        /* ignore */
      }
      console.error(
        `test:vscode: the tests did not finish within ${timeoutMs / 1000} s (EBPF_VSCODE_TIMEOUT_MS). ` +
          `See test-results/vscode-timeout.png and ${path.relative(root, serverLog)}. Last code-server log lines:\n${tail(serverLog, 20)}`,
      );
      resolve(1);
    }, timeoutMs);
  });
  const code = await Promise.race([exit, timeout]);
  clearTimeout(timer);
  return code;
}

// The extension host's console arrives as workbench log lines ("%c INFO color: #33f <text>");
// index.ts tags the tests' lines with CONSOLE_TAG, everything else is workbench noise.
function extensionHostText(msg) {
  const text = msg.text();
  const at = text.indexOf(CONSOLE_TAG);
  return at < 0 ? undefined : text.slice(at + CONSOLE_TAG.length);
}

function saveLogs(logs) {
  if (!Array.isArray(logs)) return;
  for (const { relativePath, contents } of logs) {
    const file = path.join(results, 'vscode-logs', relativePath);
    if (!file.startsWith(results)) continue;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, contents);
  }
}

let code = 1;
try {
  code = await main();
} catch (e) {
  console.error(`test:vscode: ${e instanceof Error ? e.message : e}`);
} finally {
  await browser?.close().catch(() => {});
  shotServer?.close();
  killServer();
  // The server side's logs (extension host, remote agent) next to the browser's.
  const serverLogs = path.join(dirs['user-data'], 'logs');
  if (fs.existsSync(serverLogs)) fs.cpSync(serverLogs, path.join(results, 'vscode-logs/server'), { recursive: true });
  cleanup();
}
log(code === 0 ? 'passed' : `failed (exit code ${code}); screenshots and logs in test-results/`);
process.exit(code);
