// SSH target strings, the ssh argv built from them, remote quoting, ssh error classification and
// the shipped bundle's tar: pure code, no network.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  formatHostSpec,
  parseTarget,
  remoteShCommand,
  shellQuote,
  specFromSetting,
  sshArgs,
  TargetSyntaxError,
} from '../../src/core/connection/sshTarget';
import { classifyExit, classifySshStderr, installAdvice, SshTargetError } from '../../src/core/connection/ssh';
import { HelperClientError } from '../../src/core/connection/client';
import { backoffDelayMs, decideStartFailure } from '../../src/core/connection/supervisor';
import { nodeArchOf, tarBundle } from '../../src/core/connection/ship';

describe('SSH target strings', function () {
  it('parses the accepted forms', function () {
    assert.deepEqual(parseTarget('host'), { user: undefined, host: 'host', port: undefined });
    assert.deepEqual(parseTarget('alice@build-01.example.com'), { user: 'alice', host: 'build-01.example.com', port: undefined });
    assert.deepEqual(parseTarget('root@10.0.0.7:2222'), { user: 'root', host: '10.0.0.7', port: 2222 });
    assert.deepEqual(parseTarget('[::1]:2200'), { user: undefined, host: '::1', port: 2200 });
    assert.deepEqual(parseTarget('bob@[fe80::1%eth0]'), { user: 'bob', host: 'fe80::1%eth0', port: undefined });
    assert.deepEqual(parseTarget('my_alias'), { user: undefined, host: 'my_alias', port: undefined });
    assert.deepEqual(parseTarget('  host:22 '), { user: undefined, host: 'host', port: 22 });
  });

  it('parses jump hosts and writes every form back canonically', function () {
    const t = parseTarget('root@db', 'alice@bastion:2222, [2001:db8::5]');
    assert.deepEqual(t.jump, ['alice@bastion:2222', '[2001:db8::5]']);
    for (const s of ['host', 'u@h:1', '[::1]:22', 'u@[2001:db8::1]']) assert.equal(formatHostSpec(parseTarget(s)), s);
  });

  it('refuses option smuggling, shell syntax and malformed addresses', function () {
    const bad = [
      '',
      '-oProxyCommand=sh -c id',
      '-oProxyCommand=id',
      '-F/tmp/x',
      '-',
      'host -p 1',
      'a b',
      'host\n-oProxyCommand=id',
      'ho\rst',
      'ho\tst',
      'ho\x00st',
      'host;id',
      'host&&id',
      'host|id',
      '$(id)',
      '${IFS}',
      '`id`',
      "o'neil@host",
      'host"',
      'host\\x',
      'host>x',
      '-user@host',
      'user@-host',
      '.hidden',
      'user@',
      '@host',
      'host:',
      'host:-1',
      'host:0',
      'host:65536',
      'host:22x',
      'a:b:c',
      '[::1',
      '[::1]x',
      '[host]:22',
      '[1.2.3.4]',
      'host%25',
      'x'.repeat(301),
      'höst',
    ];
    for (const s of bad) assert.throws(() => parseTarget(s), TargetSyntaxError, JSON.stringify(s));
    assert.throws(() => parseTarget('host', '-oProxyCommand=id'), TargetSyntaxError);
    assert.throws(() => parseTarget('host', 'a,b c'), TargetSyntaxError);
  });

  it('reads setting entries and validates the node path', function () {
    assert.deepEqual(specFromSetting('alice@h:2'), {
      destination: { user: 'alice', host: 'h', port: 2 },
      nodePath: 'node',
      label: 'alice@h:2',
    });
    const s = specFromSetting({ target: 'h', jump: 'j', nodePath: '/opt/node-20/bin/node' });
    assert.equal(s.label, 'h via j');
    assert.equal(s.nodePath, '/opt/node-20/bin/node');
    for (const n of ['node; id', '$(id)', '-e', 'rel/node', "n'", '/a b/node'])
      assert.throws(() => specFromSetting({ target: 'h', nodePath: n }), TargetSyntaxError, n);
    assert.throws(() => specFromSetting({} as never), TargetSyntaxError);
  });
});

