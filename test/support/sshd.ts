// A throwaway OpenSSH server on 127.0.0.1 for the remote tests: its own host key, one authorized
// user key, a client config (-F) with its own known_hosts, all in a temp folder. Nothing in ~/.ssh
// or /etc/ssh is read or written. stop() kills the server and every session it forked (by pid).
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TestSshd {
  dir: string;
  port: number;
  /** ssh -F file: `Host ebpf-test` (and `127.0.0.1`) with the key and known_hosts below. */
  clientConfig: string;
  /** A client config whose known_hosts is empty: the host key is unknown. */
  unknownHostConfig: string;
  /** A client config offering a key sshd does not accept. */
  wrongKeyConfig: string;
  logFile: string;
  /** HOME of sessions (sshd SetEnv): the remote's ~/.cache lands here, not in /root. */
  home: string;
  /** Kills sshd and all its sessions (a dropped connection, from the client's point of view). */
  kill(): Promise<void>;
  /** Starts sshd again on the same port with the same keys. */
  restart(): Promise<void>;
  /** Stops sshd and its sessions and removes the folder. */
  stop(): Promise<void>;
  /** Pids of sshd's per-connection processes (for SIGSTOP: a silent network drop). */
  sessionPids(): number[];
}

export const SSHD = '/usr/sbin/sshd';

export function sshdUnavailable(): string | undefined {
  if (!fs.existsSync(SSHD)) return `${SSHD} is missing (apt install openssh-server)`;
  if (spawnSync('ssh', ['-V']).error) return 'ssh is missing (apt install openssh-client)';
  if (process.getuid?.() !== 0) return 'sshd tests log in as root and need root';
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function keygen(file: string, comment: string): string {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return fs.readFileSync(`${file}.pub`, 'utf8').trim();
}

/** Every descendant of pid, read from /proc (children first-level and below). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(e));
      parents.set(ppid, list);
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of parents.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`sshd exited (${child.exitCode ?? child.signalCode})`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

export async function startSshd(): Promise<TestSshd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ebpf-sshd-'));
  // sshd reads authorized_keys as the logging-in user: throwaway users must be able to reach it.
  fs.chmodSync(dir, 0o711);
  const port = await freePort();
  keygen(path.join(dir, 'host_ed25519'), 'ebpf-test-host');
  const userPub = keygen(path.join(dir, 'id_ed25519'), 'ebpf-test-user');
  keygen(path.join(dir, 'wrong_ed25519'), 'ebpf-test-wrong');
  fs.writeFileSync(path.join(dir, 'authorized_keys'), userPub + '\n', { mode: 0o644 });
  const hostPub = fs.readFileSync(path.join(dir, 'host_ed25519.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  fs.writeFileSync(path.join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostPub}\n`);
  fs.writeFileSync(path.join(dir, 'known_hosts_empty'), '');
  const logFile = path.join(dir, 'sshd.log');
  const home = path.join(dir, 'home');
  fs.mkdirSync(home);

  const sshdConfig = path.join(dir, 'sshd_config');
  fs.writeFileSync(
    sshdConfig,
    [
      `ListenAddress 127.0.0.1:${port}`,
      `HostKey ${dir}/host_ed25519`,
      `PidFile ${dir}/sshd.pid`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'AllowTcpForwarding no',
      'X11Forwarding no',
      'PrintMotd no',
      'Subsystem sftp internal-sftp',
      'LogLevel VERBOSE',
      // root's sessions get a throwaway HOME; other (throwaway) users keep theirs.
      'Match User root',
      `  SetEnv HOME=${home}`,
      '',
    ].join('\n'),
  );

  const client = (knownHosts: string, key: string) =>
    [
      'Host ebpf-test 127.0.0.1',
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      '  User root',
      `  IdentityFile ${dir}/${key}`,
      '  IdentitiesOnly yes',
      '  IdentityAgent none',
      `  UserKnownHostsFile ${dir}/${knownHosts}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  CheckHostIP no',
      '  LogLevel INFO',
      '',
    ].join('\n');
  const clientConfig = path.join(dir, 'ssh_config');
  const unknownHostConfig = path.join(dir, 'ssh_config_unknown_host');
  const wrongKeyConfig = path.join(dir, 'ssh_config_wrong_key');
  fs.writeFileSync(clientConfig, client('known_hosts', 'id_ed25519'));
  fs.writeFileSync(unknownHostConfig, client('known_hosts_empty', 'id_ed25519'));
  fs.writeFileSync(wrongKeyConfig, client('known_hosts', 'wrong_ed25519'));

  let child: ChildProcess | undefined;
  // sshd refuses to start without its privilege separation folder (systemd normally creates it).
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const launch = async () => {
    // -D: stay in the foreground as our child; -e would send the log to stderr, -E writes it to a file.
    child = spawn(SSHD, ['-D', '-f', sshdConfig, '-E', logFile], { stdio: 'ignore' });
    await waitForPort(port, child, 5000);
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return;
    const pids = [c.pid, ...descendants(c.pid)];
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
    await exited;
  };
  try {
    await launch();
  } catch (e) {
    await kill();
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(e as Error).message}\n${log}`, { cause: e });
  }

  return {
    dir,
    port,
    clientConfig,
    unknownHostConfig,
    wrongKeyConfig,
    logFile,
    home,
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: async () => {
      await kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    sessionPids: () => (child?.pid ? descendants(child.pid) : []),
  };
}
