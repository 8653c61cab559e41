// What a target does when its helper cannot start: wait for the user (a failure only they can fix)
// or retry with backoff (a failure that may go away). Pure, so the decision is unit-tested.
import { HelperClientError } from './client';
import { SshTargetError } from './ssh';

export type StartFailureDecision =
  /** Show `title` with the message and fix, and a Retry action; no automatic retries. */
  { wait: true; title: string; message: string; fix?: string } | { wait: false; message: string };

export function decideStartFailure(e: unknown): StartFailureDecision {
  if (e instanceof SshTargetError && !e.retryable) {
    // Auth failures, host keys, a missing node or sudo rule: retrying every 30 s changes nothing,
    // and repeated failed logins can get the address banned (fail2ban).
    return { wait: true, title: 'needs attention', message: e.data.message, fix: e.data.fix };
  }
  if (e instanceof HelperClientError && e.code === 'PERMISSION') {
    return { wait: true, title: 'needs privileges', message: e.data.message, fix: e.data.fix };
  }
  return { wait: false, message: (e as Error)?.message ?? String(e) };
}
