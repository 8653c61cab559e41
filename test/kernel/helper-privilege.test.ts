// The privilege model, for real: `install-helper` (the CLI, as root) makes a root-owned install and
// a sudoers drop-in; a throwaway non-root user then runs the helper as root through exactly that
// rule and gets real answers (hello, a load), cannot change what it runs, and cannot run anything
// else through the rule. A helper copy in a folder the user owns is refused when started as root.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { requireKernel } from './requirements';
import { buildHelperBpf, compileFixture, repoRoot } from './helper-support';
import { HelperClient, HelperClientError, HelperProcess, HelperTransport } from '../../src/core/connection/client';
import { localTransport } from '../../src/core/connection/local';
import { ALLOW_UNTRUSTED_ENV, REFUSAL_PREFIX, UNTRUSTED_EXIT } from '../../src/helper/trust';

const cli = path.join(repoRoot, 'dist', 'cli.js');

/** A transport that runs `argv` (e.g. runuser ... sudo -n ...) and speaks JSON-RPC on its stdio. */
function argvTransport(argv: string[], env?: NodeJS.ProcessEnv): HelperTransport {
  return {
    description: argv.join(' '),
    sharesFileSystem: true,
    async start(): Promise<HelperProcess> {
      const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.on('exit', (code, signal) => resolve({ code, signal })),
      );
      return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr ?? new PassThrough(), exited, kill: (s) => child.kill(s) };
    },
  };
}

function treeOf(dir: string): string[] {
  const out: string[] = [dir];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...treeOf(p));
    else out.push(p);
  }
  return out;
}

