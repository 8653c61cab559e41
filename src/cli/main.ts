// `ebpf-workbench`: the command line over the same helper the extension uses.
import { startLocalHelper } from '../target/local';
import { UsageError } from './args';
import { countCommand } from './count';
import { explainMain } from './explain';
import { loadCommand } from './load';
import { mapsCommand } from './maps';
import { reportError } from './output';
import { runCommand } from './run';
import type { HelperClient } from '../target/client';

const USAGE = `usage: ebpf-workbench <command> [options]

  maps [--json]                                   every map: id, name, type, count/max, method
  count <id|name|/sys/fs/bpf/path> [--method M] [--json]
                                                  element count (methods: iterator, max_entries, for_each, batch, walk)
  load <file.bpf.o> [--pin DIR] [--log-level N] [--json]
                                                  load and keep loaded until Ctrl-C (or pin and exit)
  run <prog id|name> [--data-in FILE] [--ctx-in FILE] [--repeat N] [--json]
                                                  test-run a loaded program (BPF_PROG_TEST_RUN)
  explain <log|-> [--source DIR] [--json]         explain a verifier log

Needs root: run as root, or allow "sudo -n" for the helper (the error says how).
`;

const HELPER_COMMANDS: Record<string, (client: HelperClient, argv: string[]) => Promise<number>> = {
  maps: mapsCommand,
  count: countCommand,
  load: loadCommand,
  run: runCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  // explain is pure log analysis: it needs no helper, no root and no kernel.
  if (command === 'explain') return explainMain(rest);
  const run = HELPER_COMMANDS[command];
  if (!run) {
    process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  const json = rest.includes('--json');
  const client = startLocalHelper();
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
