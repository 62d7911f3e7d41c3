/**
 * semver with each version string and each range parsed once per process, and release
 * versions as integer keys: the resolver compares and range-tests tens of thousands of
 * versions per resolve, and semver parses its input on every call.
 */
import semver from 'semver';

// Shared across resolves: version strings and ranges repeat across catalogs and reloads.
// Bounded so a long-lived host cannot grow them forever.
const MAX_MEMO = 200_000;
let memoSize = 0;
const parsedVersions = new Map<string, semver.SemVer>();
const versionKeys = new Map<string, number>();
const rangeIntervals = new Map<string, Float64Array | null>();
// Ranges parse differently with includePrerelease, so each setting has its own memo.
interface RangeMemo {
  readonly options: semver.RangeOptions | undefined;
  readonly parsed: Map<string, semver.Range | null>;
  readonly results: Map<string, Map<string, boolean>>;
}
const releasesOnly: RangeMemo = { options: undefined, parsed: new Map(), results: new Map() };
const withPrereleases: RangeMemo = { options: { includePrerelease: true }, parsed: new Map(), results: new Map() };

function clearIfFull(): void {
  if (++memoSize < MAX_MEMO) return;
  memoSize = 0;
  parsedVersions.clear();
  versionKeys.clear();
  rangeIntervals.clear();
  for (const memo of [releasesOnly, withPrereleases]) {
    memo.parsed.clear();
    memo.results.clear();
  }
}

/** A version string parsed once (throws on an invalid version, as semver does). */
export function parsedVersion(v: string): semver.SemVer {
  let p = parsedVersions.get(v);
  if (!p) (clearIfFull(), parsedVersions.set(v, (p = new semver.SemVer(v))));
  return p;
}

/** semver.compare with each version string parsed once. */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  return parsedVersion(a).compare(parsedVersion(b));
}

export interface SatisfiesOptions {
  /** semver's includePrerelease: prerelease versions can satisfy plain ranges (default false). */
  includePrerelease?: boolean;
}

function parsedRange(memo: RangeMemo, range: string): semver.Range | null {
  let parsed = memo.parsed.get(range);
  if (parsed === undefined) {
    try {
      parsed = new semver.Range(range, memo.options);
    } catch {
      parsed = null;
    }
    memo.parsed.set(range, parsed);
  }
  return parsed;
}

/**
 * semver.satisfies, memoized per (range, version) with each range parsed once. Without
 * prereleases unless options.includePrerelease. Invalid ranges satisfy nothing.
 */
export function satisfies(version: string, range: string, options?: SatisfiesOptions): boolean {
  const memo = options?.includePrerelease ? withPrereleases : releasesOnly;
  let byVersion = memo.results.get(range);
  if (!byVersion) memo.results.set(range, (byVersion = new Map()));
  let ok = byVersion.get(version);
  if (ok === undefined) {
    const parsed = parsedRange(memo, range);
    ok = parsed !== null && parsed.test(version);
    clearIfFull();
    byVersion.set(version, ok);
  }
  return ok;
}

// Keys: major * 2^40 + minor * 2^20 + patch, so they order like semver. Majors below 2^12
// keep every key below 2^52, where halves are still exact (a range bound on a prerelease
// sits half a step below its release: see rangeIntervals).
const MINOR = 2 ** 20;
const MAJOR = 2 ** 40;
const NO_UPPER = 2 ** 53;

function mainKey(p: semver.SemVer): number {
  return p.major < 4096 && p.minor < MINOR && p.patch < MINOR ? p.major * MAJOR + p.minor * MINOR + p.patch : NaN;
}

/**
 * The key of a plain `major.minor.patch` (digits only, no leading zeros, parts in mainKey's
 * bounds) read straight from the string, or -1 for anything else (semver decides those). A
 * catalog has about one distinct capability version per package: parsing each into a SemVer
 * and two memo entries filled the memo (and emptied it) at 100,000 ids.
 */
