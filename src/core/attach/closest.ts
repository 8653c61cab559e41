// "Did you mean": the names closest to one that does not exist (a kprobe on a function that is not
// in /proc/kallsyms, an interface that is not there). Substring matches first, then by edit
// distance; pure.

/** Levenshtein distance of `a` and `b`, or `limit + 1` as soon as it must exceed `limit`. */
export function distance(a: string, b: string, limit = Math.max(a.length, b.length)): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      best = Math.min(best, cur[j]);
    }
    if (best > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length];
}

/** Up to `max` candidates closest to `want`, best first (none when nothing is close). */
export function closestNames(want: string, candidates: Iterable<string>, max = 5): string[] {
  const limit = Math.max(2, Math.floor(want.length / 3));
  const scored: { name: string; score: number }[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(c) || c === want) continue;
    seen.add(c);
    // Compiler clones (do_sys_open.isra.0, foo.constprop.0) are what an inlined name left behind.
    const base = c.replace(/\.(isra|constprop|part|cold|llvm)\.?\d*.*$/, '');
    if (base === want) scored.push({ name: c, score: -2 });
    else if (c.includes(want) || (want.length >= 4 && want.includes(c) && c.length >= want.length - limit))
      scored.push({ name: c, score: -1 + Math.abs(c.length - want.length) / 1000 });
    else {
      const d = distance(want, c, limit);
      if (d <= limit) scored.push({ name: c, score: d });
    }
  }
  return scored
    .sort((a, b) => a.score - b.score || a.name.length - b.name.length || a.name.localeCompare(b.name))
    .slice(0, max)
    .map((s) => s.name);
}
