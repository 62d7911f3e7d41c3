/**
 * "Did you mean": the candidates nearest to a word by edit distance (Levenshtein), for
 * messages that name what the caller probably meant. Shared by every part (no imports).
 */

/** Levenshtein distance between two strings (one row of the table at a time). */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/**
 * The candidates within `maxDistance` edits of `word` (default: 2, or a fifth of its
 * length when longer), nearest first, then by name; at most `limit` (default 3).
 */
export function nearest(word: string, candidates: Iterable<string>, options: { maxDistance?: number; limit?: number } = {}): string[] {
  const max = options.maxDistance ?? Math.max(2, Math.floor(word.length / 5));
  const scored: { candidate: string; d: number }[] = [];
  for (const candidate of new Set(candidates)) {
    if (candidate === word || Math.abs(candidate.length - word.length) > max) continue;
    const d = editDistance(word, candidate);
    if (d <= max) scored.push({ candidate, d });
  }
  scored.sort((x, y) => x.d - y.d || (x.candidate < y.candidate ? -1 : x.candidate > y.candidate ? 1 : 0));
  return scored.slice(0, options.limit ?? 3).map((s) => s.candidate);
}