describe('ssh argv', function () {
  it('puts the destination after --, the user in -l, and forbids forwarding', function () {
    const a = sshArgs({ user: 'alice', host: 'h.example', port: 2222, jump: ['b:22'] }, { configFile: '/home/a/.ssh/other' }, 'true');
    assert.deepEqual(a.slice(-3), ['--', 'h.example', 'true']);
    const opts = a.slice(0, -3);
    assert.ok(opts.includes('BatchMode=yes'));
    assert.ok(opts.includes('ClearAllForwardings=yes'));
    assert.deepEqual(opts.slice(opts.indexOf('-F'), opts.indexOf('-F') + 2), ['-F', '/home/a/.ssh/other']);
    assert.deepEqual(opts.slice(opts.indexOf('-p'), opts.indexOf('-p') + 2), ['-p', '2222']);
    assert.deepEqual(opts.slice(opts.indexOf('-l'), opts.indexOf('-l') + 2), ['-l', 'alice']);
    assert.deepEqual(opts.slice(opts.indexOf('-J'), opts.indexOf('-J') + 2), ['-J', 'b:22']);
    assert.ok(a.includes('-T'));
    assert.throws(() => sshArgs({ host: 'h' }, { configFile: '-oProxyCommand=x' }, 'true'), TargetSyntaxError);
  });

  it('ssh itself reads our argv as intended (ssh -G prints the resolved config)', function () {
    if (spawnSync('ssh', ['-V']).error) this.skip();
    const argv = sshArgs({ user: 'alice', host: 'h.example', port: 2222 }, { configFile: '/dev/null', connectTimeoutSeconds: 7 }, 'true');
    // -G stops before connecting; it needs the destination last, without the remote command.
    const out = execFileSync('ssh', ['-G', ...argv.slice(0, -1)], { encoding: 'utf8' });
    assert.match(out, /^user alice$/m);
    assert.match(out, /^hostname h\.example$/m);
    assert.match(out, /^port 2222$/m);
    assert.match(out, /^batchmode yes$/m);
    assert.match(out, /^connecttimeout 7$/m);
    assert.doesNotMatch(out, /^proxycommand /m);
  });
});

describe('remote command quoting', function () {
  it('single-quotes every argument so sh sees it verbatim', function () {
    const nasty = ["it's", '$(id)', '`id`', 'a b', '"q"', '\\', '*', ';id'];
    const cmd = remoteShCommand('for a in "$@"; do printf "%s\\n" "$a"; done', nasty);
    const out = execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
    assert.deepEqual(out.split('\n').slice(0, -1), nasty);
    assert.equal(shellQuote("a'b"), `'a'\\''b'`);
    assert.throws(() => remoteShCommand('echo a\necho b'));
  });
});

