// `ebpf-workbench`: the command line over the same helper the extension uses.
import { connectTarget } from './connect';
import { UsageError } from './args';
import { countCommand } from './count';
import { explainMain } from './explain';
import { loadCommand } from './load';
import { mapsCommand } from './maps';
import { reportError } from './output';
import { runCommand } from './run';
import { traceCommand } from './trace';
import { eventsCommand } from './events';
import { mapEditCommand } from './mapEdit';
import { statsCommand } from './stats';
import { disasmCommand } from './disasm';
import { installHelperCommand } from './installHelper';
import type { HelperClient } from '../core/connection/client';

const USAGE = `usage: ebpf-workbench [--target <user@host[:port] | alias>] [--ssh-config FILE] <command> [options]

  maps [--json]                                   every map: id, name, type, count/max, method
  count <id|name|/sys/fs/bpf/path> [--method M] [--json]
                                                  element count (methods: iterator, max_entries, for_each, batch, walk)
  load <file.bpf.o> [--attach [--iface NAME] [--cgroup PATH] [--direction D] [--xdp-mode M] [--binary PATH] [--function F] [--pid N]]
       [--pin DIR] [--log-level N] [--json]       load (and attach) and keep until Ctrl-C (or pin and exit)
  run <prog id|name> [--data-in FILE] [--ctx-in FILE] [--repeat N] [--json]
                                                  test-run a loaded program (BPF_PROG_TEST_RUN)
  explain <log|-> [--source DIR] [--object FILE.o] [--heat] [--json]
                                                  explain a verifier log (--object: the loaded object's line info;
                                                  --heat: instruction visits per source line)
  stats <file.bpf.o|prog> [file2.bpf.o] [--baseline stats.json] [--save] [--json]
                                                  verifier budget per program (insns, states, stack, time); compare two
  disasm <file.bpf.o|prog> [--jited] [--json]     instructions interleaved with their source lines
  trace [--prog ID|NAME]... [--no-pipe] [--json]  bpf_printk output (tracing pipe; BPF streams of --prog) until Ctrl-C
  events <map> [--type NAME] [--count N] [--json] ring buffer / perf event array records, decoded with BTF
  map update|delete|clear|push|pop|peek <map> [--key K] [--value V] [--mode any|noexist|exist] [--json]
                                                  edit a map (JSON following its BTF type, numbers, IPs, "strings", hex:..)
  install-helper [--user NAME]... [--group NAME]... [--print]
                                                  (with sudo) root-owned helper install + sudoers rule for non-root users

Needs root: run as root, or once "sudo ebpf-workbench install-helper --user <you>" (see install-helper --help).
With --target, the helper runs on that Linux host over the system ssh client (your ~/.ssh/config,
agent and known_hosts apply); objects are sent to it, so "load" takes a local file.
`;

const HELPER_COMMANDS: Record<string, (client: HelperClient, argv: string[]) => Promise<number>> = {
  maps: mapsCommand,
  count: countCommand,
  load: loadCommand,
  run: runCommand,
  trace: traceCommand,
  events: eventsCommand,
  map: mapEditCommand,
  stats: statsCommand,
  disasm: disasmCommand,
};

/** Global options come before the command: `--target X`, `--target=X`, `--ssh-config F`. */
function takeGlobalOptions(argv: string[]): { target?: string; sshConfig?: string; rest: string[] } {
  const out: { target?: string; sshConfig?: string } = {};
  let i = 0;
  for (; i < argv.length; i++) {
    const m = /^--(target|ssh-config)(?:=(.*))?$/.exec(argv[i]);
    if (!m) break;
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${m[1]} needs a value`);
    if (m[1] === 'target') out.target = value;
    else out.sshConfig = value;
  }
  return { ...out, rest: argv.slice(i) };
}

async function main(argv: string[]): Promise<number> {
  let globals: ReturnType<typeof takeGlobalOptions>;
  try {
    globals = takeGlobalOptions(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command, ...rest] = globals.rest;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  // explain is pure log analysis: it needs no helper, no root and no kernel.
  if (command === 'explain') return explainMain(rest);
  if (command === 'install-helper') {
    try {
      return await installHelperCommand(rest, globals.target, globals.sshConfig);
    } catch (e) {
      if (e instanceof UsageError) {
        process.stderr.write(`${e.message}\n`);
        return 2;
      }
      return reportError(e, rest.includes('--json'));
    }
  }
  const run = HELPER_COMMANDS[command];
  if (!run) {
    process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  const json = rest.includes('--json');
  let client: HelperClient;
  try {
    client = await connectTarget(globals.target, globals.sshConfig);
  } catch (e) {
    return reportError(e, json);
  }
  client.onDidLog((p) => process.stderr.write(`${p.level === 'warn' ? 'warning' : 'note'}: ${p.message}\n`));
  try {
    return await run(client, rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    return reportError(e, json);
  } finally {
    await client.dispose();
  }
}

// exitCode, not process.exit(): stdout to a pipe is written asynchronously and must drain.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  },
);