describe('helper privilege: root-owned install, sudoers rule, refusal of writable files', function () {
  this.timeout(120_000);
  const user = `ebpfwbp${process.pid}`;
  const sudoers = `/etc/sudoers.d/ebpfwb-priv-test-${process.pid}`;
  let work: string;
  let prefix: string;
  let inst: { dir: string; node: string; helper: string; hash: string; rule: string; sudoers: string };
  let mapsObj: string;
  let userDir: string;

  const asUser = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync('runuser', ['-u', user, '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...args], {
      cwd: '/',
      encoding: 'utf8',
      timeout: 60_000,
    });

  before(function () {
    requireKernel(this);
    for (const tool of ['/usr/bin/sudo', '/usr/sbin/useradd', '/usr/sbin/visudo', '/usr/sbin/runuser']) {
      if (!fs.existsSync(tool)) {
        if (process.env.CI === 'true') throw new Error(`${tool} is missing (scripts/setup.sh installs it)`);
        this.skip();
      }
    }
    if (!fs.existsSync(cli) || !fs.existsSync(path.join(repoRoot, 'dist', 'helper.js'))) {
      execFileSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, stdio: 'inherit' });
    }
    buildHelperBpf();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'ebpfwb-priv-'));
    fs.chmodSync(work, 0o755);
    prefix = path.join(work, 'lib', 'ebpf-workbench');
    mapsObj = compileFixture(work, 'maps');
    fs.chmodSync(mapsObj, 0o644);
    execFileSync('useradd', ['-M', '-N', '-s', '/bin/sh', '-d', '/nonexistent', user]);
    userDir = path.join(work, 'user-owned');
    fs.mkdirSync(userDir);
    execFileSync('chown', [user, userDir]);
  });

  after(function () {
    fs.rmSync(sudoers, { force: true });
    spawnSync('userdel', [user]);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('install-helper copies the bundle root-owned and installs a visudo-checked rule naming exactly it', function () {
    const r = spawnSync(process.execPath, [cli, 'install-helper', '--prefix', prefix, '--user', user, '--sudoers', sudoers, '--json'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    inst = JSON.parse(r.stdout);
    assert.equal(inst.dir, path.join(prefix, `helper-${inst.hash}`));
    assert.equal(inst.helper, path.join(inst.dir, 'helper.js'));
    for (const f of ['helper.js', 'MANIFEST', 'install.json', 'bpf/map_count.bpf.o', 'node_modules/koffi/index.cjs']) {
      assert.ok(fs.existsSync(path.join(inst.dir, f)), f);
    }
    assert.ok(
      treeOf(inst.dir).some((f) => f.endsWith('koffi.node')),
      'the native module is in the install',
    );
    for (const f of [...treeOf(inst.dir), prefix, path.dirname(prefix)]) {
      const st = fs.lstatSync(f);
      assert.equal(st.uid, 0, f);
      assert.equal(st.gid, 0, f);
      assert.equal(st.mode & 0o7777, st.isDirectory() ? 0o755 : 0o644, `${f}: ${(st.mode & 0o7777).toString(8)}`);
    }
    const text = fs.readFileSync(sudoers, 'utf8');
    assert.equal(text, inst.rule);
    assert.equal(fs.statSync(sudoers).mode & 0o777, 0o440);
    assert.ok(!/\*/.test(text.replace(/^#.*$/gm, '')), 'no wildcards');
    assert.match(text, new RegExp(`^Cmnd_Alias EBPFWB_HELPER_\\w+ = ${inst.node} ${inst.helper}$`, 'm'));
    assert.match(text, new RegExp(`^${user} ALL=\\(root\\) NOPASSWD: EBPFWB_HELPER_\\w+$`, 'm'));
    execFileSync('visudo', ['-cf', sudoers]);
    // Again: the same version is found intact and kept.
    const again = spawnSync(process.execPath, [cli, 'install-helper', '--prefix', prefix, '--user', user, '--sudoers', sudoers], {
      encoding: 'utf8',
    });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /already installed/);
  });

  it('the non-root user runs the helper as root through that rule (sudo -n -u root): hello and a real load', async function () {
    const client = new HelperClient(argvTransport(['runuser', '-u', user, '--', 'sudo', '-n', '-u', 'root', inst.node, inst.helper]));
    try {
      const hello = await client.hello();
      assert.equal(hello.uid, 0);
      const obj = await client.loadObject({ path: mapsObj });
      assert.ok(obj.maps.length > 0 && obj.programs.length > 0, JSON.stringify(obj));
      const listed = (await client.listMaps()).maps.map((m) => m.id);
      for (const m of obj.maps) assert.ok(listed.includes(m.id), `map ${m.id} is in the kernel`);
      await client.unloadObject(obj.handle);
    } finally {
      await client.dispose();
    }
  });

  it('the CLI as that user finds the install of its version and uses it; without it, says to run install-helper', function () {
    // A readable copy of the extension (what VS Code installs), run by the user: the same bundle hash.
    const ext = path.join(work, 'extension');
    fs.mkdirSync(path.join(ext, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(ext, 'package.json'));
    for (const f of ['cli.js', 'helper.js']) fs.copyFileSync(path.join(repoRoot, 'dist', f), path.join(ext, 'dist', f));
    fs.cpSync(path.join(repoRoot, 'dist', 'bpf'), path.join(ext, 'dist', 'bpf'), { recursive: true });
    const nm = fs.realpathSync(path.join(repoRoot, 'node_modules'));
    fs.cpSync(path.join(nm, 'koffi'), path.join(ext, 'node_modules', 'koffi'), { recursive: true });
    fs.cpSync(path.join(nm, '@koromix'), path.join(ext, 'node_modules', '@koromix'), { recursive: true });
    execFileSync('chmod', ['-R', 'a+rX', ext]);
    const maps = asUser([inst.node, path.join(ext, 'dist', 'cli.js'), 'maps', '--json'], { EBPF_WORKBENCH_HELPER_PREFIX: prefix });
    assert.equal(maps.status, 0, maps.stderr + maps.stdout);
    assert.ok(Array.isArray(JSON.parse(maps.stdout).maps), maps.stdout);

    const empty = path.join(work, 'empty-prefix');
    fs.mkdirSync(empty, { mode: 0o755 });
    const missing = asUser([inst.node, path.join(ext, 'dist', 'cli.js'), 'maps', '--json'], { EBPF_WORKBENCH_HELPER_PREFIX: empty });
    assert.equal(missing.status, 1);
    const err = JSON.parse(missing.stdout).error as { code: string; message: string; fix: string };
    assert.equal(err.code, 'PERMISSION');
    assert.match(err.message, new RegExp(`root-owned install of this version \\(${empty}/helper-${inst.hash}\\) is missing`));
    assert.match(err.fix, /sudo .*cli\.js install-helper --user /);
  });

  it('the user cannot change the installed files, nor run anything else through the rule', function () {
    for (const [what, cmd] of [
      ['append to helper.js', `echo 'process.exit(9)' >> ${inst.helper}`],
      ['replace a BPF object', `cp /bin/sh ${inst.dir}/bpf/map_count.bpf.o`],
      ['add a file', `touch ${inst.dir}/evil.js`],
      ['rename the folder', `mv ${inst.dir} ${inst.dir}.old`],
      ['replace koffi.node', `rm -rf ${inst.dir}/node_modules/@koromix`],
      ['edit the sudoers rule', `echo '${user} ALL=(ALL) NOPASSWD: ALL' >> ${sudoers}`],
    ]) {
      const r = asUser(['sh', '-c', cmd]);
      assert.notEqual(r.status, 0, `${what} succeeded`);
      assert.match(r.stderr, /Permission denied/, what);
    }
    execFileSync('sha256sum', ['-c', '--quiet', 'MANIFEST'], { cwd: inst.dir }); // still exactly what was installed

    // A copy in the user's own folder is not what the rule names: sudo asks for a password (-n: refuses).
    const own = path.join(userDir, 'helper.js');
    fs.copyFileSync(inst.helper, own);
    execFileSync('chown', [user, own]);
    for (const argv of [
      [inst.node, own],
      [inst.node, inst.helper, '--object-host'],
      [inst.node, '--inspect', inst.helper],
      ['/bin/sh', '-c', 'id'],
    ]) {
      const r = asUser(['sudo', '-n', '-u', 'root', ...argv]);
      assert.notEqual(r.status, 0, argv.join(' '));
      assert.match(r.stderr, /a password is required/, argv.join(' '));
    }
    const env = asUser(['sudo', '-n', '-u', 'root', `NODE_OPTIONS=--require=${own}`, inst.node, inst.helper]);
    assert.match(env.stderr, /not allowed to set the following environment variables: NODE_OPTIONS/);
  });

  it('started as root, a helper in a folder the user owns refuses to run, naming the file and the fix', async function () {
    const copy = path.join(userDir, 'bundle');
    fs.cpSync(inst.dir, copy, { recursive: true });
    fs.rmSync(path.join(copy, 'install.json'));
    execFileSync('chown', ['-R', user, copy]);
    const r = spawnSync(inst.node, [path.join(copy, 'helper.js')], { input: '', encoding: 'utf8', env: { PATH: process.env.PATH } });
    assert.equal(r.status, UNTRUSTED_EXIT, r.stderr);
    assert.ok(r.stderr.startsWith(REFUSAL_PREFIX), r.stderr);
    assert.match(r.stderr, new RegExp(`${copy}/helper\\.js is owned by uid \\d+, not root`));
    assert.match(r.stderr, /install-helper/);

    // Root-owned files in a folder the user owns are refused too (the user could swap them).
    execFileSync('chown', ['-R', 'root', copy]);
    const inOwned = spawnSync(inst.node, [path.join(copy, 'helper.js')], { input: '', encoding: 'utf8', env: { PATH: process.env.PATH } });
    assert.equal(inOwned.status, UNTRUSTED_EXIT);
    assert.match(inOwned.stderr, new RegExp(`${userDir} is owned by uid \\d+, not root; it holds ${copy}/helper\\.js`));

    // Only the native module writable: refused before koffi is loaded.
    execFileSync('chown', ['-R', 'root', userDir]);
    const native = treeOf(copy).find((f) => f.endsWith('koffi.node'))!;
    fs.chmodSync(native, 0o666);
    const nat = spawnSync(inst.node, [path.join(copy, 'helper.js')], { input: '', encoding: 'utf8', env: { PATH: process.env.PATH } });
    assert.equal(nat.status, UNTRUSTED_EXIT);
    assert.match(nat.stderr, /koffi\.node is writable by its group and others \(mode 666\)/);

    // Through the local transport as root: a PERMISSION error with the same words.
    const client = new HelperClient(localTransport({ helperPath: path.join(copy, 'helper.js'), nodePath: inst.node }));
    await assert.rejects(client.hello(), (e: unknown) => {
      assert.ok(e instanceof HelperClientError, String(e));
      assert.equal(e.code, 'PERMISSION');
      assert.match(e.message, /refusing to run as root: .*koffi\.node is writable by its group and others/);
      assert.match(e.data.fix!, /install-helper/);
      return true;
    });
    await client.dispose();

    // The development escape: honoured from a root parent (this test), ignored through sudo.
    const escaped = new HelperClient(
      localTransport({ helperPath: path.join(copy, 'helper.js'), nodePath: inst.node, env: { [ALLOW_UNTRUSTED_ENV]: '1' } }),
    );
    try {
      assert.equal((await escaped.hello()).uid, 0);
    } finally {
      await escaped.dispose();
    }
    const viaSudo = spawnSync('sudo', ['-n', `${ALLOW_UNTRUSTED_ENV}=1`, inst.node, path.join(copy, 'helper.js')], {
      input: '',
      encoding: 'utf8',
    });
    assert.equal(viaSudo.status, UNTRUSTED_EXIT, viaSudo.stderr);
    assert.match(viaSudo.stderr, new RegExp(`${ALLOW_UNTRUSTED_ENV} ignored: started through sudo`));
  });

  it('a node the user can write is copied into the install and the rule names the copy', function () {
    const userNode = path.join(userDir, 'node');
    fs.copyFileSync(inst.node, userNode);
    execFileSync('chown', [user, userNode]);
    const p2 = path.join(work, 'lib2');
    const r = spawnSync(process.execPath, [cli, 'install-helper', '--prefix', p2, '--user', user, '--node', userNode, '--print'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const copied = path.join(p2, `helper-${inst.hash}`, 'node');
    assert.match(r.stdout, new RegExp(`node: copied to ${copied}, because ${userNode} is owned by uid`));
    assert.match(r.stdout, new RegExp(`Cmnd_Alias \\w+ = ${copied} ${p2}/helper-${inst.hash}/helper\\.js`));
    const st = fs.statSync(copied);
    assert.deepEqual([st.uid, st.mode & 0o7777], [0, 0o755]);
  });
});
