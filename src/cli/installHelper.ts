// `sudo ebpf-workbench install-helper`: the one-time, root-owned install of the helper of this
// version, and the sudoers drop-in that lets the given users (default: whoever ran sudo) start
// exactly it without a password. With --target, the same install on an SSH host (through sudo
// there). See core/connection/install.ts for what is copied and why.
import { parseArgs } from './args';
import { printJson } from './output';
import { DEFAULT_SUDOERS, installFiles, InstallError, installPrefix, installSudoers, sudoersText } from '../core/connection/install';
import { findExtensionRoot } from '../core/connection/ship';
import { specFromSetting } from '../core/connection/sshTarget';
import { installOnRemote } from '../core/connection/ssh';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const INSTALL_USAGE = `usage: sudo ebpf-workbench install-helper [--user NAME]... [--group NAME]... [--prefix DIR] [--node PATH]
                                      [--sudoers FILE] [--print] [--json]
       ebpf-workbench --target <ssh target> install-helper [--user NAME]... [--group NAME]...

  Copies the helper of this version to a root-owned folder (default ${installPrefix()}/helper-<hash>/)
  and installs a sudoers rule (default ${DEFAULT_SUDOERS}, checked with visudo -cf first) that lets
  the users or groups run exactly that node and that helper.js as root without a password.
  --user defaults to the user who ran sudo. --print prints the rule instead of installing it.
  --node: the Node.js 18+ to name (default: the one running this; copied into the folder unless it
  and its folders are root's alone). With --target, the host's sudo asks for a password on this terminal.
`;

function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(findExtensionRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function installHelperCommand(argv: string[], target?: string, sshConfig?: string): Promise<number> {
  const a = parseArgs(argv, {
    flags: ['print', 'json', 'help'],
    options: ['user', 'group', 'prefix', 'node', 'sudoers'],
    repeatable: ['user', 'group'],
  });
  if (a.flags.has('help')) {
    process.stdout.write(INSTALL_USAGE);
    return 0;
  }
  if (a.positionals.length) {
    process.stderr.write(`unexpected argument "${a.positionals[0]}"\n\n${INSTALL_USAGE}`);
    return 2;
  }
  const json = a.flags.has('json');
  const users = a.all.get('user') ?? [];
  const groups = a.all.get('group') ?? [];
  try {
    if (target !== undefined && target !== '' && target !== 'local') {
      const result = await installOnRemote(
        specFromSetting(target),
        { configFile: sshConfig, log: (l) => process.stderr.write(`${l}\n`) },
        { users, groups },
      );
      if (json) printJson(result);
      else
        process.stdout.write(
          `installed the helper ${result.hash} on ${target} in ${result.dir}; sudoers rule for ${result.allowed.join(', ') || 'root only'}\n`,
        );
      return 0;
    }
    if (users.length === 0 && groups.length === 0 && process.env.SUDO_USER && process.env.SUDO_USER !== 'root')
      users.push(process.env.SUDO_USER);
    const inst = installFiles({ prefix: a.options.get('prefix'), node: a.options.get('node') });
    const allowed = users.length + groups.length > 0;
    const text = allowed ? sudoersText(inst, { users, groups }, packageVersion()) : undefined;
    const sudoers = path.resolve(a.options.get('sudoers') ?? DEFAULT_SUDOERS);
    if (text && !a.flags.has('print')) installSudoers(text, sudoers);
    if (json) {
      printJson({ ...inst, sudoers: text && !a.flags.has('print') ? sudoers : undefined, rule: text });
      return 0;
    }
    const out = process.stdout;
    out.write(`${inst.reused ? 'already installed' : 'installed'}: ${inst.dir} (root-owned; version ${inst.hash})\n`);
    if (inst.nodeCopied) out.write(`node: copied to ${inst.node}, because ${inst.nodeWhy}\n`);
    else out.write(`node: ${inst.node}\n`);
    if (!text) out.write('no --user or --group given (and not run through sudo): no sudoers rule; root can run the helper as is\n');
    else if (a.flags.has('print')) out.write(`sudoers rule (not installed; put it in ${sudoers} with visudo -f):\n${text}`);
    else
      out.write(
        `sudoers: ${sudoers} allows ${[...users, ...groups.map((g) => `%${g}`)].join(', ')} to run exactly\n  ${inst.node} ${inst.helper}\n`,
      );
    return 0;
  } catch (e) {
    if (e instanceof InstallError) {
      if (json) printJson({ error: { code: 'INSTALL', message: e.message, fix: e.fix } });
      else process.stderr.write(`error: ${e.message}\nfix: ${e.fix}\n`);
      return 1;
    }
    throw e;
  }
}
