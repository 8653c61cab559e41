// `ebpf-workbench disasm <OBJ|PROG> [--jited] [--json]`: instructions interleaved with the source
// lines they came from. A loaded program (id or name) is read from the kernel (xlated, as
// `bpftool prog dump xlated linum` prints it); an object is loaded, read and unloaded, and a
// program the verifier rejects is listed from its level-2 log instead.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { HelperClientError, type HelperClient } from '../core/connection/client';
import { bufferSource } from '../core/insight/logIndex';
import { indexText } from '../core/insight/budget';
import { formatListing, listFromLog, listXlated, type Listing } from '../core/insight/listing';
import { Stepper } from '../core/insight/stepper';
import type { LoadFailureDetails } from '../protocol/types';
import { parseArgs, UsageError } from './args';
import { printJson } from './output';
import { resolveProgram } from './resolve';

const USAGE = 'usage: ebpf-workbench disasm <file.bpf.o | prog id | name> [--jited] [--json]';

async function listObject(client: HelperClient, file: string, remote: boolean, jited: boolean): Promise<Listing[]> {
  const object = remote ? { bytes: readFileSync(file).toString('base64') } : { path: file };
  try {
    const r = await client.loadObject(object);
    try {
      const out: Listing[] = [];
      for (const p of r.programs) out.push({ ...listXlated(await client.programInsns(p.id, jited)), program: p.name });
      return out;
    } finally {
      await client.unloadObject(r.handle);
    }
  } catch (e) {
    if (!(e instanceof HelperClientError) || e.data.code !== 'VERIFIER_REJECTED') throw e;
    // Rejected: its instructions come from the verifier's own listing in a level-2 log.
    let log = (e.data.details as LoadFailureDetails | undefined)?.verifierLog ?? '';
    try {
      await client.loadObject({ ...object, logLevel: 2 }).then((r) => client.unloadObject(r.handle));
    } catch (again) {
      if (again instanceof HelperClientError && again.data.code === 'VERIFIER_REJECTED')
        log = (again.data.details as LoadFailureDetails | undefined)?.verifierLog ?? log;
    }
    const index = indexText(log);
    const stepper = new Stepper(index, bufferSource(log));
    const name = (e.data.details as LoadFailureDetails | undefined)?.program;
    const program = index.programs.find((p) => p.endStep > p.firstStep) ?? index.programs[0];
    if (!program) throw e;
    return [await listFromLog(index, program, async (s) => (await stepper.readStepLines(s, s + 1))[0], name)];
  }
}

export async function disasmCommand(client: HelperClient, argv: string[], remote = false): Promise<number> {
  const args = parseArgs(argv, { flags: ['json', 'jited'] });
  if (args.positionals.length !== 1) throw new UsageError(USAGE);
  const ref = args.positionals[0];
  const jited = args.flags.has('jited');
  let listings: Listing[];
  if (/\.o$/.test(ref)) listings = await listObject(client, path.resolve(ref), remote, jited);
  else {
    const id = await resolveProgram(client, ref);
    listings = [listXlated(await client.programInsns(id, jited))];
  }
  if (args.flags.has('json')) {
    printJson({
      programs: listings.map((l) => ({
        name: l.program,
        origin: l.origin,
        insns: l.insns.map((i) => ({
          index: i.index,
          text: i.text,
          file: i.file,
          line: i.line,
          column: i.column,
          source: i.source,
          jited: i.jited,
        })),
      })),
    });
    return 0;
  }
  process.stdout.write(listings.map((l) => formatListing(l)).join('\n'));
  return 0;
}