describe('ssh failures', function () {
  const where = 'alice@h';
  const cases: Array<[string, string]> = [
    [
      'No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\r\nHost key verification failed.\r\n',
      'host-key-unknown',
    ],
    ['@@@@@@@@@@@\r\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\nHost key verification failed.', 'host-key-changed'],
    ['alice@h: Permission denied (publickey).\r\n', 'auth-failed'],
    ['ssh: Could not resolve hostname nope: Name or service not known\r\n', 'unresolved'],
    ['ssh: connect to host 10.9.9.9 port 22: Connection timed out\r\n', 'timeout'],
    ['ssh: connect to host 127.0.0.1 port 2: Connection refused\r\n', 'unreachable'],
    ['Timeout, server 10.0.0.1 not responding.\r\n', 'dropped'],
    ['Connection to 127.0.0.1 closed by remote host.\r\n', 'dropped'],
    ['client_loop: send disconnect: Broken pipe\r\n', 'dropped'],
    ['Read from remote host 10.0.0.1: Connection reset by peer\r\n', 'dropped'],
    ['Read from remote host 10.0.0.1: Connection timed out\r\n', 'dropped'],
    ['kex_exchange_identification: read: Connection reset by peer\r\n', 'unreachable'],
    ['Connection closed by 127.0.0.1 port 22\r\n', 'unreachable'],
  ];
  for (const [stderr, reason] of cases) {
    it(`${reason}: ${stderr.trim().split('\n').pop()!.slice(0, 50)}`, function () {
      const e = classifySshStderr(stderr, where);
      assert.ok(e, 'classified');
      assert.equal(e.reason, reason);
      assert.ok(e.data.fix, 'has a fix');
    });
  }

  it('sudo and node failures from the start step', function () {
    assert.equal(classifyExit(1, 'sudo: a password is required\n', where)?.reason, 'no-sudo');
    assert.equal(classifyExit(1, 'alice is not in the sudoers file.\n', where)?.reason, 'no-sudo');
    assert.equal(classifyExit(97, 'ebpfwb: node not found\n', where)?.reason, 'no-node');
    assert.equal(classifyExit(3, 'something else', where), undefined);
    assert.equal(classifyExit(1, 'sudo: a password is required', where)?.retryable, false);
    // No rule naming the user's cache any more: the fix is the root-owned install.
    const advice = installAdvice(where, 'alice');
    assert.match(advice, /ebpf-workbench --target .* install-helper --user alice/);
    assert.ok(classifyExit(1, 'sudo: a password is required', where, 'alice')?.data.fix?.includes(advice));
    const missing = classifyExit(
      95,
      'ebpfwb: helper 0123 is not installed in /usr/local/lib/ebpf-workbench (installed there: helper-4567 )\n',
      where,
      'alice',
    );
    assert.equal(missing?.reason, 'not-installed');
    assert.match(missing!.message, /helper 0123 is not installed .*helper-4567/);
    assert.equal(missing?.retryable, false);
    assert.equal(classifyExit(94, 'ebpfwb: the helper installed in /x does not match version 0123\n', where)?.reason, 'not-installed');
    assert.equal(classifySshStderr('Connection refused', where)?.retryable, true);
  });

  it('waits for the user after a failure only they can fix (no retry loop), retries the others', function () {
    const auth = decideStartFailure(classifySshStderr('alice@h: Permission denied (publickey,password).\r\n', where));
    assert.equal(auth.wait, true);
    assert.ok(auth.wait && auth.title === 'needs attention' && auth.fix, JSON.stringify(auth));
    for (const reason of ['host-key-unknown', 'host-key-changed', 'no-node', 'no-sudo', 'no-libbpf'] as const) {
      const d = decideStartFailure(new SshTargetError(reason, `${reason} on ${where}`, 'do this'));
      assert.deepEqual(d, { wait: true, title: 'needs attention', message: `${reason} on ${where}`, fix: 'do this' });
    }
    const sudo = decideStartFailure(classifyExit(1, 'sudo: a password is required\n', where));
    assert.equal(sudo.wait, true);
    assert.equal(decideStartFailure(new HelperClientError({ code: 'PERMISSION', message: 'not root', fix: 'sudo' })).wait, true);
    // The network, a dropped session, a helper that crashed: may go away by themselves.
    assert.equal(decideStartFailure(classifySshStderr('Connection refused', where)).wait, false);
    assert.equal(decideStartFailure(new SshTargetError('dropped', 'gone', 'wait')).wait, false);
    assert.equal(decideStartFailure(new HelperClientError({ code: 'HELPER_UNAVAILABLE', message: 'exited' })).wait, false);
    assert.deepEqual(decideStartFailure(new Error('boom')), { wait: false, message: 'boom' });
  });

  it('backs off exponentially up to the cap', function () {
    const noJitter = { firstMs: 1000, maxMs: 30_000, jitter: 0 };
    assert.equal(backoffDelayMs(0, noJitter), 1000);
    assert.equal(backoffDelayMs(3, noJitter), 8000);
    assert.equal(backoffDelayMs(50, noJitter), 30_000);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelayMs(2);
      assert.ok(d >= 3200 && d <= 4800, String(d));
    }
  });
});

describe('helper bundle', function () {
  it('maps uname -m to koffi package names', function () {
    assert.equal(nodeArchOf('x86_64'), 'x64');
    assert.equal(nodeArchOf('aarch64'), 'arm64');
    assert.equal(nodeArchOf('sparc64'), undefined);
  });

  it('writes a tar that the system tar extracts byte for byte', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ebpfwb-tar-'));
    try {
      const files = [
        { name: 'helper.js', data: Buffer.from('console.log(1)\n') },
        { name: 'node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node', data: Buffer.alloc(1025, 7) },
        { name: 'empty', data: Buffer.alloc(0) },
      ];
      fs.writeFileSync(path.join(dir, 'b.tar'), tarBundle(files));
      fs.mkdirSync(path.join(dir, 'x'));
      execFileSync('tar', ['-xf', path.join(dir, 'b.tar'), '-C', path.join(dir, 'x')]);
      for (const f of files) assert.deepEqual(fs.readFileSync(path.join(dir, 'x', f.name)), f.data);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SSH settings in the manifest', function () {
  it('are machine-scoped, so a workspace can never choose hosts, ssh or its config', function () {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8'));
    const props = pkg.contributes.configuration.properties as Record<string, { scope?: string }>;
    for (const key of ['ebpfWorkbench.sshTargets', 'ebpfWorkbench.ssh.configFile', 'ebpfWorkbench.ssh.path']) {
      assert.equal(props[key]?.scope, 'machine', key);
    }
    const commands = (pkg.contributes.commands as Array<{ command: string }>).map((c) => c.command);
    assert.ok(commands.includes('ebpfWorkbench.addSshTarget'));
  });
});