function plainKey(v: string): number {
  // Three parts in locals (an array per call was most of what reading keys allocated).
  let major = 0;
  let minor = 0;
  let value = 0;
  let part = 0;
  let digits = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || part === 2) return -1;
      if (part === 0) major = value;
      else minor = value;
      part++;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && value === 0) return -1; // a leading zero: semver rejects it
      value = value * 10 + (c - 48);
      if (++digits > 7) return -1;
    } else return -1;
  }
  if (part !== 2 || digits === 0) return -1;
  return major < 4096 && minor < MINOR && value < MINOR ? major * MAJOR + minor * MINOR + value : -1;
}

/**
 * A release version as an integer that orders as semver does (build metadata ignored);
 * NaN for a prerelease, an invalid version or parts too large: compare those with semver.
 */
export function versionKey(v: string): number {
  const plain = plainKey(v);
  if (plain >= 0) return plain;
  let k = versionKeys.get(v);
  if (k === undefined) {
    let p: semver.SemVer | undefined;
    try {
      p = parsedVersion(v);
    } catch {
      p = undefined;
    }
    k = p !== undefined && p.prerelease.length === 0 ? mainKey(p) : NaN;
    clearIfFull();
    versionKeys.set(v, k);
  }
  return k;
}

/**
 * A range (without prereleases) as half-open intervals of release keys, [lo0, hi0, lo1, hi1, …]:
 * a release version satisfies it exactly when its key falls in one. Each comparator set of
 * the parsed range is an interval; a bound on a prerelease (`<2.0.0-0`) is half a key below
 * its release, which no release key equals. null: a comparator this cannot express (a bound
 * with parts too large): test with semver. An invalid range is no interval at all.
 */
export function rangeKeys(range: string): Float64Array | null {
  let iv = rangeIntervals.get(range);
  if (iv !== undefined) return iv;
  const parsed = parsedRange(releasesOnly, range);
  iv = parsed === null ? new Float64Array(0) : intervalsOf(parsed);
  clearIfFull();
  rangeIntervals.set(range, iv);
  return iv;
}

// semver's comparator of `*` (its `semver` is this symbol, not a version); not in the type definitions.
const ANY = (semver.Comparator as unknown as { readonly ANY: unknown }).ANY;

function intervalsOf(range: semver.Range): Float64Array | null {
  const out: number[] = [];
  for (const set of range.set) {
    let lo = 0;
    let hi = NO_UPPER;
    for (const c of set) {
      if ((c.semver as unknown) === ANY) continue;
      const base = mainKey(c.semver);
      if (Number.isNaN(base)) return null;
      const t = c.semver.prerelease.length > 0 ? base - 0.5 : base;
      switch (c.operator) {
        case '':
          if (t === base) (lo = Math.max(lo, t)), (hi = Math.min(hi, t + 1));
          else hi = lo; // equal to a prerelease: no release is
          break;
        case '>=':
          lo = Math.max(lo, Math.ceil(t));
          break;
        case '>':
          lo = Math.max(lo, Math.floor(t) + 1);
          break;
        case '<':
          hi = Math.min(hi, Math.ceil(t));
          break;
        case '<=':
          hi = Math.min(hi, Math.floor(t) + 1);
          break;
        default:
          return null;
      }
    }
    if (lo < hi) out.push(lo, hi);
  }
  return Float64Array.from(out);
}

/** Does the release key `k` fall in the intervals `iv` (rangeKeys)? */
export function keyInRange(k: number, iv: Float64Array): boolean {
  for (let i = 0; i < iv.length; i += 2) if (k >= iv[i]! && k < iv[i + 1]!) return true;
  return false;
}

/** satisfies (without prereleases) through the keys when both sides have them. */
export function fits(version: string, key: number, range: string, iv: Float64Array | null): boolean {
  return iv !== null && key === key ? keyInRange(key, iv) : satisfies(version, range);
}
