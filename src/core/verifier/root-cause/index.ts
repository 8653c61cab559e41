// Where the root cause of a finding is: each catalog family names its causes (`causes` of its
// entry, typed RootCause ids), and each cause has one function here that looks for it in the
// verifier's walk and the sources. Steps that read evidence any family may carry (where a
// register got its value, an array's length, an inlined helper's return) run for every finding.
// Adding a family's cause touches one group file once (its function) and this one (its place in ORDER).
import { catalog } from '../catalog';
import type { RootCause } from '../types';
import { stateOf, type CauseInput, type CauseState } from './state';
import { memoryCauses } from './memory';
import { packetCauses } from './packet';
import { programCauses } from './program';
import { referenceCauses } from './references';
import { returnCauses } from './returns';
import {
  programPlace,
  globalCallee,
  overwrittenPointer,
  spilledBeforeCheck,
  pointerSubtracted,
  partialNullCheck,
  outParameterCheck,
  boundConstants,
  registerOrigin,
  arrayIndex,
  lastCheckOfOperand,
  sizeofAsCount,
  keylessMap,
  currentTask,
  inlineReturn,
  callSite,
  zeroSizeArgument,
  regionSize,
  macroArithmetic,
  checkedInGlobalFunction,
  sizeFromMemory,
  callbackParameter,
  narrowSignedOperand,
  nonConstGlobal,
  valueForPointer,
  memberTooSmall,
} from './steps';

export type { CauseInput } from './state';

const BY_CAUSE: Record<RootCause, (s: CauseState) => void> = {
  ...referenceCauses,
  ...returnCauses,
  ...memoryCauses,
  ...packetCauses,
  ...programCauses,
};

/** The order the steps run in: a later step reads what an earlier one found (and its wording follows). */
const ORDER: (RootCause | ((s: CauseState) => void))[] = [
  programPlace,
  'acquisition',
  'callback',
  'return-range',
  'function-return',
  'callback-definition',
  globalCallee,
  'value-type',
  'special-field',
  'open-section',
  overwrittenPointer,
  'closed-section',
  registerOrigin,
  regionSize,
  macroArithmetic,
  checkedInGlobalFunction,
  sizeFromMemory,
  spilledBeforeCheck,
  pointerSubtracted,
  partialNullCheck,
  outParameterCheck,
  boundConstants,
  'stack-argument',
  'released-pointer',
  'scalar-pointer',
  'written-memory',
  'pointer-member',
  'pointer-cast',
  'member-alignment',
  'special-member',
  'object-type',
  'skipped-release',
  'map-definition',
  'stack-buffer',
  'stack-object',
  'loop-condition',
  'loop-progress',
  'instruction-budget',
  'packet-check',
  'core-field',
  'prototype-argument',
  'kernel-array-index',
  'moved-pointer',
  'program-type',
  'tail-call-frames',
  'call-chain',
  'large-locals',
  'license',
  'released-dynptr',
  'invalidated-packet',
  'argument-signature',
  'size-argument',
  zeroSizeArgument,
  arrayIndex,
  lastCheckOfOperand,
  sizeofAsCount,
  keylessMap,
  currentTask,
  inlineReturn,
  callSite,
  callbackParameter,
  narrowSignedOperand,
  nonConstGlobal,
  valueForPointer,
  memberTooSmall,
];

/** Causes without a place in ORDER (never run) and causes no catalog entry names (dead code): both should be empty. */
export function rootCauseCoverage(): { unordered: RootCause[]; unnamed: RootCause[] } {
  const ids = Object.keys(BY_CAUSE) as RootCause[];
  const named = new Set(catalog.flatMap((e) => e.causes ?? []));
  return { unordered: ids.filter((c) => !ORDER.includes(c)), unnamed: ids.filter((c) => !named.has(c)) };
}

/** Related locations, quick fixes and case-specific words for a finding: where its cause is. */
export function findRootCause(input: CauseInput): void {
  const s = stateOf(input);
  for (const step of ORDER) {
    if (typeof step === 'function') step(s);
    else if (s.has(step)) BY_CAUSE[step](s);
  }
  // Keep only locations that say something beyond the primary line.
  const f = input.f;
  f.related = f.related.filter((r, i, all) => all.findIndex((q) => q.line === r.line && q.file === r.file) === i);
}
