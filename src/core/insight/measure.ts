// Loading an object so that every load yields its complexity budget: log level 4 (statistics only,
// no trace: cheap) for every program; when the verifier rejects one, the load is repeated at level
// 1|4 so the rejection keeps the trace that diagnostics and the stepper need. Accepted programs
// also get the kernel's verified_insns.
import { HelperClient, HelperClientError } from '../connection/client';
import type { LoadFailureDetails, ObjectLoadParams, ObjectLoadResult } from '../../protocol/types';
import { budgetFromLog, LOG_LEVEL_STATS, type ProgramBudget } from './budget';

export interface MeasuredLoad {
  /** The load's result when every program was accepted. */
  result?: ObjectLoadResult;
  /** The helper's error when one was rejected (its log is the level 1|4 trace). */
  error?: HelperClientError;
  /** One per program the load reached: every program when accepted, the rejected one otherwise. */
  budgets: ProgramBudget[];
}

/** `traceOnReject`: repeat a rejected load at level 1|4 so the error carries the verifier's trace. */
export async function loadMeasured(
  client: HelperClient,
  params: Omit<ObjectLoadParams, 'logLevel'>,
  traceOnReject = true,
): Promise<MeasuredLoad> {
  try {
    const result = await client.loadObject({ ...params, logLevel: LOG_LEVEL_STATS });
    const budgets = result.programs.map((p) => budgetFromLog(p.name, p.log ?? '', 'accepted', p.verifiedInsns));
    return { result, budgets };
  } catch (e) {
    if (!(e instanceof HelperClientError) || e.data.code !== 'VERIFIER_REJECTED') throw e;
    let error = e;
    if (traceOnReject) {
      try {
        await client.loadObject({ ...params, logLevel: LOG_LEVEL_STATS | 1 }).then((r) => client.unloadObject(r.handle));
      } catch (again) {
        if (again instanceof HelperClientError && again.data.code === 'VERIFIER_REJECTED') error = again;
        else throw again;
      }
    }
    const d = error.data.details as LoadFailureDetails | undefined;
    const name = d?.program ?? '?';
    return { error, budgets: [budgetFromLog(name, d?.verifierLog ?? '', 'rejected')] };
  }
}

/** Loads, measures and unloads at once (the CLI's `stats OBJ`). */
export async function measureObject(client: HelperClient, params: Omit<ObjectLoadParams, 'logLevel'>): Promise<MeasuredLoad> {
  const m = await loadMeasured(client, params, false);
  if (m.result) await client.unloadObject(m.result.handle);
  return m;
}
