// bench/.p.ts
import { Session } from "node:inspector";
import fs from "node:fs";
import { performance } from "node:perf_hooks";

// src/registry/types.ts
var PERMISSIONS = ["log", "timers", "fetch"];

// src/errors.ts
var HotmodError = class extends Error {
  name = "HotmodError";
  /** Stable, documented code such as E_MANIFEST_INVALID. Switch on this, never on the message. */
  code;
  /** Structured facts about the failure (file, JSON path, module id, …); JSON-serialisable. */
  details;
  constructor(code, message, details = {}, options) {
    super(message, options?.cause === void 0 ? void 0 : { cause: options.cause });
    this.code = code;
    this.details = details;
  }
  toJSON() {
    return { code: this.code, message: this.message, details: this.details };
  }
};

// src/version.ts
import { createRequire } from "node:module";
var require2 = createRequire(import.meta.url);
var HOTMOD_VERSION = require2("../package.json").version;

// src/registry/errors.ts
var ManifestErrorCode = {
  /** Thrown when a caller needs a valid package and it has error diagnostics (they are in details). */
  INVALID: "E_MANIFEST_INVALID",
  /** The folder has no package.json. */
  NOT_FOUND: "E_MANIFEST_NOT_FOUND",
  /** package.json is not valid JSON or not a JSON object. */
  PARSE: "E_MANIFEST_PARSE",
  /** package.json has no `hotmod` field: not a hotmod module. */
  NOT_HOTMOD: "E_MANIFEST_NOT_HOTMOD",
  /** A required field (name, version, hotmod.id) is absent. */
  REQUIRED: "E_MANIFEST_REQUIRED",
  /** A field has the wrong JSON type. */
  TYPE: "E_MANIFEST_TYPE",
  /** A module id (hotmod.id, legacyIds, dependsOn key) does not match the id pattern. */
  ID: "E_MANIFEST_ID",
  /** package.json `version` is not an exact semver version. */
  VERSION: "E_MANIFEST_VERSION",
  /** A semver range (requires, optionalRequires, dependsOn, engines.hotmod) does not parse. */
  RANGE: "E_MANIFEST_RANGE",
  /** A capability name is malformed. */
  CAPABILITY: "E_MANIFEST_CAPABILITY",
  /** A `provides` value is not an exact semver version. */
  CAPABILITY_VERSION: "E_MANIFEST_CAPABILITY_VERSION",
  /** activation / isolation is not one of the allowed values. */
  ENUM: "E_MANIFEST_ENUM",
  /** An unknown permission. */
  PERMISSION: "E_MANIFEST_PERMISSION",
  /** `fetch.origins` holds something that is not an http(s) origin, or the `fetch` permission has no `fetch` field. */
  FETCH_ORIGIN: "E_MANIFEST_FETCH",
  /** A limit is not a positive integer or is above its maximum. */
  LIMIT: "E_MANIFEST_LIMIT",
  /** configSchema is not an object or is not a valid JSON Schema. */
  CONFIG_SCHEMA: "E_MANIFEST_CONFIG_SCHEMA",
  /** An unknown key in the manifest (usually a typo). */
  UNKNOWN_FIELD: "E_MANIFEST_UNKNOWN_FIELD",
  /** The module depends on itself or requires a capability it provides. */
  SELF_REFERENCE: "E_MANIFEST_SELF_REFERENCE",
  /** The same entry twice (legacy id, permission, a capability both required and optional). */
  DUPLICATE: "E_MANIFEST_DUPLICATE",
  /** `main` is absolute or points outside the package folder. */
  MAIN: "E_MANIFEST_MAIN",
  /** The entry file named by `main` does not exist. */
  ENTRY_MISSING: "E_MANIFEST_ENTRY_MISSING",
  /** Warning: no engines.hotmod, so the module claims to work with every host version. */
  ENGINES_MISSING: "E_MANIFEST_ENGINES_MISSING"
};
var ResolveErrorCode = {
  /** A requested module, a dependsOn module or a required capability exists nowhere in the catalog. */
  MISSING: "E_RESOLVE_MISSING",
  /** Versions exist, but no choice satisfies every range. */
  CONFLICT: "E_RESOLVE_CONFLICT",
  /** Modules need each other in a cycle. */
  CYCLE: "E_RESOLVE_CYCLE",
  /** Every candidate version needs another hotmod version (engines.hotmod). */
  ENGINE: "E_RESOLVE_ENGINE",
  /** The search gave up after its step budget (pathological catalogs). */
  TOO_COMPLEX: "E_RESOLVE_TOO_COMPLEX"
};

// src/registry/semverMemo.ts
import semver from "semver";
var MAX_MEMO = 2e5;
var memoSize = 0;
var parsedVersions = /* @__PURE__ */ new Map();
var versionKeys = /* @__PURE__ */ new Map();
var rangeIntervals = /* @__PURE__ */ new Map();
var releasesOnly = { options: void 0, parsed: /* @__PURE__ */ new Map(), results: /* @__PURE__ */ new Map() };
var withPrereleases = { options: { includePrerelease: true }, parsed: /* @__PURE__ */ new Map(), results: /* @__PURE__ */ new Map() };
function clearIfFull() {
  if (++memoSize < MAX_MEMO) return;
  memoSize = 0;
  parsedVersions.clear();
  versionKeys.clear();
  rangeIntervals.clear();
  for (const memo3 of [releasesOnly, withPrereleases]) {
    memo3.parsed.clear();
    memo3.results.clear();
  }
}
function parsedVersion(v) {
  let p = parsedVersions.get(v);
  if (!p) clearIfFull(), parsedVersions.set(v, p = new semver.SemVer(v));
  return p;
}
function compareVersions(a, b) {
  if (a === b) return 0;
  return parsedVersion(a).compare(parsedVersion(b));
}
function parsedRange(memo3, range) {
  let parsed = memo3.parsed.get(range);
  if (parsed === void 0) {
    try {
      parsed = new semver.Range(range, memo3.options);
    } catch {
      parsed = null;
    }
    memo3.parsed.set(range, parsed);
  }
  return parsed;
}
function satisfies(version, range, options) {
  const memo3 = options?.includePrerelease ? withPrereleases : releasesOnly;
  let byVersion = memo3.results.get(range);
  if (!byVersion) memo3.results.set(range, byVersion = /* @__PURE__ */ new Map());
  let ok = byVersion.get(version);
  if (ok === void 0) {
    const parsed = parsedRange(memo3, range);
    ok = parsed !== null && parsed.test(version);
    clearIfFull();
    byVersion.set(version, ok);
  }
  return ok;
}
var MINOR = 2 ** 20;
var MAJOR = 2 ** 40;
var NO_UPPER = 2 ** 53;
function mainKey(p) {
  return p.major < 4096 && p.minor < MINOR && p.patch < MINOR ? p.major * MAJOR + p.minor * MINOR + p.patch : NaN;
}
function versionKey(v) {
  let k = versionKeys.get(v);
  if (k === void 0) {
    let p;
    try {
      p = parsedVersion(v);
    } catch {
      p = void 0;
    }
    k = p !== void 0 && p.prerelease.length === 0 ? mainKey(p) : NaN;
    clearIfFull();
    versionKeys.set(v, k);
  }
  return k;
}
function rangeKeys(range) {
  let iv = rangeIntervals.get(range);
  if (iv !== void 0) return iv;
  const parsed = parsedRange(releasesOnly, range);
  iv = parsed === null ? new Float64Array(0) : intervalsOf(parsed);
  clearIfFull();
  rangeIntervals.set(range, iv);
  return iv;
}
var ANY = semver.Comparator.ANY;
function intervalsOf(range) {
  const out = [];
  for (const set of range.set) {
    let lo = 0;
    let hi = NO_UPPER;
    for (const c of set) {
      if (c.semver === ANY) continue;
      const base = mainKey(c.semver);
      if (Number.isNaN(base)) return null;
      const t2 = c.semver.prerelease.length > 0 ? base - 0.5 : base;
      switch (c.operator) {
        case "":
          if (t2 === base) lo = Math.max(lo, t2), hi = Math.min(hi, t2 + 1);
          else hi = lo;
          break;
        case ">=":
          lo = Math.max(lo, Math.ceil(t2));
          break;
        case ">":
          lo = Math.max(lo, Math.floor(t2) + 1);
          break;
        case "<":
          hi = Math.min(hi, Math.ceil(t2));
          break;
        case "<=":
          hi = Math.min(hi, Math.floor(t2) + 1);
          break;
        default:
          return null;
      }
    }
    if (lo < hi) out.push(lo, hi);
  }
  return Float64Array.from(out);
}
function keyInRange(k, iv) {
  for (let i = 0; i < iv.length; i += 2) if (k >= iv[i] && k < iv[i + 1]) return true;
  return false;
}
function fits(version, key, range, iv) {
  return iv !== null && key === key ? keyInRange(key, iv) : satisfies(version, range);
}

// src/registry/manifestFacts.ts
var facts = /* @__PURE__ */ new WeakMap();
var MAX_INTERNED = 5e5;
var interned = /* @__PURE__ */ new Map();
function intern(s2) {
  const known = interned.get(s2);
  if (known !== void 0) return known;
  if (interned.size >= MAX_INTERNED) interned.clear();
  interned.set(s2, s2);
  return s2;
}
function entries(map) {
  const out = [];
  for (const key of Object.keys(map)) out.push([intern(key), intern(map[key])]);
  return out;
}
function manifestFacts(manifest) {
  let f = facts.get(manifest);
  if (!f) {
    const provides = entries(manifest.provides);
    const requires = entries(manifest.requires);
    const dependsOn = entries(manifest.dependsOn);
    f = Object.freeze({
      provides,
      requires,
      optionalRequires: entries(manifest.optionalRequires),
      dependsOn,
      dependsOnIds: Object.freeze(dependsOn.map((e) => e[0]).sort()),
      id: intern(manifest.id),
      version: manifest.version,
      engines: manifest.engines.hotmod === void 0 ? void 0 : intern(manifest.engines.hotmod),
      versionKey: versionKey(manifest.version),
      provideNames: provides.map((e) => e[0]),
      provideVersions: provides.map((e) => e[1]),
      provideKeys: provides.map((e) => versionKey(e[1])),
      dependNames: dependsOn.map((e) => e[0]),
      dependRanges: dependsOn.map((e) => e[1]),
      requireNames: requires.map((e) => e[0]),
      requireRanges: requires.map((e) => e[1])
    });
    facts.set(manifest, f);
  }
  return f;
}

// src/registry/resolveIndex.ts
var indexCache = /* @__PURE__ */ new WeakMap();
function resolveIndexFor(packages2, hostVersion) {
  if (!Object.isFrozen(packages2)) return new ResolveIndex(packages2, hostVersion);
  const cached = indexCache.get(packages2);
  if (cached?.hostVersion === hostVersion) return cached;
  const index = new ResolveIndex(packages2, hostVersion);
  indexCache.set(packages2, index);
  return index;
}
var DEP = 0;
var CAP = 1;
var EMPTY = [];
var ResolveIndex = class {
  hostVersion;
  /** Every id, sorted. */
  ids;
  // Packages, by number (their position in the list).
  #pkgs;
  #facts;
  #pkgSlot;
  #versionKey;
  #engineOk;
  /** Each package's obligations (dependsOn, then requires, in manifest order) as group numbers: #obl[#oblStart[p] … #oblStart[p + 1]). */
  #oblStart;
  #obl;
  #obligations;
  /** How many packages have optional requirements. */
  #withOptional = 0;
  /** The last id looked up and its slot: the solver asks for a package's slot and then its obligations. */
  #lastId;
  #lastSlot = -1;
  // Module ids (slots): the solver keeps its choices in an array, not a map.
  #slots = /* @__PURE__ */ new Map();
  #slotIds = [];
  /** Rank of each slot's id in sorted order (providers are ordered by id). */
  #idRank;
  /** Slots in sorted id order. */
  #slotsSorted;
  /** Every version of a slot, highest first (package numbers): #ver[#verStart[s] … #verStart[s + 1]); the usable ones likewise. */
  #verStart;
  #ver;
  #useStart;
  #use;
  #versionsOf;
  #usableOf;
  // Capabilities: providers in the order they are tried, #prov*[#provStart[c] … #provStart[c + 1]).
  #caps = /* @__PURE__ */ new Map();
  #provStart;
  #provPkg;
  #provKey;
  #provVersion;
  #providersOf;
  // Groups, by number.
  #gKind = [];
  /** The group's slot or capability number; -1 when no package has that id or provides that capability. */
  #gTarget = [];
  #gName = [];
  #gRange = [];
  #gKeys = [];
  #gDeps = [];
  #gProviders = [];
  /** The groups of each slot (dependsOn on it) and of each capability; of unknown targets by kind and name. */
  #slotGroups;
  #capGroups;
  #unknownGroups = /* @__PURE__ */ new Map();
  constructor(packages2, hostVersion) {
    this.hostVersion = hostVersion;
    const n2 = packages2.length;
    this.#pkgs = packages2;
    this.#facts = new Array(n2);
    this.#pkgSlot = new Int32Array(n2);
    this.#versionKey = new Float64Array(n2);
    this.#engineOk = new Uint8Array(n2);
    this.#obligations = new Array(n2);
    const provCap = [];
    const provPkg = [];
    const provVersion = [];
    const provKey = [];
    let lastId;
    let lastSlot = -1;
    let lastEngines;
    let lastEngineOk = true;
    let obligations = 0;
    for (let p = 0; p < n2; p++) {
      const f = manifestFacts(packages2[p].manifest);
      this.#facts[p] = f;
      if (f.id !== lastId) {
        lastId = f.id;
        let slot = this.#slots.get(f.id);
        if (slot === void 0) this.#slots.set(f.id, slot = this.#slotIds.length), this.#slotIds.push(f.id);
        lastSlot = slot;
      }
      this.#pkgSlot[p] = lastSlot;
      const engines = f.engines;
      if (engines !== lastEngines) lastEngines = engines, lastEngineOk = engines === void 0 || satisfies(hostVersion, engines);
      this.#engineOk[p] = lastEngineOk ? 1 : 0;
      this.#versionKey[p] = f.versionKey;
      const names = f.provideNames;
      for (let i = 0; i < names.length; i++) {
        let c = this.#caps.get(names[i]);
        if (c === void 0) this.#caps.set(names[i], c = this.#caps.size);
        provCap.push(c);
        provPkg.push(p);
        provVersion.push(f.provideVersions[i]);
        provKey.push(f.provideKeys[i]);
      }
      obligations += f.dependNames.length + f.requireNames.length;
      if (f.optionalRequires.length > 0) this.#withOptional++;
    }
    const slotCount = this.#slotIds.length;
    this.#versionsOf = new Array(slotCount);
    this.#usableOf = new Array(slotCount);
    this.#slotGroups = new Array(slotCount);
    let sorted = true;
    for (let s2 = 1; s2 < slotCount && sorted; s2++) sorted = this.#slotIds[s2 - 1] < this.#slotIds[s2];
    this.ids = sorted ? this.#slotIds.slice() : this.#slotIds.slice().sort();
    this.#slotsSorted = new Int32Array(slotCount);
    this.#idRank = new Int32Array(slotCount);
    for (let i = 0; i < slotCount; i++) {
      const s2 = sorted ? i : this.#slots.get(this.ids[i]);
      this.#slotsSorted[i] = s2;
      this.#idRank[s2] = i;
    }
    this.#verStart = new Int32Array(slotCount + 1);
    for (let p = 0; p < n2; p++) this.#verStart[this.#pkgSlot[p] + 1]++;
    for (let s2 = 0; s2 < slotCount; s2++) this.#verStart[s2 + 1] += this.#verStart[s2];
    this.#ver = new Int32Array(n2);
    const fill = this.#verStart.slice(0, slotCount);
    for (let p = 0; p < n2; p++) this.#ver[fill[this.#pkgSlot[p]]++] = p;
    for (let s2 = 0; s2 < slotCount; s2++) this.#sortDesc(this.#verStart[s2], this.#verStart[s2 + 1]);
    this.#useStart = new Int32Array(slotCount + 1);
    let usable = 0;
    for (let p = 0; p < n2; p++) usable += this.#engineOk[p];
    this.#use = new Int32Array(usable);
    for (let s2 = 0, u = 0; s2 < slotCount; s2++) {
      for (let i = this.#verStart[s2]; i < this.#verStart[s2 + 1]; i++) if (this.#engineOk[this.#ver[i]]) this.#use[u++] = this.#ver[i];
      this.#useStart[s2 + 1] = u;
    }
    const capCount = this.#caps.size;
    const entries2 = provCap.length;
    const keyOfEntry = Float64Array.from(provKey);
    this.#provStart = new Int32Array(capCount + 1);
    for (let e = 0; e < entries2; e++) this.#provStart[provCap[e] + 1]++;
    for (let c = 0; c < capCount; c++) this.#provStart[c + 1] += this.#provStart[c];
    const order = new Array(entries2);
    const at = this.#provStart.slice(0, capCount);
    for (let e = 0; e < entries2; e++) order[at[provCap[e]]++] = e;
    const byTryOrder = (a, b) => {
      const ka = keyOfEntry[a];
      const kb = keyOfEntry[b];
      const byCap = ka === ka && kb === kb ? kb < ka ? -1 : kb > ka ? 1 : 0 : compareVersions(provVersion[b], provVersion[a]);
      if (byCap !== 0) return byCap;
      const pa = provPkg[a];
      const pb = provPkg[b];
      return this.#idRank[this.#pkgSlot[pa]] - this.#idRank[this.#pkgSlot[pb]] || this.#compareNo(pb, pa);
    };
    this.#provPkg = new Int32Array(entries2);
    this.#provKey = new Float64Array(entries2);
    this.#provVersion = new Array(entries2);
    for (let c = 0; c < capCount; c++) {
      const from = this.#provStart[c];
      const to = this.#provStart[c + 1];
      const part = to - from > 1 ? order.slice(from, to).sort(byTryOrder) : order.slice(from, to);
      for (let i = 0; i < part.length; i++) {
        const e = part[i];
        this.#provPkg[from + i] = provPkg[e];
        this.#provKey[from + i] = keyOfEntry[e];
        this.#provVersion[from + i] = provVersion[e];
      }
    }
    this.#providersOf = new Array(capCount);
    this.#capGroups = new Array(capCount);
    this.#oblStart = new Int32Array(n2 + 1);
    this.#obl = new Int32Array(obligations);
    for (let p = 0, k = 0; p < n2; p++) {
      const f = this.#facts[p];
      const deps = f.dependNames;
      for (let i = 0; i < deps.length; i++) this.#obl[k++] = this.#group(DEP, this.#slots.get(deps[i]) ?? -1, deps[i], f.dependRanges[i]);
      const reqs = f.requireNames;
      for (let i = 0; i < reqs.length; i++) this.#obl[k++] = this.#group(CAP, this.#caps.get(reqs[i]) ?? -1, reqs[i], f.requireRanges[i]);
      this.#oblStart[p + 1] = k;
    }
  }
  /** Package `a`'s version minus `b`'s, in sign. */
  #compareNo(a, b) {
    const ka = this.#versionKey[a];
    const kb = this.#versionKey[b];
    return ka === ka && kb === kb ? ka < kb ? -1 : ka > kb ? 1 : 0 : compareVersions(this.#pkgs[a].manifest.version, this.#pkgs[b].manifest.version);
  }
  /** Insertion sort of #ver[from … to), highest version first, stable (an id has a handful of versions, usually listed in order already). */
  #sortDesc(from, to) {
    const ver = this.#ver;
    for (let i = from + 1; i < to; i++) {
      const x = ver[i];
      let j = i - 1;
      while (j >= from && this.#compareNo(ver[j], x) < 0) ver[j + 1] = ver[j], j--;
      ver[j + 1] = x;
    }
  }
  /** The number of the group (kind, target, range), made on first use. */
  #group(kind, target, name, range) {
    let list3;
    if (target < 0) {
      const key = `${kind}\0${name}`;
      list3 = this.#unknownGroups.get(key);
      if (!list3) this.#unknownGroups.set(key, list3 = []);
    } else {
      const byTarget = kind === DEP ? this.#slotGroups : this.#capGroups;
      list3 = byTarget[target];
      if (!list3) byTarget[target] = list3 = [];
    }
    for (let i = 0; i < list3.length; i++) if (this.#gRange[list3[i]] === range) return list3[i];
    const g = this.#gKind.length;
    this.#gKind.push(kind);
    this.#gTarget.push(target);
    this.#gName.push(name);
    this.#gRange.push(range);
    this.#gKeys.push(rangeKeys(range));
    this.#gDeps.push(void 0);
    this.#gProviders.push(void 0);
    list3.push(g);
    return g;
  }
  compareVersions(a, b) {
    return compareVersions(a, b);
  }
  /** Every version of `id`, highest first (engine-incompatible ones included). */
  versions(id) {
    const s2 = this.#slots.get(id);
    if (s2 === void 0) return EMPTY;
    return this.#versionsOf[s2] ??= this.#packagesOf(this.#ver, this.#verStart[s2], this.#verStart[s2 + 1]);
  }
  /** Versions of `id` whose engines.hotmod admits the host, highest first. */
  usable(id) {
    const s2 = this.#slots.get(id);
    return s2 === void 0 ? EMPTY : this.#usableOfSlot(s2);
  }
  #usableOfSlot(s2) {
    return this.#usableOf[s2] ??= this.#packagesOf(this.#use, this.#useStart[s2], this.#useStart[s2 + 1]);
  }
  #packagesOf(list3, from, to) {
    const out = new Array(to - from);
    for (let i = from; i < to; i++) out[i - from] = this.#pkgs[list3[i]];
    return out;
  }
  /** A package's obligations never change (packages are immutable): built once per index, on first use. */
  obligationsOf(pkg) {
    return this.#obligationsOfNumber(this.#numberOf(pkg), pkg);
  }
  /** obligationsOf for a package whose slot the caller knows (no lookup by id). */
  obligationsAt(slot, pkg) {
    return this.#obligationsOfNumber(this.#numberIn(slot, pkg), pkg);
  }
  /** A package's manifest facts, for a caller that knows its slot (no lookup by manifest). */
  factsAt(slot, pkg) {
    const p = this.#numberIn(slot, pkg);
    return p < 0 ? manifestFacts(pkg.manifest) : this.#facts[p];
  }
  /** Does any package of the list have optional requirements? (Most catalogs have none: the pass over the plan for them is skipped.) */
  get hasOptionalRequirements() {
    return this.#withOptional > 0;
  }
  #obligationsOfNumber(p, pkg) {
    if (p < 0) return this.#foreignObligations(pkg);
    let list3 = this.#obligations[p];
    if (list3) return list3;
    const from = this.#oblStart[p];
    const built = new Array(this.#oblStart[p + 1] - from);
    for (let k = from; k < this.#oblStart[p + 1]; k++) {
      const g = this.#obl[k];
      const target = this.#gTarget[g];
      if (this.#gKind[g] === DEP)
        built[k - from] = { kind: "dep", id: this.#gName[g], range: this.#gRange[g], from: pkg, usable: target < 0 ? EMPTY : this.#usableOfSlot(target), slot: target, inRange: this.#depsOf(g) };
      else
        built[k - from] = { kind: "cap", name: this.#gName[g], range: this.#gRange[g], from: pkg, optional: false, providers: target < 0 ? EMPTY : this.#providersOfCap(target), inRange: this.#providersOfGroup(g) };
    }
    this.#obligations[p] = list3 = built;
    return list3;
  }
  /** The number of a package of `slot` (packageAt's inverse), or -1 when it is not in the list: found among the slot's versions. */
  packageNumber(slot, pkg) {
    return this.#numberIn(slot, pkg);
  }
  /** A package's number: found among its id's versions (a handful), so no map over every package is built. -1 if it is not in the list. */
  #numberOf(pkg) {
    return this.#numberIn(this.slotOf(pkg.manifest.id), pkg);
  }
  #numberIn(s2, pkg) {
    if (s2 < 0) return -1;
    for (let i = this.#verStart[s2]; i < this.#verStart[s2 + 1]; i++) if (this.#pkgs[this.#ver[i]] === pkg) return this.#ver[i];
    return -1;
  }
  /** A package that is not in this list (no caller passes one today): its obligations looked up by name. */
  #foreignObligations(pkg) {
    const f = manifestFacts(pkg.manifest);
    const built = [];
    for (const [id, range] of f.dependsOn) built.push({ kind: "dep", id, range, from: pkg, usable: this.usable(id), slot: this.slotOf(id) });
    for (const [name, range] of f.requires) built.push({ kind: "cap", name, range, from: pkg, optional: false, providers: this.providers(name) });
    return built;
  }
  /** How many module ids the index knows (slots are 0 … slotCount - 1). */
  get slotCount() {
    return this.#slotIds.length;
  }
  /** The module id of a slot. */
  idOfSlot(slot) {
    return this.#slotIds[slot];
  }
  /** The slot of a module id, or -1 for an id no package has. */
  slotOf(id) {
    if (id === this.#lastId) return this.#lastSlot;
    this.#lastId = id;
    return this.#lastSlot = this.#slots.get(id) ?? -1;
  }
  providers(capability) {
    const c = this.#caps.get(capability);
    return c === void 0 ? EMPTY : this.#providersOfCap(c);
  }
  #providersOfCap(c) {
    let list3 = this.#providersOf[c];
    if (list3) return list3;
    const from = this.#provStart[c];
    list3 = new Array(this.#provStart[c + 1] - from);
    for (let i = 0; i < list3.length; i++) {
      const p = this.#provPkg[from + i];
      list3[i] = { pkg: this.#pkgs[p], slot: this.#pkgSlot[p], capabilityVersion: this.#provVersion[from + i], engineOk: this.#engineOk[p] === 1 };
    }
    return this.#providersOf[c] = list3;
  }
  satisfies(version, range) {
    return satisfies(version, range);
  }
  /** A dependsOn obligation's candidates: the usable versions in its range, highest first (one list per id and range, kept on the obligation). */
  candidatesOf(t2) {
    return t2.inRange ??= this.#depsOf(this.#group(DEP, t2.slot, t2.id, t2.range));
  }
  /** A required capability's candidates: providersInRange, kept on the obligation. */
  providersOf(t2) {
    return t2.inRange ??= this.providersInRange(t2.name, t2.range);
  }
  /** The providers of `capability` that can serve `range` (usable, version in range), in the order they are tried. */
  providersInRange(capability, range) {
    return this.#providersOfGroup(this.#group(CAP, this.#caps.get(capability) ?? -1, capability, range));
  }
  #depsOf(g) {
    let list3 = this.#gDeps[g];
    if (list3) return list3;
    const s2 = this.#gTarget[g];
    const out = [];
    if (s2 >= 0) {
      for (let i = this.#useStart[s2]; i < this.#useStart[s2 + 1]; i++) if (this.#packageFits(this.#use[i], g)) out.push(this.#pkgs[this.#use[i]]);
    }
    return this.#gDeps[g] = out;
  }
  #providersOfGroup(g) {
    let list3 = this.#gProviders[g];
    if (list3) return list3;
    const c = this.#gTarget[g];
    const out = [];
    if (c >= 0) {
      const all = this.#providersOfCap(c);
      const from = this.#provStart[c];
      for (let i = 0; i < all.length; i++) if (all[i].engineOk && this.#entryFits(from + i, g)) out.push(all[i]);
    }
    return this.#gProviders[g] = out;
  }
  #packageFits(p, g) {
    return fits(this.#pkgs[p].manifest.version, this.#versionKey[p], this.#gRange[g], this.#gKeys[g]);
  }
  #entryFits(e, g) {
    return fits(this.#provVersion[e], this.#provKey[e], this.#gRange[g], this.#gKeys[g]);
  }
  // ---- The integer view, for the dead-package pass (solverPrune.ts). @internal
  /** Packages by number. */
  get packageCount() {
    return this.#pkgs.length;
  }
  packageAt(p) {
    return this.#pkgs[p];
  }
  slotOfPackage(p) {
    return this.#pkgSlot[p];
  }
  /** The position of a slot's id in sorted order. */
  rankOfSlot(s2) {
    return this.#idRank[s2];
  }
  /** The slot of the i-th id in sorted order. */
  slotSorted(i) {
    return this.#slotsSorted[i];
  }
  /** A slot's usable versions, highest first, as package numbers: usableAt(i) for i in usableFrom(s) … usableFrom(s + 1). */
  usableFrom(s2) {
    return this.#useStart[s2];
  }
  usableAt(i) {
    return this.#use[i];
  }
  /** A package's obligations as group numbers: obligationAt(k) for k in obligationsFrom(p) … obligationsFrom(p + 1). */
  obligationsFrom(p) {
    return this.#oblStart[p];
  }
  obligationAt(k) {
    return this.#obl[k];
  }
  get groupCount() {
    return this.#gKind.length;
  }
  groupKind(g) {
    return this.#gKind[g];
  }
  /** The slot (DEP) or capability (CAP) of a group; -1 when the catalog has no such id, or nobody provides it. */
  groupTarget(g) {
    return this.#gTarget[g];
  }
  groupName(g) {
    return this.#gName[g];
  }
  groupRange(g) {
    return this.#gRange[g];
  }
  /** Does the capability have any provider at all (engine-incompatible ones included)? */
  capabilityHasProviders(c) {
    return c >= 0 && this.#provStart[c + 1] > this.#provStart[c];
  }
  /** How many usable candidates a group has, counted without making its list. */
  groupSize(g) {
    const t2 = this.#gTarget[g];
    if (t2 < 0) return 0;
    const cached = this.#gKind[g] === DEP ? this.#gDeps[g] : this.#gProviders[g];
    if (cached) return cached.length;
    let count = 0;
    if (this.#gKind[g] === DEP) {
      for (let i = this.#useStart[t2]; i < this.#useStart[t2 + 1]; i++) if (this.#packageFits(this.#use[i], g)) count++;
    } else {
      for (let e = this.#provStart[t2]; e < this.#provStart[t2 + 1]; e++) if (this.#engineOk[this.#provPkg[e]] && this.#entryFits(e, g)) count++;
    }
    return count;
  }
  /** The first candidate of a group in the order they are tried, as a package number; -1 for none. */
  groupFirst(g) {
    const t2 = this.#gTarget[g];
    if (t2 < 0) return -1;
    if (this.#gKind[g] === DEP) {
      for (let i = this.#useStart[t2]; i < this.#useStart[t2 + 1]; i++) if (this.#packageFits(this.#use[i], g)) return this.#use[i];
    } else {
      for (let e = this.#provStart[t2]; e < this.#provStart[t2 + 1]; e++) if (this.#engineOk[this.#provPkg[e]] && this.#entryFits(e, g)) return this.#provPkg[e];
    }
    return -1;
  }
  /** Is usable package `p` a candidate of group `g`? */
  isCandidate(p, g) {
    const t2 = this.#gTarget[g];
    if (t2 < 0 || !this.#engineOk[p]) return false;
    if (this.#gKind[g] === DEP) return this.#pkgSlot[p] === t2 && this.#packageFits(p, g);
    const f = this.#facts[p];
    for (let i = 0; i < f.provideNames.length; i++)
      if (this.#caps.get(f.provideNames[i]) === t2) return fits(f.provideVersions[i], f.provideKeys[i], this.#gRange[g], this.#gKeys[g]);
    return false;
  }
  /** The groups a package can be a candidate of: the dependsOn groups of its id and the groups of what it provides (a superset; isCandidate decides). */
  groupsNear(p, out) {
    const own = this.#slotGroups[this.#pkgSlot[p]];
    if (own) for (let i = 0; i < own.length; i++) out.push(own[i]);
    const names = this.#facts[p].provideNames;
    for (let i = 0; i < names.length; i++) {
      const c = this.#caps.get(names[i]);
      const list3 = c === void 0 ? void 0 : this.#capGroups[c];
      if (list3) for (let j = 0; j < list3.length; j++) out.push(list3[j]);
    }
  }
};

// src/registry/solver.ts
import semver2 from "semver";

// src/registry/solverWatch.ts
var STATE = 0;
var BLOCKED = 1;
var CAUSE = 2;
var LIVE = 3;
var ALIVE = 4;
var OK = 0;
var CHOSEN_OUT = 1;
var STARVED = 2;
function watchRequested(index, requestedIds, nogoods, ctx) {
  if (requestedIds.length === 0) return null;
  const dead = /* @__PURE__ */ new Map();
  for (const ng of nogoods ?? []) if (ng.members.length === 1) dead.set(ng.members[0], ng.reason ?? { kind: "conflict", chain: [ng.why] });
  const slots = index.slotCount;
  const requested = new Uint8Array(slots);
  const versionCount = new Int32Array(slots);
  const gOfNumber = new Int32Array(index.packageCount).fill(-1);
  const pkgOf = [];
  const numberOfG = [];
  const rootOf = [];
  const firstG = new Int32Array(slots);
  for (let r = 0; r < requestedIds.length; r++) {
    const k = index.slotOf(requestedIds[r]);
    if (k < 0 || requested[k]) continue;
    requested[k] = 1;
    firstG[k] = pkgOf.length;
    const to = index.usableFrom(k + 1);
    versionCount[k] = to - index.usableFrom(k);
    for (let u = index.usableFrom(k); u < to; u++) {
      const p = index.usableAt(u);
      gOfNumber[p] = pkgOf.length;
      pkgOf.push(index.packageAt(p));
      numberOfG.push(p);
      rootOf.push(k);
    }
  }
  const G = pkgOf.length;
  const edgeFrom = [];
  const edgeK = [];
  const edgeIndexGroup = [];
  const edgeGroup = [];
  const edgeTarget = [];
  const groupOfIndexGroup = new Int32Array(index.groupCount).fill(-1);
  const memberStart = [0];
  const memberList = [];
  const groupSlot = [];
  for (let g = 0; g < G; g++) {
    const p = numberOfG[g];
    const from = index.obligationsFrom(p);
    const to = index.obligationsFrom(p + 1);
    for (let k = from; k < to; k++) {
      const ig = index.obligationAt(k);
      if (index.groupKind(ig) !== DEP) continue;
      const target = index.groupTarget(ig);
      if (target < 0) continue;
      edgeFrom.push(g);
      edgeK.push(k - from);
      edgeIndexGroup.push(ig);
      edgeTarget.push(target);
      let group = -1;
      if (requested[target]) {
        group = groupOfIndexGroup[ig];
        if (group < 0) {
          group = groupSlot.length;
          groupOfIndexGroup[ig] = group;
          for (let u = index.usableFrom(target); u < index.usableFrom(target + 1); u++) {
            const q = index.usableAt(u);
            if (index.isCandidate(q, ig)) memberList.push(gOfNumber[q]);
          }
          memberStart.push(memberList.length);
          groupSlot.push(target);
        }
      }
      edgeGroup.push(group);
    }
  }
  const E = edgeFrom.length;
  const groupCount = groupSlot.length;
  const onStart = new Int32Array(slots + 1);
  for (let e = 0; e < E; e++) onStart[edgeTarget[e] + 1]++;
  for (let k = 0; k < slots; k++) onStart[k + 1] += onStart[k];
  const onList = new Int32Array(E);
  const groupEdgeStart = new Int32Array(groupCount + 1);
  for (let e = 0; e < E; e++) if (edgeGroup[e] >= 0) groupEdgeStart[edgeGroup[e] + 1]++;
  for (let i = 0; i < groupCount; i++) groupEdgeStart[i + 1] += groupEdgeStart[i];
  const groupEdgeList = new Int32Array(groupEdgeStart[groupCount]);
  {
    const onAt = onStart.slice(0, slots);
    const groupAt = groupEdgeStart.slice(0, groupCount);
    for (let e = 0; e < E; e++) {
      onList[onAt[edgeTarget[e]]++] = e;
      if (edgeGroup[e] >= 0) groupEdgeList[groupAt[edgeGroup[e]]++] = e;
    }
  }
  const gGroupStart = new Int32Array(G + 1);
  for (let i = 0; i < memberList.length; i++) gGroupStart[memberList[i] + 1]++;
  for (let g = 0; g < G; g++) gGroupStart[g + 1] += gGroupStart[g];
  const gGroupList = new Int32Array(memberList.length);
  {
    const gAt = gGroupStart.slice(0, G);
    for (let group = 0; group < groupCount; group++)
      for (let i = memberStart[group]; i < memberStart[group + 1]; i++) gGroupList[gAt[memberList[i]]++] = group;
  }
  const edgeT = (e) => index.obligationsOf(pkgOf[edgeFrom[e]])[edgeK[e]];
  const state = new Uint8Array(E);
  const blocked = new Int32Array(G);
  const cause = new Int32Array(G).fill(-1);
  const live = new Int32Array(groupCount);
  for (let i = 0; i < groupCount; i++) live[i] = memberStart[i + 1] - memberStart[i];
  const alive = new Int32Array(slots);
  for (let k = 0; k < slots; k++) if (requested[k]) alive[k] = versionCount[k];
  const chosenG = new Int32Array(slots).fill(-2);
  const trail = [];
  const marks = [];
  let starvedRoot = -1;
  let blockedChosen = -1;
  const set = (kind, arr, i, value) => {
    trail.push(kind, i, arr[i]);
    arr[i] = value;
  };
  const arrays = [state, blocked, cause, live, alive];
  const setEdge = (e, s2) => {
    const prev = state[e];
    if (prev === s2) return;
    set(STATE, state, e, s2);
    if (prev === OK) block(edgeFrom[e], e);
  };
  const block = (g, e) => {
    const b = blocked[g];
    set(BLOCKED, blocked, g, b + 1);
    if (b !== 0) return;
    set(CAUSE, cause, g, e);
    const k = rootOf[g];
    set(ALIVE, alive, k, alive[k] - 1);
    if (chosenG[k] === g) {
      if (blockedChosen < 0) blockedChosen = g;
    } else if (alive[k] === 0 && chosenG[k] === -2 && starvedRoot < 0) starvedRoot = k;
    for (let i = gGroupStart[g]; i < gGroupStart[g + 1]; i++) {
      const group = gGroupList[i];
      set(LIVE, live, group, live[group] - 1);
      if (live[group] === 0 && chosenG[groupSlot[group]] === -2)
        for (let j = groupEdgeStart[group]; j < groupEdgeStart[group + 1]; j++) setEdge(groupEdgeList[j], STARVED);
    }
  };
  for (const [pkg] of dead) {
    const p = index.packageNumber(index.slotOf(pkg.manifest.id), pkg);
    const g = p < 0 ? -1 : gOfNumber[p];
    if (g < 0 || blocked[g] !== 0) continue;
    blocked[g] = 1;
    alive[rootOf[g]]--;
    for (let i = gGroupStart[g]; i < gGroupStart[g + 1]; i++) {
      const group = gGroupList[i];
      if (--live[group] === 0) for (let j = groupEdgeStart[group]; j < groupEdgeStart[group + 1]; j++) setEdge(groupEdgeList[j], STARVED);
    }
  }
  trail.length = 0;
  starvedRoot = -1;
  blockedChosen = -1;
  const explain = (start, culprits, chain, kinds, seen) => {
    const stack = [start];
    while (stack.length > 0) {
      const g = stack.pop();
      if (seen.has(g)) continue;
      seen.add(g);
      const e = cause[g];
      if (e < 0) {
        const reason = dead.get(pkgOf[g]);
        if (reason === void 0) continue;
        kinds.add(reason.kind);
        for (const clause2 of reason.chain) if (!chain.includes(clause2)) chain.push(clause2);
        continue;
      }
      const t2 = edgeT(e);
      if (state[e] === CHOSEN_OUT) {
        const at = ctx.chosenAt(t2.slot);
        culprits.add(at.level);
        kinds.add("conflict");
        const clause2 = `${ctx.describe(t2)}, but ${t2.id} ${at.pkg.manifest.version} is already chosen because ${ctx.why(at.level)}`;
        if (!chain.includes(clause2)) chain.push(clause2);
        continue;
      }
      const group = edgeGroup[e];
      const members = memberList.slice(memberStart[group], memberStart[group + 1]);
      const names = members.map((m) => `${pkgOf[m].manifest.id} ${pkgOf[m].manifest.version}`);
      const clause = names.length === 1 ? ctx.describe(t2) : names.length === 2 ? `${ctx.describe(t2)}, but neither ${names[0]} nor ${names[1]} can be used` : `${ctx.describe(t2)}, but none of ${names.join(", ")} can be used`;
      if (!chain.includes(clause)) chain.push(clause);
      for (let i = members.length - 1; i >= 0; i--) stack.push(members[i]);
    }
  };
  const conflictOf = (versions, level) => {
    const culprits = /* @__PURE__ */ new Set([level]);
    const chain = [];
    const kinds = /* @__PURE__ */ new Set();
    const seen = /* @__PURE__ */ new Set();
    for (const g of versions) explain(g, culprits, chain, kinds, seen);
    if (chain.length > ctx.maxClauses) chain.splice(ctx.maxClauses, chain.length - ctx.maxClauses, `\u2026 (${chain.length - ctx.maxClauses} more)`);
    return { culprits: [...culprits], reason: { kind: kinds.size === 1 ? [...kinds][0] : "conflict", chain } };
  };
  return {
    chosen(slot, pkg, level) {
      marks.push(trail.length);
      const p = index.packageNumber(slot, pkg);
      const g = requested[slot] && p >= 0 ? gOfNumber[p] : -1;
      trail.push(-1, slot, chosenG[slot]);
      chosenG[slot] = g;
      if (g >= 0 && blocked[g] !== 0) return conflictOf([g], level);
      starvedRoot = -1;
      blockedChosen = -1;
      for (let i = onStart[slot]; i < onStart[slot + 1]; i++) {
        const e = onList[i];
        const inRange = p >= 0 ? index.isCandidate(p, edgeIndexGroup[e]) : index.candidatesOf(edgeT(e)).includes(pkg);
        if (!inRange) setEdge(e, CHOSEN_OUT);
        if (starvedRoot >= 0 || blockedChosen >= 0) break;
      }
      if (blockedChosen >= 0) return conflictOf([blockedChosen], level);
      if (starvedRoot >= 0) {
        const k = starvedRoot;
        const first = firstG[k];
        const versions = [];
        for (let i = 0; i < versionCount[k]; i++) versions.push(first + i);
        return conflictOf(versions, level);
      }
      return null;
    },
    unchosen(slot) {
      const mark = marks.pop();
      for (let i = trail.length - 3; i >= mark; i -= 3) {
        const kind = trail[i];
        if (kind === -1) chosenG[trail[i + 1]] = trail[i + 2];
        else arrays[kind][trail[i + 1]] = trail[i + 2];
      }
      trail.length = mark;
      void slot;
    }
  };
}

// src/registry/solver.ts
var MAX_CLAUSES = 24;
var DEFAULT_BUDGET = 2e5;
var BUDGET_NEEDED_100K = 2e4;
var statsLog = [];
function solve(index, initial, options) {
  const selected = new Array(index.slotCount);
  const locked = options.locked;
  const lookup = (slot, id) => {
    const s2 = slot >= 0 ? selected[slot] : void 0;
    if (s2 !== void 0 || locked === void 0) return s2;
    const pkg = locked.get(id);
    return pkg === void 0 ? void 0 : { pkg, level: -1 };
  };
  const levels = [];
  const budget = options.budget ?? DEFAULT_BUDGET;
  let nogoodsOf;
  for (const ng of options.nogoods ?? []) {
    const t2 = ng.reason ? { kind: "nogood", members: ng.members, why: ng.why, reason: ng.reason } : { kind: "nogood", members: ng.members, why: ng.why };
    for (const pkg of ng.members) {
      nogoodsOf ??= /* @__PURE__ */ new Map();
      let list3 = nogoodsOf.get(pkg);
      if (!list3) nogoodsOf.set(pkg, list3 = []);
      list3.push(t2);
    }
  }
  let backtracks = 0;
  const redirecting = options.complete !== void 0;
  const requestedSlots = redirecting ? new Set(initial.filter((o) => o.kind === "root").map((o) => index.slotOf(o.id))) : void 0;
  let learned = 0;
  const stats = { backtracks: 0, decisions: 0, discarded: 0, longJumps: 0, learned: 0 };
  if (statsLog.length >= 64) statsLog.shift();
  statsLog.push(stats);
  const watch = !options.excludable && locked === void 0 && options.forwardCheck !== false ? watchRequested(
    index,
    initial.flatMap((o) => o.kind === "root" ? [o.id] : []),
    options.nogoods,
    { chosenAt: (slot) => selected[slot], why, describe, maxClauses: MAX_CLAUSES }
  ) : null;
  let early = null;
  let pending = null;
  for (let i = initial.length - 1; i >= 0; i--) pending = { t: initial[i], level: -1, next: pending };
  for (; ; ) {
    while (pending !== null) {
      const cell = pending;
      pending = cell.next;
      let conflict = step(cell);
      if (conflict === null && early !== null) conflict = early, early = null;
      if (conflict !== null) {
        const failure2 = backjump(conflict.culprits, conflict.reason);
        if (failure2 !== null) return { ok: false, reason: failure2, backtracks };
      }
    }
    if (options.complete === void 0) break;
    const chosen = new Array(index.slotCount);
    if (locked) for (const pkg of locked.values()) chosen[index.slotOf(pkg.manifest.id)] = pkg;
    for (const d of levels) if (d.selection?.pkg && d.slot >= 0) chosen[d.slot] = d.selection.pkg;
    const verdict = options.complete(chosen);
    if (verdict === null) break;
    const levelsOf = (members) => members.map((m) => lookup(index.slotOf(m.manifest.id), m.manifest.id)?.level ?? -1);
    for (const more of verdict.more ?? []) learn(levelsOf(more.members), more.reason);
    const culprits = levelsOf(verdict.members);
    if (redirecting) levels.forEach((d, level) => d.selection?.pkg === null && d.cell.t.kind === "cap" && culprits.push(level));
    const failure = backjump(culprits, verdict.reason);
    if (failure !== null) return { ok: false, reason: failure, backtracks };
  }
  const out = /* @__PURE__ */ new Map();
  const excluded = /* @__PURE__ */ new Map();
  for (const d of levels) {
    const s2 = d.selection;
    if (s2.pkg !== null) out.set(s2.pkg.manifest.id, s2.pkg);
    else if (d.cell.t.kind === "root") excluded.set(d.cell.t.id, s2.excludedReason);
  }
  return { ok: true, selected: out, excluded, backtracks };
  function step(cell) {
    const t2 = cell.t;
    if (t2.kind === "cap") return stepCapability(cell, t2);
    if (t2.kind === "nogood") return stepNogood(t2);
    const range = t2.kind === "dep" ? t2.range : void 0;
    const slot = t2.kind === "dep" ? t2.slot : index.slotOf(t2.id);
    const current = lookup(slot, t2.id);
    if (current) {
      if (current.pkg === null)
        return {
          culprits: [cell.level, current.level],
          reason: { kind: current.excludedReason.kind, chain: [`${describe(t2)}, but ${t2.id} cannot be resolved`, ...current.excludedReason.chain] }
        };
      if (t2.kind !== "dep" || index.candidatesOf(t2).includes(current.pkg)) return null;
      return {
        culprits: [cell.level, current.level],
        reason: { kind: "conflict", chain: [`${describe(t2)}, but ${t2.id} ${current.pkg.manifest.version} is already chosen because ${why(current.level)}`] }
      };
    }
    const candidates = t2.kind === "dep" ? index.candidatesOf(t2) : options.excludable ? [...index.usable(t2.id)] : index.usable(t2.id);
    if (candidates.length === 0) {
      const reason = noVersionReason(t2);
      if (t2.kind === "root" && options.excludable) {
        decide(cell, [null], null, reason);
        return null;
      }
      return { culprits: [cell.level], reason };
    }
    if (t2.kind === "root" && options.excludable) candidates.push(null);
    decide(cell, candidates, null);
    return null;
  }
  function stepCapability(cell, t2) {
    let candidates = null;
    let blockers = null;
    const providers = index.providersOf(t2);
    for (let i = 0; i < providers.length; i++) {
      const entry = providers[i];
      const current = lookup(entry.slot, locked === void 0 ? "" : entry.pkg.manifest.id);
      if (current === void 0) (candidates ??= []).push(entry.pkg);
      else if (current.pkg === entry.pkg) return candidates !== null && redirecting ? keepOrRedirect(cell, candidates) : null;
      else if (current.level >= 0 && (blockers === null || !blockers.includes(current.level))) (blockers ??= []).push(current.level);
    }
    if (candidates === null) return { culprits: blockers === null ? [cell.level] : [cell.level, ...blockers], reason: noProviderReason(t2) };
    decide(cell, candidates, blockers === null ? null : new Set(blockers));
    return null;
  }
  function keepOrRedirect(cell, better) {
    const offered = [null];
    for (const pkg of better) if (!requestedSlots.has(index.slotOf(pkg.manifest.id))) offered.push(pkg);
    if (offered.length > 1) decide(cell, offered, null);
    return null;
  }
  function stepNogood(t2) {
    const culprits = [];
    for (const member of t2.members) {
      const current = lookup(index.slotOf(member.manifest.id), member.manifest.id);
      if (current?.pkg !== member) return null;
      culprits.push(current.level);
    }
    return { culprits, reason: t2.reason ?? { kind: "conflict", chain: [t2.why] } };
  }
  function decide(cell, candidates, conflictSet, preReason = null) {
    const d = { cell, candidates, next: 0, conflictSet, failures: null, slot: -1, selection: null, preReason };
    stats.decisions++;
    levels.push(d);
    assign(d, levels.length - 1);
  }
  function assign(d, level) {
    const candidate = d.candidates[d.next];
    if (candidate === null && d.cell.t.kind === "cap") {
      d.slot = -1;
      d.selection = { pkg: null, level };
      pending = d.cell.next;
      return;
    }
    if (candidate === null) {
      d.slot = index.slotOf(d.cell.t.id);
      d.selection = { pkg: null, level, excludedReason: exhaustedReason(d) };
      if (d.slot >= 0) selected[d.slot] = d.selection;
      pending = d.cell.next;
      return;
    }
    d.slot = index.slotOf(candidate.manifest.id);
    d.selection = { pkg: candidate, level };
    selected[d.slot] = d.selection;
    if (watch !== null) early = watch.chosen(d.slot, candidate, level);
    let list3 = d.cell.next;
    const ts = index.obligationsOf(candidate);
    for (let i = ts.length - 1; i >= 0; i--) list3 = { t: ts[i], level, next: list3 };
    const ngs = nogoodsOf?.get(candidate);
    if (ngs) for (const t2 of ngs) list3 = { t: t2, level, next: list3 };
    pending = list3;
  }
  function backjump(culprits, reason) {
    for (; ; ) {
      let h = -1;
      for (const c of culprits) if (c > h) h = c;
      if (h < 0) return reason;
      const jump = levels.length - 1 - h;
      stats.discarded += jump;
      if (jump > 100) stats.longJumps++;
      while (levels.length - 1 > h) unselect(levels.pop());
      const d = levels[h];
      unselect(d);
      (d.failures ??= []).push(reason);
      d.conflictSet ??= /* @__PURE__ */ new Set();
      for (const c of culprits) if (c >= 0 && c < h) d.conflictSet.add(c);
      d.next++;
      stats.backtracks = backtracks + 1;
      if (++backtracks > budget)
        return {
          kind: "budget",
          chain: [
            `the search gave up after ${budget} backtracks; the catalog has too many conflicting versions to explore (catalogs of up to 100,000 modules with alternatives need less than ${Math.round(BUDGET_NEEDED_100K / 1e3)},000: docs/resolver.md "The budget")`
          ]
        };
      if (d.next < d.candidates.length) {
        assign(d, h);
        if (early === null) return null;
        ({ culprits, reason } = early);
        early = null;
        continue;
      }
      levels.pop();
      reason = exhaustedReason(d);
      culprits = [...d.conflictSet ?? [], d.cell.level];
      learn(culprits, reason);
    }
  }
  function learn(culprits, reason) {
    const members = [];
    for (const c of new Set(culprits)) {
      if (c < 0) continue;
      const pkg = levels[c]?.selection?.pkg;
      if (!pkg) return;
      members.push(pkg);
    }
    if (members.length === 0) return;
    learned++;
    stats.learned = learned;
    const t2 = { kind: "nogood", members, why: reason.chain[0] ?? "", reason };
    nogoodsOf ??= /* @__PURE__ */ new Map();
    for (const pkg of members) {
      let list3 = nogoodsOf.get(pkg);
      if (!list3) nogoodsOf.set(pkg, list3 = []);
      list3.push(t2);
    }
  }
  function exhaustedReason(d) {
    if (d.preReason) return d.preReason;
    const t2 = d.cell.t;
    const failures = d.failures ?? [];
    const kinds = new Set(failures.map((f) => f.kind));
    const kind = kinds.has("budget") ? "budget" : kinds.size === 1 ? [...kinds][0] : "conflict";
    const chain = [];
    if (t2.kind !== "root") {
      const tried = d.candidates.filter((c) => c !== null).map((c) => `${c.manifest.id} ${c.manifest.version}`);
      chain.push(
        tried.length === 1 ? describe(t2) : tried.length === 2 ? `${describe(t2)}, but neither ${tried[0]} nor ${tried[1]} can be used` : `${describe(t2)}, but none of ${list(tried)} can be used`
      );
    }
    const seen = new Set(chain);
    for (const f of failures) for (const clause of f.chain) if (!seen.has(clause)) seen.add(clause), chain.push(clause);
    if (chain.length > MAX_CLAUSES) chain.splice(MAX_CLAUSES, chain.length - MAX_CLAUSES, `\u2026 (${chain.length - MAX_CLAUSES} more)`);
    return { kind, chain };
  }
  function unselect(d) {
    if (d.slot >= 0) {
      if (watch !== null && d.selection?.pkg) watch.unchosen(d.slot);
      selected[d.slot] = void 0;
    }
    d.selection = null;
  }
  function why(level) {
    if (level < 0) return "it is already in the plan";
    return describe(levels[level].cell.t);
  }
  function noVersionReason(t2) {
    const all = index.versions(t2.id);
    const head = describe(t2);
    if (all.length === 0)
      return { kind: "missing", chain: [t2.kind === "root" ? `no module '${t2.id}' is in the catalog` : `${head}, but no module '${t2.id}' is in the catalog`] };
    const inRange = t2.kind === "dep" ? all.filter((p) => index.satisfies(p.manifest.version, t2.range)) : all;
    if (inRange.length > 0) {
      const needs = inRange.map((p) => `${p.manifest.id} ${p.manifest.version} needs hotmod ${p.manifest.engines.hotmod}`);
      return { kind: "engine", chain: [`${t2.kind === "root" ? `${t2.id} was requested` : head}, but ${list(needs)}, and this host is hotmod ${index.hostVersion}`] };
    }
    const versions = all.map((p) => p.manifest.version).reverse();
    return {
      kind: "conflict",
      chain: [`${head}, but the catalog has ${t2.id} ${list(versions)}, ${versions.length === 1 ? "which does not satisfy" : "none satisfies"} ${t2.range}`]
    };
  }
  function noProviderReason(t2) {
    const all = index.providers(t2.name);
    const head = describe(t2);
    if (all.length === 0) return { kind: "missing", chain: [`${head}, but no module in the catalog provides ${t2.name}`] };
    const inRange = all.filter((e) => index.satisfies(e.capabilityVersion, t2.range));
    if (inRange.length === 0) {
      const ascending = [...all].sort((a, b) => (a.pkg.manifest.id < b.pkg.manifest.id ? -1 : a.pkg.manifest.id > b.pkg.manifest.id ? 1 : 0) || semver2.compare(a.pkg.manifest.version, b.pkg.manifest.version));
      const described = ascending.map((e, i) => `${e.pkg.manifest.id} ${e.pkg.manifest.version} provides ${i === 0 ? `${t2.name} ` : ""}${e.capabilityVersion}`);
      return { kind: "conflict", chain: [`${head}; ${list(described)}, ${all.length === 1 ? "which does not satisfy" : all.length === 2 ? "neither satisfies" : "none satisfies"} ${t2.range}`] };
    }
    const clauses = [];
    let blocked = false;
    for (const e of inRange) {
      const p = e.pkg.manifest;
      if (!e.engineOk) {
        clauses.push(`${p.id} ${p.version} provides ${t2.name} ${e.capabilityVersion} but needs hotmod ${p.engines.hotmod} (this host is hotmod ${index.hostVersion})`);
        continue;
      }
      const current = lookup(e.slot, p.id);
      blocked = true;
      if (current?.pkg === null) clauses.push(`${p.id} ${p.version} would provide ${t2.name} ${e.capabilityVersion}, but ${p.id} cannot be resolved`);
      else if (current?.pkg)
        clauses.push(`${p.id} ${p.version} would provide ${t2.name} ${e.capabilityVersion}, but ${p.id} ${current.pkg.manifest.version} is already chosen because ${why(current.level)}`);
    }
    return { kind: blocked ? "conflict" : "engine", chain: [`${head}; ${clauses.join("; ")}`] };
  }
}
function describe(t2) {
  switch (t2.kind) {
    case "root":
      return `${t2.id} was requested`;
    case "dep":
      return `${t2.from.manifest.id} ${t2.from.manifest.version} depends on ${t2.id} ${t2.range}`;
    case "cap":
      return `${t2.from.manifest.id} ${t2.from.manifest.version} ${t2.optional ? "optionally requires" : "requires"} ${t2.name} ${t2.range}`;
    case "nogood":
      return t2.why;
  }
}
function list(items, max = 6) {
  const shown = items.length > max ? [...items.slice(0, max), `${items.length - max} more`] : items;
  if (shown.length <= 1) return shown.join("");
  return `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}`;
}

// src/registry/solverCycles.ts
var MAX_CYCLES = 64;
function cycleCheck(index) {
  const order = index.ids.map((id) => index.slotOf(id));
  return (chosen) => {
    const edgesOf = (slot) => {
      const pkg = chosen[slot];
      const m = pkg.manifest;
      const out = [];
      for (const t2 of index.obligationsOf(pkg)) {
        if (t2.kind === "dep") {
          if (chosen[t2.slot] !== void 0) out.push({ to: t2.slot, why: `${m.id} ${m.version} depends on ${t2.id} ${t2.range}`, redirects: [] });
        } else if (t2.kind === "cap") {
          const redirects = [];
          for (const e of t2.providers ?? index.providers(t2.name)) {
            const held = chosen[e.slot];
            if (held === void 0 || !e.engineOk || !index.satisfies(e.capabilityVersion, t2.range)) continue;
            if (held === e.pkg) {
              out.push({ to: e.slot, why: `${m.id} ${m.version} requires ${t2.name} ${t2.range}, provided by ${e.pkg.manifest.id}`, redirects });
              break;
            }
            redirects.push(held);
          }
        }
      }
      return out;
    };
    const state = new Uint8Array(chosen.length);
    const cache = /* @__PURE__ */ new Map();
    const edges = (slot) => {
      let e = cache.get(slot);
      if (!e) cache.set(slot, e = edgesOf(slot));
      return e;
    };
    const found = [];
    for (const root of order) {
      if (found.length >= MAX_CYCLES) break;
      if (chosen[root] === void 0 || state[root] !== 0) continue;
      const path2 = [root];
      const via = [];
      const next = [0];
      state[root] = 1;
      while (path2.length > 0) {
        const slot = path2[path2.length - 1];
        const list3 = edges(slot);
        const k = next[next.length - 1];
        if (k >= list3.length) {
          state[slot] = 2;
          path2.pop();
          next.pop();
          via.pop();
          continue;
        }
        next[next.length - 1] = k + 1;
        const edge = list3[k];
        if (state[edge.to] === 1) {
          const start = path2.indexOf(edge.to);
          const cycleEdges = [...via.slice(start), edge];
          const slots = path2.slice(start);
          const members = slots.map((s2) => chosen[s2]);
          const ids = [...slots, edge.to].map((s2) => chosen[s2].manifest.id);
          const culprits = new Set(members);
          for (const e of cycleEdges) for (const r of e.redirects) culprits.add(r);
          const names = members.map((p) => `${p.manifest.id} ${p.manifest.version}`);
          found.push({
            members: [...culprits],
            reason: {
              kind: "conflict",
              chain: [`${names.length === 2 ? names.join(" and ") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`} together would close a cycle: ${ids.join(" -> ")} (${cycleEdges.map((e) => e.why).join("; ")})`]
            }
          });
          if (found.length >= MAX_CYCLES) break;
        }
        if (state[edge.to] === 0) {
          state[edge.to] = 1;
          path2.push(edge.to);
          via.push(edge);
          next.push(0);
        }
      }
    }
    return found.length === 0 ? null : { ...found[0], more: found.slice(1) };
  };
}
function wouldRedirect(index, selected, extra) {
  const offered = /* @__PURE__ */ new Set();
  for (const pkg of extra.values()) for (const name of Object.keys(pkg.manifest.provides)) offered.add(name);
  if (offered.size === 0) return false;
  for (const pkg of selected.values()) {
    for (const t2 of index.obligationsOf(pkg)) {
      if (t2.kind !== "cap" || !offered.has(t2.name)) continue;
      for (const e of t2.providers ?? index.providers(t2.name)) {
        if (!e.engineOk || !index.satisfies(e.capabilityVersion, t2.range)) continue;
        const id = e.pkg.manifest.id;
        if (selected.get(id) === e.pkg) break;
        if (extra.get(id) === e.pkg) return true;
      }
    }
  }
  return false;
}

// src/registry/solverPrune.ts
var label = (p) => `${p.manifest.id} ${p.manifest.version}`;
var memo = /* @__PURE__ */ new WeakMap();
function deadPackages(index, requested) {
  let byRequest = memo.get(index);
  if (!byRequest) memo.set(index, byRequest = /* @__PURE__ */ new Map());
  const key = requested.join("\n");
  let found = byRequest.get(key);
  if (!found) {
    if (byRequest.size >= 16) byRequest.clear();
    byRequest.set(key, found = Object.freeze(computeDead(index, requested)));
  }
  return found;
}
function computeDead(index, requested) {
  const packages2 = index.packageCount;
  const slots = index.slotCount;
  const groups = index.groupCount;
  const rank = new Int32Array(groups).fill(-1);
  const alive = new Int32Array(groups);
  const waiterCount = new Int32Array(groups + 1);
  let ranked = 0;
  for (let i = 0; i < slots; i++) {
    const s2 = index.slotSorted(i);
    for (let u = index.usableFrom(s2); u < index.usableFrom(s2 + 1); u++) {
      const p = index.usableAt(u);
      for (let k = index.obligationsFrom(p); k < index.obligationsFrom(p + 1); k++) {
        const g = index.obligationAt(k);
        if (rank[g] === -1) rank[g] = ranked++, alive[g] = index.groupSize(g);
        waiterCount[g + 1]++;
      }
    }
  }
  for (let g = 0; g < groups; g++) waiterCount[g + 1] += waiterCount[g];
  const waiters = new Int32Array(waiterCount[groups]);
  const at = waiterCount.slice(0, groups);
  const stackP = [];
  const stackG = [];
  for (let i = 0; i < slots; i++) {
    const s2 = index.slotSorted(i);
    for (let u = index.usableFrom(s2); u < index.usableFrom(s2 + 1); u++) {
      const p = index.usableAt(u);
      for (let k = index.obligationsFrom(p); k < index.obligationsFrom(p + 1); k++) {
        const g = index.obligationAt(k);
        waiters[at[g]++] = p;
        if (alive[g] === 0) stackP.push(p), stackG.push(g);
      }
    }
  }
  const reasons = new Array(packages2);
  const order = [];
  const isAlive = (p) => reasons[p] === void 0;
  const requestedSlot = new Uint8Array(slots);
  for (let i = 0; i < requested.length; i++) {
    const s2 = index.slotOf(requested[i]);
    if (s2 >= 0) requestedSlot[s2] = 1;
  }
  const dirty = new Uint8Array(slots);
  const dirtyList = [];
  for (let s2 = 0; s2 < slots; s2++) if (requestedSlot[s2]) dirty[s2] = 1, dirtyList.push(s2);
  const near = [];
  const kill = (p, kind, clause, because) => {
    reasons[p] = { kind: because?.kind ?? kind, chain: because ? [clause, ...because.chain.slice(0, 4)] : [clause] };
    order.push(p);
    near.length = 0;
    index.groupsNear(p, near);
    let mine = 0;
    for (let i = 0; i < near.length; i++) {
      const g = near[i];
      if (rank[g] < 0 || !index.isCandidate(p, g)) continue;
      let j = mine++;
      while (j > 0 && rank[near[j - 1]] > rank[g]) near[j] = near[j - 1], j--;
      near[j] = g;
    }
    for (let i = 0; i < mine; i++) {
      const g = near[i];
      if (--alive[g] === 0) for (let w = waiterCount[g]; w < waiterCount[g + 1]; w++) stackP.push(waiters[w]), stackG.push(g);
    }
    const s2 = index.slotOfPackage(p);
    if (requestedSlot[s2] && !dirty[s2]) dirty[s2] = 1, dirtyList.push(s2);
  };
  const starve = (p, g) => {
    const pkg = index.packageAt(p);
    const first = index.groupFirst(g);
    const name = index.groupName(g);
    const range = index.groupRange(g);
    if (index.groupKind(g) === DEP) {
      if (first < 0) kill(p, index.groupTarget(g) < 0 ? "missing" : "conflict", `${label(pkg)} depends on ${name} ${range}, which no usable version of ${name} satisfies`);
      else kill(p, "conflict", `${label(pkg)} depends on ${name} ${range}, and no version of ${name} in that range can be part of a plan`, reasons[first]);
    } else {
      if (first < 0) kill(p, index.capabilityHasProviders(index.groupTarget(g)) ? "conflict" : "missing", `${label(pkg)} requires ${name} ${range}, which no usable module provides`);
      else kill(p, "conflict", `${label(pkg)} requires ${name} ${range}, and no provider in that range can be part of a plan`, reasons[first]);
    }
  };
  const depOn = (p, d) => {
    const name = index.groupName(d);
    for (let k = index.obligationsFrom(p); k < index.obligationsFrom(p + 1); k++) {
      const g = index.obligationAt(k);
      if (index.groupKind(g) === DEP && index.groupName(g) === name) return g;
    }
    return -1;
  };
  while (stackP.length > 0 || dirtyList.length > 0) {
    stackP.reverse();
    stackG.reverse();
    while (stackP.length > 0) {
      const p = stackP.pop();
      const g = stackG.pop();
      if (isAlive(p)) starve(p, g);
    }
    const round = dirtyList.splice(0, dirtyList.length).sort((a, b) => index.rankOfSlot(a) - index.rankOfSlot(b));
    for (let r = 0; r < round.length; r++) dirty[round[r]] = 0;
    for (let r = 0; r < round.length; r++) {
      const s2 = round[r];
      const id = index.idOfSlot(s2);
      const from = index.usableFrom(s2);
      const to = index.usableFrom(s2 + 1);
      let first = -1;
      for (let u = from; u < to && first < 0; u++) if (isAlive(index.usableAt(u))) first = index.usableAt(u);
      if (first < 0) continue;
      for (let k = index.obligationsFrom(first); k < index.obligationsFrom(first + 1); k++) {
        const d = index.obligationAt(k);
        if (index.groupKind(d) !== DEP) continue;
        const ranges2 = [];
        let all = true;
        for (let u = from; u < to; u++) {
          const v = index.usableAt(u);
          if (!isAlive(v)) continue;
          const t2 = depOn(v, d);
          if (t2 < 0) {
            all = false;
            break;
          }
          ranges2.push(t2);
        }
        const target = index.groupTarget(d);
        if (!all || target < 0) continue;
        for (let u = index.usableFrom(target); u < index.usableFrom(target + 1); u++) {
          const p = index.usableAt(u);
          if (!isAlive(p) || ranges2.some((r2) => index.isCandidate(p, r2))) continue;
          const words = [...new Set(ranges2.map((r2) => index.groupRange(r2)))].join(" or ");
          kill(p, "conflict", `${id} is requested and every usable version of it depends on ${index.groupName(d)} in ${words}, which ${label(index.packageAt(p))} does not satisfy`);
        }
      }
    }
    stackP.reverse();
    stackG.reverse();
  }
  const out = [];
  for (const p of order) {
    const reason = reasons[p];
    out.push({ members: [index.packageAt(p)], why: reason.chain[0], reason });
  }
  return out;
}

// src/registry/resolveTrace.ts
var NONE = Object.freeze([]);
var shortcutCases = { addedOutside: 0, addedInPlan: 0, removedOutside: 0, removedInPlan: 0 };
var traceSubstitutions = { count: 0 };
var otherComponentSkips = { count: 0 };
function obligationsOf(trace, pkg) {
  return trace.current.get(pkg)?.obligations ?? trace.index.obligationsOf(pkg);
}
function buildObligations(index, pkg) {
  const built = [];
  const f = manifestFacts(pkg.manifest);
  for (const [id, range] of f.dependsOn) built.push({ kind: "dep", id, range, from: pkg, usable: index.usable(id), slot: index.slotOf(id) });
  for (const [name, range] of f.requires) built.push({ kind: "cap", name, range, from: pkg, optional: false, providers: index.providers(name) });
  return built;
}
function buildTrace(index, plan) {
  const n2 = index.slotCount;
  const chosen = new Array(n2);
  const modOf = /* @__PURE__ */ new Map();
  const levelOf = /* @__PURE__ */ new Map();
  plan.levels.forEach((level, k) => {
    for (const id of level) levelOf.set(id, k);
  });
  for (const m of plan.modules) {
    const slot = index.slotOf(m.id);
    if (slot < 0 || !index.usable(m.id).includes(m.pkg)) return void 0;
    if (manifestFacts(m.pkg.manifest).optionalRequires.length > 0) {
      for (const name in m.optionalBindings) if (m.optionalBindings[name] !== null) return void 0;
    }
    chosen[slot] = m.pkg;
    modOf.set(m.id, m);
  }
  if (modOf.size !== n2) return void 0;
  for (const id of index.ids) {
    const versions = index.versions(id);
    for (let i = 1; i < versions.length; i++) if (versions[i].manifest.version === versions[i - 1].manifest.version) return void 0;
  }
  const pos = new Int32Array(n2).fill(-1);
  const times = new Array(n2);
  const served = new Array(n2);
  const rejTime = [];
  const rejPkg = [];
  let time = 0;
  const frames = [{ owner: -1, list: null, at: 0 }];
  const ids = index.ids;
  const choose = (slot, candidates, pkg) => {
    const j = candidates.indexOf(pkg);
    if (j < 0) return false;
    for (let i = 0; i < j; i++) rejTime.push(time), rejPkg.push(candidates[i]);
    pos[slot] = time++;
    const list3 = index.obligationsOf(pkg);
    times[slot] = [];
    served[slot] = [];
    frames.push({ owner: slot, list: list3, at: 0 });
    return true;
  };
  while (frames.length > 0) {
    const f = frames[frames.length - 1];
    if (f.list === null) {
      if (f.at >= ids.length) {
        frames.pop();
        continue;
      }
      const id = ids[f.at++];
      const slot = index.slotOf(id);
      if (pos[slot] >= 0) continue;
      if (!choose(slot, index.usable(id), chosen[slot])) return void 0;
      continue;
    }
    if (f.at >= f.list.length) {
      times[f.owner].push(time);
      frames.pop();
      continue;
    }
    const t2 = f.list[f.at++];
    times[f.owner].push(time);
    if (t2.kind === "dep") {
      const slot = t2.slot;
      if (slot < 0) return void 0;
      const inRange = index.candidatesOf(t2);
      if (pos[slot] >= 0) {
        if (!inRange.includes(chosen[slot])) return void 0;
        served[f.owner].push(true);
        continue;
      }
      served[f.owner].push(false);
      if (!choose(slot, inRange, chosen[slot])) return void 0;
    } else if (t2.kind === "cap") {
      const providers = index.providersOf(t2);
      let isServed = false;
      for (let i = 0; i < providers.length; i++) {
        const e = providers[i];
        if (chosen[e.slot] === e.pkg && pos[e.slot] >= 0) {
          isServed = true;
          break;
        }
      }
      served[f.owner].push(isServed);
      if (isServed) continue;
      const candidates = [];
      let pick;
      for (const e of providers) {
        if (pos[e.slot] >= 0) continue;
        candidates.push(e.pkg);
        if (chosen[e.slot] === e.pkg) {
          pick = e;
          break;
        }
      }
      if (pick === void 0 || !choose(pick.slot, candidates, pick.pkg)) return void 0;
    } else return void 0;
  }
  const dead = /* @__PURE__ */ new Set();
  for (const d of deadPackages(index, ids)) dead.add(d.members[0]);
  const dependedOnBy = /* @__PURE__ */ new Map();
  for (const id of ids)
    for (const p of index.usable(id))
      for (const [dep] of manifestFacts(p.manifest).dependsOn) {
        const list3 = dependedOnBy.get(dep);
        if (list3) list3.push(p);
        else dependedOnBy.set(dep, [p]);
      }
  const trace = { index, chosen, pos, times, served, rejTime, rejPkg, rejRefuted: [], rejOf: /* @__PURE__ */ new Map(), dead, current: /* @__PURE__ */ new Map(), dependedOnBy, modOf, levelOf, components: void 0 };
  const oblOf = (p) => index.obligationsOf(p);
  for (let r = 0; r < rejPkg.length; r++) {
    const support = [];
    trace.rejRefuted.push(refuted(trace, rejTime[r], rejPkg[r], oblOf, support));
    addSupport(trace, r, support);
  }
  return trace;
}
var DEPTH = 2;
function refuted(trace, k, pkg, oblOf, support, depth = DEPTH, extra = []) {
  const { index, chosen, pos, dead } = trace;
  if (dead.has(pkg)) return true;
  support.push(pkg);
  const own = index.slotOf(pkg.manifest.id);
  const held = (slot) => {
    if (slot === own) return pkg;
    for (const [s2, p] of extra) if (s2 === slot) return p;
    return pos[slot] >= 0 && pos[slot] < k ? chosen[slot] : void 0;
  };
  let deeper;
  const refutedWith = (slot, option) => {
    if (depth <= 1) return false;
    deeper ??= [...extra, [own, pkg]];
    return refuted(trace, k, option, oblOf, support, depth - 1, deeper);
  };
  for (const t2 of oblOf(pkg)) {
    if (t2.kind === "dep") {
      if (t2.slot < 0) return true;
      const inRange = index.candidatesOf(t2);
      const h = held(t2.slot);
      if (h !== void 0 ? !inRange.includes(h) : inRange.every((p) => dead.has(p) || refutedWith(t2.slot, p))) return true;
    } else if (t2.kind === "cap") {
      let open = false;
      for (const e of index.providersOf(t2)) {
        const h = held(e.slot);
        if (h === void 0 ? !dead.has(e.pkg) && !refutedWith(e.slot, e.pkg) : h === e.pkg) {
          open = true;
          break;
        }
      }
      if (!open) return true;
    }
  }
  if (depth < DEPTH) return false;
  const seen = /* @__PURE__ */ new Set();
  for (const p of trace.dependedOnBy.get(pkg.manifest.id) ?? []) {
    const id = p.manifest.id;
    if (seen.has(id) || id === pkg.manifest.id) continue;
    seen.add(id);
    const slot = index.slotOf(id);
    const h = held(slot);
    if (h !== void 0) {
      support.push(h);
      for (const t2 of oblOf(h)) if (t2.kind === "dep" && t2.slot === own && !index.candidatesOf(t2).includes(pkg)) return true;
      continue;
    }
    if (index.usable(id).every((v) => dead.has(v) || refutedWith(slot, v))) return true;
  }
  return false;
}
function addSupport(trace, r, support) {
  for (const p of support) {
    const set = trace.rejOf.get(p);
    if (set) set.add(r);
    else trace.rejOf.set(p, /* @__PURE__ */ new Set([r]));
  }
}
function recheckFor(trace, base, obligations) {
  const oblOf = (p) => p === base ? obligations : obligationsOf(trace, p);
  const out = /* @__PURE__ */ new Map();
  for (const r of trace.rejOf.get(base) ?? []) {
    const support = [];
    out.set(r, { ok: refuted(trace, trace.rejTime[r], trace.rejPkg[r], oblOf, support), support });
  }
  return out;
}
function find(c, key) {
  let x = c.node.get(key);
  if (x === void 0) c.node.set(key, x = c.parent.length), c.parent.push(x);
  while (c.parent[x] !== x) x = c.parent[x] = c.parent[c.parent[x]];
  return x;
}
function union(c, a, b) {
  const ra = find(c, a);
  const rb = find(c, b);
  if (ra !== rb) c.parent[ra] = rb;
}
function componentsOf(trace) {
  if (trace.components) return trace.components;
  const c = { node: /* @__PURE__ */ new Map(), parent: [] };
  for (const id of trace.index.ids)
    for (const base of trace.index.versions(id)) {
      const f = manifestFacts((trace.current.get(base)?.pkg ?? base).manifest);
      const self = `i${id}`;
      find(c, self);
      for (const [dep] of f.dependsOn) union(c, self, `i${dep}`);
      for (const [cap] of f.requires) union(c, self, `c${cap}`);
      for (const [cap] of f.optionalRequires) union(c, self, `c${cap}`);
      for (const [cap] of f.provides) union(c, self, `c${cap}`);
    }
  return trace.components = c;
}
function firstUnrefuted(trace, recheck, id) {
  let first = Infinity;
  for (const [r, { ok }] of recheck) if (!ok) first = Math.min(first, trace.rejTime[r]);
  let own;
  for (let r = 0; r < trace.rejPkg.length && trace.rejTime[r] < first; r++)
    if (!trace.rejRefuted[r] && !recheck.has(r)) {
      const c = componentsOf(trace);
      own ??= find(c, `i${id}`);
      if (find(c, `i${trace.rejPkg[r].manifest.id}`) !== own) {
        otherComponentSkips.count++;
        continue;
      }
      first = trace.rejTime[r];
      break;
    }
  return first;
}
function subsequence(sub, all) {
  let i = 0;
  for (const e of all) if (i < sub.length && sub[i][0] === e[0] && sub[i][1] === e[1]) i++;
  return i === sub.length;
}
function sameEntries(a, b) {
  return a.length === b.length && a.every((e, i) => e[0] === b[i][0] && e[1] === b[i][1]);
}
function requirementsOnly(from, to) {
  const fa = manifestFacts(from.manifest);
  const fb = manifestFacts(to.manifest);
  if (from.key !== to.key || from.manifest.engines.hotmod !== to.manifest.engines.hotmod) return false;
  return sameEntries(fa.provides, fb.provides) && sameEntries(fa.optionalRequires, fb.optionalRequires) && sameEntries(fa.dependsOn, fb.dependsOn);
}
function commonRequirements(from, to) {
  const fa = manifestFacts(from.manifest).requires;
  const fb = manifestFacts(to.manifest).requires;
  const inB = new Map(fb.map(([name, range]) => [name, range]));
  const common = fa.filter(([name, range]) => inB.get(name) === range);
  return subsequence(common, fb) ? Object.fromEntries(common) : void 0;
}
function deadLosingRequirements(index, from, to) {
  const fb = new Map(manifestFacts(to.manifest).requires);
  if (manifestFacts(from.manifest).requires.every(([name, range]) => fb.get(name) === range)) return false;
  return deadPackages(index, index.ids).some((d) => d.members[0].key === from.key);
}
function applyRequirementsChange(trace, plan, from, to) {
  if (!requirementsOnly(from, to)) return void 0;
  const fa = manifestFacts(from.manifest).requires;
  const fb = manifestFacts(to.manifest).requires;
  if (subsequence(fa, fb) || subsequence(fb, fa)) return applyOne(trace, plan, from, to);
  const common = commonRequirements(from, to);
  if (common === void 0) return void 0;
  const between = { ...from, manifest: { ...from.manifest, requires: common } };
  const half = applyOne(trace, plan, from, between);
  return half === void 0 ? void 0 : applyOne(trace, half, between, to);
}
function applyOne(trace, plan, from, to) {
  const { index } = trace;
  const id = to.manifest.id;
  const slot = index.slotOf(id);
  if (slot < 0) return void 0;
  const base = index.versions(id).find((p) => p.key === to.key);
  if (base === void 0 || (trace.current.get(base)?.pkg ?? base) !== from) return void 0;
  const fa = manifestFacts(from.manifest);
  const fb = manifestFacts(to.manifest);
  const tighter = subsequence(fa.requires, fb.requires);
  const looser = subsequence(fb.requires, fa.requires);
  const newObligations = buildObligations(index, to);
  const inPlan = trace.chosen[slot] === base;
  const deps = fa.dependsOn.length;
  const recheck = recheckFor(trace, base, newObligations);
  if (!tighter) {
    if (trace.dead.has(base)) return void 0;
    let until;
    if (inPlan) {
      until = trace.pos[slot] + 1;
      let j = 0;
      for (let i = 0; i < fa.requires.length; i++) {
        const kept = j < fb.requires.length && fb.requires[j][0] === fa.requires[i][0] && fb.requires[j][1] === fa.requires[i][1];
        if (kept) {
          j++;
          continue;
        }
        if (!trace.served[slot][deps + i]) return void 0;
        until = Math.max(until, trace.times[slot][deps + i]);
      }
    } else until = trace.pos[slot] + 1;
    if (firstUnrefuted(trace, recheck, id) < until) return void 0;
  } else if (inPlan && !looser) {
    const oldTimes = trace.times[slot];
    const oldAt = new Map(fa.requires.map(([name], i) => [name, i]));
    let j = 0;
    for (let i = 0; i < fb.requires.length; i++) {
      const kept = oldAt.get(fb.requires[i][0]);
      if (kept !== void 0) {
        j = kept + 1;
        continue;
      }
      const at = oldTimes[deps + j];
      let ok = false;
      for (const e of index.providersOf(newObligations[deps + i]))
        if (trace.chosen[e.slot] === e.pkg && trace.pos[e.slot] < at) {
          ok = true;
          break;
        }
      if (!ok) return void 0;
    }
  }
  let next = { modules: plan.modules, levels: plan.levels, unresolved: plan.unresolved };
  if (inPlan && !(tighter && looser)) {
    const patched = patchPlan(trace, plan, id, to, newObligations);
    if (patched === void 0) return void 0;
    next = patched;
  }
  shortcutCases[`${tighter ? "added" : "removed"}${inPlan ? "InPlan" : "Outside"}`]++;
  if (trace.components && tighter) for (const [cap] of fb.requires) union(trace.components, `i${id}`, `c${cap}`);
  for (const [r, { ok, support }] of recheck) trace.rejRefuted[r] = ok, addSupport(trace, r, support);
  if (to === base) trace.current.delete(base);
  else trace.current.set(base, { pkg: to, obligations: newObligations });
  if (inPlan) {
    const oldTimes = trace.times[slot];
    const oldServed = trace.served[slot];
    const times = oldTimes.slice(0, deps);
    const served = oldServed.slice(0, deps);
    const oldAt = new Map(fa.requires.map(([name], i) => [name, i]));
    let j = 0;
    for (const [name] of fb.requires) {
      const i = oldAt.get(name);
      if (i !== void 0) {
        times.push(oldTimes[deps + i]);
        served.push(oldServed[deps + i]);
        j = i + 1;
      } else {
        times.push(oldTimes[deps + j]);
        served.push(true);
      }
    }
    times.push(oldTimes[oldTimes.length - 1]);
    trace.times[slot] = times;
    trace.served[slot] = served;
  }
  return next;
}
function needsOf(m) {
  const out = new Set(m.dependsOn);
  for (const name in m.bindings) out.add(m.bindings[name]);
  return out;
}
function patchPlan(trace, plan, id, to, obligations) {
  const { index, chosen, modOf, levelOf } = trace;
  const old = modOf.get(id);
  const bindings = /* @__PURE__ */ Object.create(null);
  for (const t2 of obligations) {
    if (t2.kind !== "cap") continue;
    let to_;
    for (const e of index.providersOf(t2)) if (chosen[e.slot] === e.pkg) {
      to_ = e.pkg.manifest.id;
      break;
    }
    if (to_ === void 0 || to_ === id) return void 0;
    bindings[t2.name] = to_;
  }
  const entry = Object.freeze({ ...old, version: to.manifest.version, pkg: to, bindings, dependsOn: manifestFacts(to.manifest).dependsOnIds });
  const before = needsOf(old);
  const after = needsOf(entry);
  const level = levelOf.get(id);
  for (const need of after) {
    if (before.has(need) || levelOf.get(need) <= level) continue;
    const seen = /* @__PURE__ */ new Set([need]);
    const stack = [need];
    while (stack.length > 0) {
      for (const x of needsOf(modOf.get(stack.pop()))) {
        if (x === id) return void 0;
        if (!seen.has(x) && levelOf.get(x) > level) seen.add(x), stack.push(x);
      }
    }
  }
  const changed = /* @__PURE__ */ new Map([[id, entry]]);
  for (const need of before)
    if (!after.has(need)) {
      const m = modOf.get(need);
      const dependents = m.dependents.filter((d) => d !== id);
      changed.set(need, Object.freeze({ ...m, dependents: dependents.length === 0 ? NONE : Object.freeze(dependents) }));
    }
  for (const need of after)
    if (!before.has(need)) {
      const m = modOf.get(need);
      changed.set(need, Object.freeze({ ...m, dependents: Object.freeze([...m.dependents, id].sort()) }));
    }
  const moved = /* @__PURE__ */ new Map();
  const levelNow = (x) => moved.get(x) ?? levelOf.get(x);
  const levelFrom = (m) => {
    let l = 0;
    for (const x of needsOf(m)) l = Math.max(l, levelNow(x) + 1);
    return l;
  };
  const own = levelFrom(entry);
  const buckets = [];
  const queued = /* @__PURE__ */ new Set();
  const queueDependents = (m) => {
    for (const d of m.dependents)
      if (!queued.has(d)) {
        queued.add(d);
        (buckets[levelOf.get(d)] ??= []).push(d);
      }
  };
  if (own !== level) {
    moved.set(id, own);
    queueDependents(entry);
  }
  for (let k = level + 1; k < buckets.length; k++) {
    const bucket = buckets[k];
    if (bucket === void 0) continue;
    for (const d of bucket) {
      const m = changed.get(d) ?? modOf.get(d);
      const l = levelFrom(m);
      if (l !== levelNow(d)) moved.set(d, l), queueDependents(m);
    }
  }
  const levels = [...plan.levels];
  const touched = /* @__PURE__ */ new Map();
  const touch = (k) => {
    let t2 = touched.get(k);
    if (!t2) touched.set(k, t2 = { remove: /* @__PURE__ */ new Set(), add: [] });
    return t2;
  };
  for (const [x, l] of moved) {
    touch(levelOf.get(x)).remove.add(x);
    touch(l).add.push(x);
  }
  for (const [k, t2] of touched) {
    const list3 = t2.remove.size === 0 ? [...levels[k] ?? []] : (levels[k] ?? []).filter((x) => !t2.remove.has(x));
    for (const x of t2.add) {
      let lo = 0;
      let hi = list3.length;
      while (lo < hi) {
        const mid = lo + hi >> 1;
        if (list3[mid] < x) lo = mid + 1;
        else hi = mid;
      }
      list3.splice(lo, 0, x);
    }
    levels[k] = list3;
  }
  while (levels.length > 0 && levels[levels.length - 1].length === 0) levels.pop();
  const redo = new Set(touched.keys());
  for (const x of changed.keys()) redo.add(levelOf.get(x));
  for (const [x, m] of changed) modOf.set(x, m);
  for (const [x, l] of moved) levelOf.set(x, l);
  const modules = [];
  let at = 0;
  for (let k = 0; k < levels.length; k++) {
    const old2 = plan.levels[k];
    if (!redo.has(k) && old2 !== void 0) for (let i = 0; i < old2.length; i++) modules.push(plan.modules[at + i]);
    else for (const x of levels[k]) modules.push(modOf.get(x));
    at += old2?.length ?? 0;
  }
  return { modules, levels, unresolved: plan.unresolved };
}
function followSubstitution(trace, plan, pairs) {
  const starts = [];
  let at = 0;
  for (const level of plan.levels) starts.push(at), at += level.length;
  for (const [from, to] of pairs) {
    const id = to.manifest.id;
    const base = trace.index.versions(id).find((p) => p.key === to.key);
    if (base === void 0 || (trace.current.get(base)?.pkg ?? base) !== from) return false;
    const obligations = obligationsOf(trace, base);
    if (to === base) trace.current.delete(base);
    else trace.current.set(base, { pkg: to, obligations });
    if (trace.modOf.get(id)?.pkg !== from) continue;
    const k = trace.levelOf.get(id);
    const i = plan.levels[k].indexOf(id);
    const m = plan.modules[starts[k] + i];
    if (m?.pkg !== to) return false;
    trace.modOf.set(id, m);
  }
  return true;
}
function substituteByTrace(trace, plan, pairs) {
  const starts = [];
  let at = 0;
  for (const level of plan.levels) starts.push(at), at += level.length;
  let modules;
  for (const [from, to] of pairs) {
    const id = to.manifest.id;
    const base = trace.index.versions(id).find((p) => p.key === to.key);
    if (base === void 0 || (trace.current.get(base)?.pkg ?? base) !== from) return void 0;
    const obligations = obligationsOf(trace, base);
    if (to === base) trace.current.delete(base);
    else trace.current.set(base, { pkg: to, obligations });
    const m = trace.modOf.get(id);
    if (m?.pkg !== from) continue;
    const k = trace.levelOf.get(id);
    const i = starts[k] + plan.levels[k].indexOf(id);
    if (plan.modules[i] !== m) return void 0;
    const next = Object.freeze({ ...m, pkg: to });
    (modules ??= [...plan.modules])[i] = next;
    trace.modOf.set(id, next);
  }
  traceSubstitutions.count++;
  return { modules: modules ?? plan.modules, levels: plan.levels, unresolved: plan.unresolved };
}

// src/registry/resolveSession.ts
var sessions = /* @__PURE__ */ new WeakMap();
var incrementalStats = { derived: 0, substituted: 0, full: 0, shortcut: 0 };
function rememberPlan(plan, packages2, options, facts2, graph, positioned = true) {
  if (graph !== void 0 && !positioned) placeModules(graph, plan, facts2);
  sessions.set(plan, {
    packages: Object.isFrozen(packages2) ? packages2 : [...packages2],
    hostVersion: options.hostVersion,
    mode: options.mode ?? "strict",
    request: options.request ? [...new Set(options.request)].sort() : void 0,
    pullOptional: options.pullOptionalProviders !== false,
    maxBacktracks: options.maxBacktracks,
    facts: facts2,
    graph,
    trace: void 0,
    // Only resolvePlan's resolve from scratch passes positioned = false.
    indexed: !positioned && Object.isFrozen(packages2)
  });
}
var MAX_SHARE = 0.5;
var MAX_DIFF = 256;
function resolveIncrementally(packages2, options, full) {
  const out = derive(packages2, options, full);
  if (out.plan === void 0) incrementalStats.full++;
  else incrementalStats.derived++;
  return out;
}
function derive(packages2, options, full) {
  const previous = options.previous;
  const s2 = sessions.get(previous);
  if (s2 === void 0 || !sameOptions(s2, options)) return {};
  const diff = diffPackages(s2.packages, packages2);
  if (diff === void 0 || diff.changedIds.size > 0 && !s2.facts.decomposable) return {};
  const shortcut = requirementsShortcut(s2, previous, diff);
  if (shortcut !== void 0) {
    incrementalStats.shortcut++;
    rememberPlan(shortcut.plan, packages2, options, s2.facts);
    sessions.get(shortcut.plan).trace = shortcut.trace;
    return { plan: shortcut.plan };
  }
  if (diff.changedIds.size === 0 && s2.graph === void 0 && s2.trace !== void 0) {
    const trace2 = s2.trace;
    s2.trace = void 0;
    const plan2 = substituteByTrace(trace2, previous, diff.substituted);
    if (plan2 !== void 0) {
      incrementalStats.substituted++;
      rememberPlan(plan2, packages2, options, s2.facts);
      sessions.get(plan2).trace = trace2;
      return { plan: plan2 };
    }
  }
  const graph = s2.graph ?? buildGraph(s2.packages, previous);
  s2.graph = void 0;
  for (const pkg of diff.added) {
    const key = pkg.key;
    if ((graph.packagesOf.get(pkg.manifest.id) ?? []).some((p) => p.key === key && !diff.removed.includes(p))) return {};
  }
  let plan = diff.substituted.length === 0 ? previous : substitute(previous, diff.substituted, graph);
  for (const [from, to] of diff.substituted) replaceIn(graph.packagesOf, from, to);
  let jointOk = s2.facts.jointOk;
  if (diff.changedIds.size === 0) incrementalStats.substituted++;
  else {
    const next = resolveComponents(plan, options, full, s2, graph, diff);
    if (next === "gave-up") return { graph };
    ({ plan, jointOk } = next);
  }
  if (plan === previous) plan = { modules: previous.modules, levels: previous.levels, unresolved: previous.unresolved };
  rememberPlan(plan, packages2, options, { ...s2.facts, jointOk, solved: countSolved(plan, graph) }, graph);
  const trace = s2.trace;
  s2.trace = void 0;
  if (trace !== void 0 && diff.changedIds.size === 0 && followSubstitution(trace, plan, diff.substituted)) sessions.get(plan).trace = trace;
  return { plan };
}
function requirementsShortcut(s2, previous, diff) {
  if (diff.removed.length !== 1 || diff.added.length !== 1 || diff.substituted.length !== 0) return void 0;
  const [from] = diff.removed;
  const [to] = diff.added;
  if (s2.request !== void 0 || !s2.facts.jointOk || !s2.facts.decomposable || previous.unresolved.length > 0 || !requirementsOnly(from, to)) return void 0;
  let trace = s2.trace;
  s2.trace = void 0;
  if (trace === void 0) {
    if (!s2.indexed) return void 0;
    const index = resolveIndexFor(s2.packages, s2.hostVersion);
    if (deadLosingRequirements(index, from, to)) return void 0;
    trace = buildTrace(index, previous);
    if (trace === void 0) return void 0;
  }
  const plan = applyRequirementsChange(trace, previous, from, to);
  if (plan === void 0) return void 0;
  s2.graph = void 0;
  return { plan, trace };
}
function countSolved(plan, graph) {
  let n2 = 0;
  for (const u of plan.unresolved) if (graph.unresolvedOf.get(u.id) === true) n2++;
  return n2;
}
function sameOptions(s2, o) {
  if (s2.hostVersion !== o.hostVersion || s2.mode !== (o.mode ?? "strict") || s2.pullOptional !== (o.pullOptionalProviders !== false) || s2.maxBacktracks !== o.maxBacktracks) return false;
  if (o.request === void 0 || s2.request === void 0) return o.request === void 0 && s2.request === void 0;
  const r = [...new Set(o.request)].sort();
  return r.length === s2.request.length && r.every((id, i) => id === s2.request[i]);
}
function diffPackages(before, after) {
  let head = 0;
  const shorter = Math.min(before.length, after.length);
  while (head < shorter && before[head] === after[head]) head++;
  let tailB = before.length;
  let tailA = after.length;
  while (tailB > head && tailA > head && before[tailB - 1] === after[tailA - 1]) tailB--, tailA--;
  if (tailB - head > MAX_DIFF || tailA - head > MAX_DIFF) return void 0;
  const removedByKey = /* @__PURE__ */ new Map();
  for (let i = head; i < tailB; i++) {
    if (removedByKey.has(before[i].key)) return void 0;
    removedByKey.set(before[i].key, before[i]);
  }
  const addedKeys = /* @__PURE__ */ new Set();
  for (let i = head; i < tailA; i++) {
    if (addedKeys.has(after[i].key)) return void 0;
    addedKeys.add(after[i].key);
  }
  const diff = { removed: [], added: [], substituted: [], changedIds: /* @__PURE__ */ new Set() };
  for (let i = head; i < tailA; i++) {
    const pkg = after[i];
    const old = removedByKey.get(pkg.key);
    if (old === void 0) {
      diff.added.push(pkg);
      diff.changedIds.add(pkg.manifest.id);
      continue;
    }
    removedByKey.delete(pkg.key);
    if (old === pkg) continue;
    if (sameFacts(old, pkg)) diff.substituted.push([old, pkg]);
    else {
      diff.removed.push(old);
      diff.added.push(pkg);
      diff.changedIds.add(pkg.manifest.id);
    }
  }
  for (const old of removedByKey.values()) {
    diff.removed.push(old);
    diff.changedIds.add(old.manifest.id);
  }
  return diff;
}
function sameFacts(a, b) {
  const ma = a.manifest;
  const mb = b.manifest;
  if (ma === mb) return true;
  if (ma.id !== mb.id || ma.version !== mb.version || ma.engines.hotmod !== mb.engines.hotmod) return false;
  const fa = manifestFacts(ma);
  const fb = manifestFacts(mb);
  return sameEntries2(fa.provides, fb.provides) && sameEntries2(fa.requires, fb.requires) && sameEntries2(fa.optionalRequires, fb.optionalRequires) && sameEntries2(fa.dependsOn, fb.dependsOn);
}
function sameEntries2(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i][0] !== b[i][0] || a[i][1] !== b[i][1]) return false;
  return true;
}
function replaceIn(packagesOf, from, to) {
  const list3 = packagesOf.get(from.manifest.id);
  const i = list3?.indexOf(from) ?? -1;
  if (i >= 0) list3[i] = to;
}
function positionOf(plan, graph, id, starts) {
  const level = graph.levelOf.get(id);
  if (level === void 0) return -1;
  const ids = plan.levels[level];
  let lo = 0;
  let hi = ids.length - 1;
  while (lo <= hi) {
    const mid = lo + hi >> 1;
    const v = ids[mid];
    if (v === id) return starts[level] + mid;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
function levelStarts(plan) {
  const starts = [];
  let at = 0;
  for (const level of plan.levels) starts.push(at), at += level.length;
  return starts;
}
function substitute(plan, pairs, graph) {
  const starts = levelStarts(plan);
  let modules;
  for (const [from, to] of pairs) {
    const i = positionOf(plan, graph, from.manifest.id, starts);
    if (i < 0 || plan.modules[i].pkg !== from) continue;
    modules ??= [...plan.modules];
    modules[i] = Object.freeze({ ...plan.modules[i], pkg: to });
  }
  return modules === void 0 ? plan : { modules, levels: plan.levels, unresolved: plan.unresolved };
}
function buildGraph(packages2, plan) {
  const graph = { packagesOf: /* @__PURE__ */ new Map(), idComp: /* @__PURE__ */ new Map(), capComp: /* @__PURE__ */ new Map(), members: /* @__PURE__ */ new Map(), nextComp: 0, levelOf: /* @__PURE__ */ new Map(), unresolvedOf: /* @__PURE__ */ new Map(), failing: /* @__PURE__ */ new Set() };
  for (const pkg of packages2) {
    const list3 = graph.packagesOf.get(pkg.manifest.id);
    if (list3) list3.push(pkg);
    else graph.packagesOf.set(pkg.manifest.id, [pkg]);
  }
  label2(graph, [...graph.packagesOf.keys()], [], plan.unresolved.map((u) => u.id));
  placeModules(graph, plan, sessions.get(plan)?.facts);
  return graph;
}
function placeModules(graph, plan, facts2) {
  graph.levelOf.clear();
  graph.unresolvedOf.clear();
  plan.levels.forEach((level, k) => {
    for (const id of level) graph.levelOf.set(id, k);
  });
  plan.unresolved.forEach((u, i) => graph.unresolvedOf.set(u.id, i < (facts2?.solved ?? plan.unresolved.length)));
}
function label2(graph, ids, caps, extraIds) {
  const node = /* @__PURE__ */ new Map();
  const parent = [];
  const find2 = (x) => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]];
    return x;
  };
  const nodeOf = (key) => {
    let n2 = node.get(key);
    if (n2 === void 0) node.set(key, n2 = parent.length), parent.push(n2);
    return n2;
  };
  const union2 = (a, b) => {
    const ra = find2(a);
    const rb = find2(b);
    if (ra !== rb) parent[ra] = rb;
  };
  for (const id of [...ids, ...extraIds]) nodeOf(`i${id}`);
  for (const cap of caps) nodeOf(`c${cap}`);
  for (const id of ids)
    for (const pkg of graph.packagesOf.get(id) ?? []) {
      const u = nodeOf(`i${id}`);
      const f = manifestFacts(pkg.manifest);
      for (const [dep] of f.dependsOn) union2(u, nodeOf(`i${dep}`));
      for (const [cap] of f.requires) union2(u, nodeOf(`c${cap}`));
      for (const [cap] of f.optionalRequires) union2(u, nodeOf(`c${cap}`));
      for (const [cap] of f.provides) union2(u, nodeOf(`c${cap}`));
    }
  const compOfRoot = /* @__PURE__ */ new Map();
  for (const [key, n2] of node) {
    const root = find2(n2);
    let comp = compOfRoot.get(root);
    if (comp === void 0) {
      compOfRoot.set(root, comp = graph.nextComp++);
      graph.members.set(comp, { ids: [], caps: [] });
    }
    const m = graph.members.get(comp);
    const name = key.slice(1);
    if (key[0] === "i") graph.idComp.set(name, comp), m.ids.push(name);
    else graph.capComp.set(name, comp), m.caps.push(name);
  }
}
function restFails(graph, ids, options, full) {
  const suspects = /* @__PURE__ */ new Set();
  for (const [id, bySearch] of graph.unresolvedOf) {
    if (!bySearch || ids.has(id)) continue;
    const c = graph.idComp.get(id);
    if (c === void 0) return false;
    if (graph.failing.has(c)) return true;
    suspects.add(c);
  }
  for (const c of suspects) {
    const m = graph.members.get(c);
    const packages2 = m.ids.flatMap((id) => graph.packagesOf.get(id) ?? []);
    const inComp = new Set(m.ids);
    const request = options.request ? [...new Set(options.request)].filter((id) => inComp.has(id)) : void 0;
    let jointOk;
    try {
      jointOk = full(packages2, { ...options, previous: void 0, ...request ? { request } : {} }).facts.jointOk;
    } catch {
      return false;
    }
    if (!jointOk) {
      graph.failing.add(c);
      return true;
    }
  }
  return false;
}
function mergeInto(graph, comps, ids, caps) {
  let target;
  for (const c of comps) if (target === void 0 || graph.members.get(c).ids.length > graph.members.get(target).ids.length) target = c;
  if (target === void 0) graph.members.set(target = graph.nextComp++, { ids: [], caps: [] });
  const into = graph.members.get(target);
  graph.failing.delete(target);
  for (const c of comps) {
    if (c === target) continue;
    const m = graph.members.get(c);
    for (const id of m.ids) graph.idComp.set(id, target), into.ids.push(id);
    for (const cap of m.caps) graph.capComp.set(cap, target), into.caps.push(cap);
    graph.members.delete(c);
    graph.failing.delete(c);
  }
  for (const id of ids) if (!graph.idComp.has(id)) graph.idComp.set(id, target), into.ids.push(id);
  for (const cap of caps) if (!graph.capComp.has(cap)) graph.capComp.set(cap, target), into.caps.push(cap);
}
function resolveComponents(plan, options, full, s2, graph, diff) {
  const comps = /* @__PURE__ */ new Set();
  const ids = /* @__PURE__ */ new Set();
  const caps = /* @__PURE__ */ new Set();
  const touchId = (id) => {
    const c = graph.idComp.get(id);
    if (c === void 0) ids.add(id);
    else comps.add(c);
  };
  const touchCap = (cap) => {
    const c = graph.capComp.get(cap);
    if (c === void 0) caps.add(cap);
    else comps.add(c);
  };
  for (const id of diff.changedIds) touchId(id);
  for (const pkg of diff.added) {
    const f = manifestFacts(pkg.manifest);
    for (const [dep] of f.dependsOn) touchId(dep);
    for (const [cap] of f.requires) touchCap(cap);
    for (const [cap] of f.optionalRequires) touchCap(cap);
    for (const [cap] of f.provides) touchCap(cap);
  }
  for (const c of comps) {
    const m = graph.members.get(c);
    for (const id of m.ids) ids.add(id);
    for (const cap of m.caps) caps.add(cap);
  }
  const tooBig = ids.size > MAX_SHARE * Math.max(1, graph.idComp.size);
  for (const pkg of diff.removed) {
    const list3 = graph.packagesOf.get(pkg.manifest.id);
    list3.splice(list3.indexOf(pkg), 1);
    if (list3.length === 0) graph.packagesOf.delete(pkg.manifest.id);
  }
  for (const pkg of diff.added) {
    const list3 = graph.packagesOf.get(pkg.manifest.id);
    if (list3) list3.push(pkg);
    else graph.packagesOf.set(pkg.manifest.id, [pkg]);
  }
  if (tooBig) {
    mergeInto(graph, comps, ids, caps);
    return "gave-up";
  }
  for (const c of comps) graph.members.delete(c), graph.failing.delete(c);
  for (const id of ids) graph.idComp.delete(id);
  for (const cap of caps) graph.capComp.delete(cap);
  const inPlan = (id) => graph.levelOf.has(id) || graph.unresolvedOf.has(id);
  label2(graph, [...ids].filter((id) => graph.packagesOf.has(id)), [...caps], [...ids].filter((id) => !graph.packagesOf.has(id) && inPlan(id)));
  if (s2.request) {
    for (const id of s2.request) if (!graph.idComp.has(id)) label2(graph, [], [], [id]);
  }
  const subPackages = [];
  for (const id of ids) for (const pkg of graph.packagesOf.get(id) ?? []) subPackages.push(pkg);
  const request = s2.request?.filter((id) => ids.has(id));
  const subOptions = { ...options, previous: void 0, ...request ? { request } : {} };
  let partExcluded = false;
  let restClean = true;
  for (const [id, bySearch] of graph.unresolvedOf) {
    if (ids.has(id)) partExcluded ||= bySearch;
    else restClean = false;
  }
  const failsElsewhere = !s2.facts.jointOk && (!partExcluded || !restClean && restFails(graph, ids, options, full));
  if (!s2.facts.jointOk && !failsElsewhere && !restClean) return "gave-up";
  let sub;
  try {
    sub = full(subPackages, subOptions, failsElsewhere);
  } catch {
    return "gave-up";
  }
  if (!sub.facts.decomposable) return "gave-up";
  if (s2.facts.jointOk && !sub.facts.jointOk) return "gave-up";
  const jointOk = failsElsewhere ? false : sub.facts.jointOk;
  return { plan: merge(plan, sub, ids, graph), jointOk };
}
function merge(plan, sub, ids, graph) {
  const dropped = /* @__PURE__ */ new Map();
  for (const id of ids) {
    const k = graph.levelOf.get(id);
    if (k === void 0) continue;
    graph.levelOf.delete(id);
    const at = lowerBound(plan.levels[k], id);
    const list3 = dropped.get(k);
    if (list3) list3.push(at);
    else dropped.set(k, [at]);
  }
  const starts = levelStarts(plan);
  const subStarts = levelStarts(sub.plan);
  const depth = Math.max(plan.levels.length, sub.plan.levels.length);
  const levels = [];
  const modules = [];
  for (let k = 0; k < depth; k++) {
    const kept = plan.levels[k] ?? [];
    const added = sub.plan.levels[k] ?? [];
    const drop = dropped.get(k);
    const from = starts[k] ?? 0;
    if (drop === void 0 && added.length === 0) {
      levels.push(kept);
      pushSlice(modules, plan.modules, from, from + kept.length);
      continue;
    }
    drop?.sort((x, y) => x - y);
    const level = [];
    let i = 0;
    let d = 0;
    const copyKeptUpTo = (end) => {
      while (i < end) {
        const stop = drop !== void 0 && d < drop.length && drop[d] < end ? drop[d] : end;
        pushSlice(level, kept, i, stop);
        pushSlice(modules, plan.modules, from + i, from + stop);
        i = stop;
        if (drop !== void 0 && d < drop.length && drop[d] === i) i++, d++;
      }
    };
    for (let j = 0; j < added.length; j++) {
      copyKeptUpTo(lowerBound(kept, added[j], i));
      level.push(added[j]);
      modules.push(sub.plan.modules[subStarts[k] + j]);
      graph.levelOf.set(added[j], k);
    }
    copyKeptUpTo(kept.length);
    levels.push(level);
  }
  while (levels.length > 0 && levels[levels.length - 1].length === 0) levels.pop();
  for (const id of ids) graph.unresolvedOf.delete(id);
  const solvedKept = plan.unresolved.filter((u) => graph.unresolvedOf.get(u.id) === true);
  const cyclesKept = plan.unresolved.filter((u) => graph.unresolvedOf.get(u.id) === false);
  const solvedNew = sub.plan.unresolved.slice(0, sub.facts.solved);
  const cyclesNew = sub.plan.unresolved.slice(sub.facts.solved);
  for (const u of solvedNew) graph.unresolvedOf.set(u.id, true);
  for (const u of cyclesNew) graph.unresolvedOf.set(u.id, false);
  const unresolved = [...mergeById(solvedKept, solvedNew), ...mergeById(cyclesKept, cyclesNew)];
  return { modules, levels, unresolved };
}
function lowerBound(ids, id, lo = 0) {
  let hi = ids.length;
  while (lo < hi) {
    const mid = lo + hi >> 1;
    if (ids[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
function pushSlice(into, from, start, end) {
  for (let i = start; i < end; i++) into.push(from[i]);
}
function mergeById(a, b) {
  if (b.length === 0) return [...a];
  if (a.length === 0) return [...b];
  const out = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || i < a.length && a[i].id < b[j].id) out.push(a[i++]);
    else out.push(b[j++]);
  }
  return out;
}

// src/registry/resolvePlan.ts
var CODE_OF = {
  missing: ResolveErrorCode.MISSING,
  conflict: ResolveErrorCode.CONFLICT,
  engine: ResolveErrorCode.ENGINE,
  budget: ResolveErrorCode.TOO_COMPLEX
};
function fixFor(kind, hostVersion) {
  switch (kind) {
    case "missing":
      return "add the missing module to the modules directory, or remove the requirement from the manifest";
    case "conflict":
      return "align the version ranges with the versions in the catalog (hotmod ls lists them)";
    case "engine":
      return `use a module version built for hotmod ${hostVersion}, or widen its engines.hotmod range if it works with this host`;
    case "budget":
      return "narrow the version ranges or remove old versions from the modules directory";
  }
}
function unresolvedError(id, reason, hostVersion) {
  const code = CODE_OF[reason.kind];
  return new HotmodError(code, `cannot resolve module '${id}': ${reason.chain.join("; ")}; to fix: ${fixFor(reason.kind, hostVersion)}`, {
    moduleId: id,
    chain: [...reason.chain]
  });
}
function strictError(unresolved) {
  const first = unresolved[0];
  if (unresolved.length === 1) return first.error;
  return new HotmodError(
    first.error.code,
    `cannot resolve ${unresolved.length} modules: ${unresolved.map((u) => u.error.message).join(" | ")}`,
    {
      moduleId: first.id,
      chain: first.error.details.chain,
      unresolved: unresolved.map((u) => ({ id: u.id, code: u.error.code, message: u.error.message, chain: u.error.details.chain }))
    }
  );
}
function resolvePlan(packages2, options) {
  const derived = options.previous === void 0 ? void 0 : resolveIncrementally(packages2, options, resolveFull);
  if (derived?.plan !== void 0) return derived.plan;
  const { plan, facts: facts2 } = resolveFull(packages2, options);
  rememberPlan(plan, packages2, options, facts2, derived?.graph, false);
  return plan;
}
function resolveFull(packages2, options, asPartOfFailure = false) {
  const index = resolveIndexFor(packages2, options.hostVersion);
  const mode = options.mode ?? "strict";
  const requested = options.request ? [...new Set(options.request)].sort() : [...index.ids];
  const roots = requested.map((id) => ({ kind: "root", id }));
  const unresolved = [];
  let decomposable = true;
  let selected;
  const budget = options.maxBacktracks;
  const deadFirst = index.slotCount >= DEAD_FIRST_IDS;
  const firstBudget = deadFirst ? budget ?? Infinity : Math.min(budget ?? Infinity, FIRST_TRY);
  let joint = asPartOfFailure ? { ok: false, reason: { kind: "conflict", chain: [] }, backtracks: 0 } : solve(index, roots, {
    excludable: false,
    ...deadFirst ? { nogoods: deadPackages(index, requested) } : {},
    ...firstBudget === Infinity ? {} : { budget: firstBudget }
  });
  if (!asPartOfFailure && !deadFirst && !joint.ok && joint.reason.kind === "budget" && (budget ?? Infinity) > firstBudget)
    joint = solve(index, roots, { excludable: false, nogoods: deadPackages(index, requested), ...budget === void 0 ? {} : { budget } });
  if (joint.ok) {
    selected = joint.selected;
  } else if (joint.reason.kind === "budget" && mode === "strict") {
    throw unresolvedError(requested.join(", "), joint.reason, index.hostVersion);
  } else {
    const partial = solve(index, roots, { excludable: true, ...budget === void 0 ? {} : { budget } });
    if (!partial.ok) {
      const error = unresolvedError(requested.join(", "), partial.reason, index.hostVersion);
      if (mode === "strict") throw error;
      const plan2 = { modules: [], levels: [], unresolved: requested.map((id) => ({ id, error })) };
      return { plan: plan2, facts: { jointOk: false, decomposable: false, solved: plan2.unresolved.length } };
    }
    selected = partial.selected;
    for (const id of requested) {
      const reason = partial.excluded.get(id);
      if (reason) unresolved.push({ id, error: unresolvedError(id, reason, index.hostVersion) });
    }
    if (unresolved.length === 0 && !asPartOfFailure) {
      decomposable = false;
      unresolved.push({ id: requested[0], error: unresolvedError(requested[0], joint.reason, index.hostVersion) });
    }
    if (mode === "strict") throw strictError(unresolved);
  }
  const pullOptional = options.pullOptionalProviders !== false;
  const optionalOnly = pullOptional ? addOptionalProviders(index, selected) : /* @__PURE__ */ new Set();
  let plan = buildPlan(index, selected, mode, optionalOnly, joint.ok);
  if (plan.cycles !== void 0) {
    decomposable = false;
    const nogoods = [...deadPackages(index, requested)];
    let cycles = plan.cycles;
    let current = selected;
    for (let attempt = 0; attempt < MAX_CYCLE_RETRIES && plan.cycles !== void 0; attempt++) {
      if (attempt > 0)
        for (const c of cycles) {
          const members = c.members.map((id) => current.get(id));
          nogoods.push({ members, why: `${list2(members.map((m) => `${m.manifest.id} ${m.manifest.version}`))} together would close a cycle: ${c.text}` });
        }
      const retry = solve(index, roots, { excludable: false, nogoods, complete: cycleCheck(index), ...budget === void 0 ? {} : { budget } });
      if (!retry.ok) break;
      current = retry.selected;
      const retryPlan = buildPlan(index, current, mode, pullOptional ? addOptionalProviders(index, current) : /* @__PURE__ */ new Set(), true);
      if (retryPlan.cycles === void 0) plan = retryPlan;
      else cycles = retryPlan.cycles;
    }
    if (plan.cycles !== void 0) plan = buildPlan(index, selected, mode, optionalOnly, false);
  }
  return {
    plan: { modules: plan.modules, levels: plan.levels, unresolved: [...unresolved, ...plan.unresolved] },
    facts: { jointOk: joint.ok, decomposable, solved: unresolved.length }
  };
}
var DEAD_FIRST_IDS = 1e3;
var NONE2 = Object.freeze([]);
var NO_NODES = [];
var NO_NEEDS = [];
function hasSlot(list3, from, slot) {
  for (let i = from; i < list3.length; i++) if (list3[i] === slot) return true;
  return false;
}
var NO_BINDINGS = Object.freeze(/* @__PURE__ */ Object.create(null));
var FIRST_TRY = 2e3;
var MAX_CYCLE_RETRIES = 8;
function list2(items) {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
function addOptionalProviders(index, selected) {
  const added = /* @__PURE__ */ new Set();
  const queue = [];
  if (index.hasOptionalRequirements) {
    for (const pkg of selected.values()) if (manifestFacts(pkg.manifest).optionalRequires.length > 0) queue.push(pkg);
  }
  queue.sort(byId);
  for (let i = 0; i < queue.length; i++) {
    const pkg = queue[i];
    for (const [name, range] of manifestFacts(pkg.manifest).optionalRequires) {
      if (index.providers(name).length === 0 || findProvider(index, selected, name, range)) continue;
      const extra = solve(index, [{ kind: "cap", name, range, from: pkg, optional: true }], { excludable: false, locked: selected, budget: 1e4 });
      if (!extra.ok || wouldRedirect(index, selected, extra.selected)) continue;
      for (const [id, pkg2] of [...extra.selected].sort((a, b) => cmp(a[0], b[0]))) {
        selected.set(id, pkg2);
        added.add(id);
        queue.push(pkg2);
      }
    }
  }
  return added;
}
function findProvider(index, selected, name, range) {
  for (const e of index.providers(name)) if (satisfies(e.capabilityVersion, range) && selected.get(e.pkg.manifest.id) === e.pkg) return e.pkg.manifest.id;
  return void 0;
}
function pickProvider(inRange, chosen) {
  for (let i = 0; i < inRange.length; i++) if (chosen[inRange[i].slot] === inRange[i].pkg) return inRange[i];
  return void 0;
}
function buildPlan(index, selected, mode, optionalOnly, probe) {
  const chosen = new Array(index.slotCount);
  const slotOfEach = new Int32Array(selected.size);
  let each = 0;
  for (const pkg of selected.values()) chosen[slotOfEach[each++] = index.slotOf(pkg.manifest.id)] = pkg;
  const nodes = /* @__PURE__ */ new Map();
  const nodeBySlot = new Array(index.slotCount);
  const nodeList = [];
  const neededSlots = [];
  const neededBy = new Int32Array(index.slotCount);
  each = 0;
  for (const pkg of selected.values()) {
    const slot = slotOfEach[each++];
    const id = index.idOfSlot(slot);
    const bindings = /* @__PURE__ */ Object.create(null);
    const slotsFrom = neededSlots.length;
    const ts = index.obligationsAt(slot, pkg);
    for (let i = 0; i < ts.length; i++) {
      const t2 = ts[i];
      if (t2.kind === "cap") {
        const entry = pickProvider(index.providersOf(t2), chosen);
        bindings[t2.name] = index.idOfSlot(entry.slot);
        if (!hasSlot(neededSlots, slotsFrom, entry.slot)) neededSlots.push(entry.slot);
      } else if (t2.kind === "dep" && !hasSlot(neededSlots, slotsFrom, t2.slot)) neededSlots.push(t2.slot);
    }
    const facts2 = index.factsAt(slot, pkg);
    const optional = facts2.optionalRequires;
    const optionalBindings = optional.length === 0 ? NO_BINDINGS : /* @__PURE__ */ Object.create(null);
    for (const [name, range] of optional)
      optionalBindings[name] = pickProvider(index.providersInRange(name, range), chosen)?.pkg.manifest.id ?? null;
    const slotsTo = neededSlots.length;
    for (let i = slotsFrom; i < slotsTo; i++) neededBy[neededSlots[i]]++;
    const node = { id, pkg, version: facts2.version, dependsOnIds: facts2.dependsOnIds, bindings, optionalBindings, needs: NO_NEEDS, after: NO_NODES, dependents: NO_NODES, inDegree: 0, waiting: 0, slotsFrom, slotsTo };
    nodes.set(id, node);
    nodeBySlot[slot] = node;
    nodeList.push(node);
  }
  for (let n2 = 0; n2 < nodeList.length; n2++) {
    const node = nodeList[n2];
    const count = neededBy[slotOfEach[n2]];
    if (count > 0) node.after = new Array(count), node.dependents = new Array(count), node.waiting = 0;
    if (node.slotsTo > node.slotsFrom) node.needs = new Array(node.slotsTo - node.slotsFrom);
  }
  for (let n2 = 0; n2 < nodeList.length; n2++) {
    const node = nodeList[n2];
    for (let i = node.slotsFrom; i < node.slotsTo; i++) {
      const provider = nodeBySlot[neededSlots[i]];
      provider.after[provider.waiting] = node;
      provider.dependents[provider.waiting++] = node;
      node.needs[i - node.slotsFrom] = provider.id;
      node.inDegree++;
    }
    sortStrings(node.needs);
  }
  const unresolved = [];
  const firstOrder = orderLevels(nodes, true);
  const cyclic = firstOrder.placed < nodes.size ? findCycles(nodes) : [];
  if (cyclic.length > 0) {
    const wanted = cyclic.filter((c) => !c.members.every((id) => optionalOnly.has(id)));
    if (probe && wanted.length > 0) return { modules: [], levels: [], unresolved: [], cycles: wanted };
    const fix = "to fix: remove one of these requirements (move shared code into a module both can depend on, or make one requirement optional)";
    if (mode === "strict" && wanted.length > 0)
      throw new HotmodError(
        ResolveErrorCode.CYCLE,
        `cannot resolve ${wanted.length === 1 ? "a cycle" : `${wanted.length} cycles`}: modules need each other in a cycle: ${wanted.map((c) => c.text).join("; ")}; ${fix}`,
        { cycles: wanted.map((c) => c.path), chain: wanted.map((c) => c.text) }
      );
    const removed = /* @__PURE__ */ new Map();
    for (const c of cyclic) for (const id of c.members) removed.set(id, `it is in a cycle`);
    const stack = [...removed.keys()];
    while (stack.length > 0) {
      const id = stack.pop();
      for (const { id: dep } of nodes.get(id).dependents)
        if (!removed.has(dep)) {
          removed.set(dep, `it needs '${id}'`);
          stack.push(dep);
        }
    }
    const concerns = /* @__PURE__ */ new Map();
    for (const c of cyclic) {
      const seen = new Set(c.members);
      const queue = [...c.members];
      for (let qi = 0; qi < queue.length; qi++) {
        const id = queue[qi];
        const list3 = concerns.get(id);
        if (list3) list3.push(c);
        else concerns.set(id, [c]);
        for (const { id: dep } of nodes.get(id).dependents) if (!seen.has(dep)) seen.add(dep), queue.push(dep);
      }
    }
    for (const id of [...removed.keys()].sort()) {
      if (optionalOnly.has(id)) continue;
      const mine = concerns.get(id).filter((c) => wanted.includes(c));
      const own = mine.length > 0 ? mine : concerns.get(id);
      const details = { cycles: own.map((c) => c.path), chain: own.map((c) => c.text) };
      unresolved.push({
        id,
        error: new HotmodError(ResolveErrorCode.CYCLE, `cannot resolve module '${id}': ${removed.get(id)}: modules need each other in a cycle: ${own.map((c) => c.text).join("; ")}; ${fix}`, { ...details, moduleId: id })
      });
    }
    for (const id of removed.keys()) {
      const node = nodes.get(id);
      for (const need of node.needs) {
        const provider = nodes.get(need);
        if (!provider) continue;
        provider.after = provider.after.filter((n2) => n2 !== node);
        provider.dependents = provider.dependents.filter((n2) => n2 !== node);
      }
      nodes.delete(id);
    }
    for (const node of nodes.values()) node.inDegree = node.needs.length;
  }
  let reordered = cyclic.length > 0;
  for (const node of nodes.values()) {
    if (node.optionalBindings === NO_BINDINGS) continue;
    for (const [name, provider] of Object.entries(node.optionalBindings)) {
      if (provider === null) continue;
      const p = nodes.get(provider);
      if (!p) {
        node.optionalBindings[name] = null;
        continue;
      }
      if (p.after.includes(node) || reaches(node, p)) continue;
      if (p.after === NO_NODES) p.after = [];
      p.after.push(node);
      node.inDegree++;
      reordered = true;
    }
  }
  const { levels: nodeLevels } = reordered ? orderLevels(nodes, true) : firstOrder;
  const levels = nodeLevels.map((level) => level.map((n2) => n2.id));
  const modules = [];
  for (let l = 0; l < nodeLevels.length; l++)
    for (let i = 0; i < nodeLevels[l].length; i++) {
      const n2 = nodeLevels[l][i];
      const id = n2.id;
      modules.push(
        Object.freeze({
          id,
          version: n2.version,
          pkg: n2.pkg,
          // bindings stay unfrozen dictionaries: freezing 10,000 of them cost more than the search.
          bindings: n2.bindings,
          optionalBindings: n2.optionalBindings,
          dependsOn: n2.dependsOnIds,
          dependents: n2.dependents.length === 0 ? NONE2 : Object.freeze(sortStrings(n2.dependents.map((d) => d.id)))
        })
      );
    }
  return { modules, levels, unresolved };
}
function orderLevels(nodes, collect) {
  let current = [];
  for (const node of nodes.values()) {
    node.waiting = node.inDegree;
    if (node.inDegree === 0) current.push(node);
  }
  const levels = [];
  let placed = 0;
  while (current.length > 0) {
    placed += current.length;
    if (collect) levels.push(current.sort(byNodeId));
    const next = [];
    for (let i = 0; i < current.length; i++) {
      const after = current[i].after;
      for (let j = 0; j < after.length; j++) if (--after[j].waiting === 0) next.push(after[j]);
    }
    current = next;
  }
  return { levels, placed };
}
function reaches(from, target) {
  const seen = /* @__PURE__ */ new Set([from]);
  const stack = [from];
  while (stack.length > 0) {
    for (const next of stack.pop().after) {
      if (next === target) return true;
      if (!seen.has(next)) seen.add(next), stack.push(next);
    }
  }
  return false;
}
function findCycles(nodes) {
  const indexOf = /* @__PURE__ */ new Map();
  const low = /* @__PURE__ */ new Map();
  const onStack = /* @__PURE__ */ new Set();
  const stack = [];
  const components = [];
  let counter = 0;
  for (const start of nodes.keys()) {
    if (indexOf.has(start)) continue;
    const work = [{ id: start, i: 0 }];
    indexOf.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const needs = nodes.get(frame.id).needs;
      if (frame.i < needs.length) {
        const next = needs[frame.i++];
        if (!indexOf.has(next)) {
          indexOf.set(next, counter);
          low.set(next, counter++);
          stack.push(next);
          onStack.add(next);
          work.push({ id: next, i: 0 });
        } else if (onStack.has(next)) low.set(frame.id, Math.min(low.get(frame.id), indexOf.get(next)));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id), low.get(frame.id)));
      if (low.get(frame.id) === indexOf.get(frame.id)) {
        const component = [];
        let member;
        do {
          member = stack.pop();
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        if (component.length > 1) components.push(component.sort());
      }
    }
  }
  return components.sort((a, b) => cmp(a[0], b[0])).map((members) => describeCycle(nodes, members));
}
function describeCycle(nodes, members) {
  const inside = new Set(members);
  const start = members[0];
  const parent = /* @__PURE__ */ new Map();
  const queue = [start];
  let closing;
  for (let qi = 0; qi < queue.length && closing === void 0; qi++) {
    const id = queue[qi];
    for (const next of nodes.get(id).needs) {
      if (!inside.has(next)) continue;
      if (next === start) {
        closing = id;
        break;
      }
      if (!parent.has(next)) parent.set(next, id), queue.push(next);
    }
  }
  const path2 = [start];
  for (let id = closing; id !== start; id = parent.get(id)) path2.splice(1, 0, id);
  path2.push(start);
  const why = [];
  for (let i = 0; i + 1 < path2.length; i++) why.push(edgeReason(nodes.get(path2[i]), path2[i + 1]));
  const others = members.filter((m) => !path2.includes(m));
  const text = `${path2.join(" -> ")} (${why.join("; ")})${others.length ? ` with ${others.join(", ")} in the same cycle` : ""}`;
  return { members, path: path2, text };
}
function edgeReason(node, need) {
  const m = node.pkg.manifest;
  const range = Object.hasOwn(m.dependsOn, need) ? m.dependsOn[need] : void 0;
  if (range !== void 0) return `${m.id} ${m.version} depends on ${need} ${range}`;
  const cap = Object.keys(node.bindings).find((c) => node.bindings[c] === need);
  return `${m.id} ${m.version} requires ${cap} ${m.requires[cap]}, provided by ${need}`;
}
function sortStrings(list3) {
  if (list3.length > 16) return list3.sort();
  for (let i = 1; i < list3.length; i++) {
    const x = list3[i];
    let j = i - 1;
    while (j >= 0 && list3[j] > x) list3[j + 1] = list3[j], j--;
    list3[j + 1] = x;
  }
  return list3;
}
function byNodeId(a, b) {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
function byId(a, b) {
  return cmp(a.manifest.id, b.manifest.id);
}
function cmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

// src/registry/catalogView.ts
var NONE3 = Object.freeze([]);

// src/registry/clientModuleSet.ts
var NO_SETTINGS = Object.freeze({});

// src/registry/validateManifest.ts
import path from "node:path";
import semver3 from "semver";
import { Ajv } from "ajv";

// src/shared/nearest.ts
function editDistance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(above + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}
function nearest(word, candidates, options = {}) {
  const max = options.maxDistance ?? Math.max(2, Math.floor(word.length / 5));
  const scored = [];
  for (const candidate of new Set(candidates)) {
    if (candidate === word || Math.abs(candidate.length - word.length) > max) continue;
    const d = editDistance(word, candidate);
    if (d <= max) scored.push({ candidate, d });
  }
  scored.sort((x, y) => x.d - y.d || (x.candidate < y.candidate ? -1 : x.candidate > y.candidate ? 1 : 0));
  return scored.slice(0, options.limit ?? 3).map((s2) => s2.candidate);
}

// src/registry/validateManifest.ts
var MODULE_ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
var CAPABILITY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9][A-Za-z0-9_-]*)*$/;
var MAX_ID_LENGTH = 214;
var LIMIT_MAXIMA = {
  memoryMb: 4096,
  callTimeoutMs: 6e5,
  activateTimeoutMs: 6e5
};
var DEFAULT_MAIN = "dist/index.js";
var MANIFEST_KEYS = [
  "id",
  "legacyIds",
  "provides",
  "requires",
  "optionalRequires",
  "dependsOn",
  "activation",
  "isolation",
  "permissions",
  "fetch",
  "limits",
  "configSchema",
  "defaultEnabled"
];
function jsonPath(...segments) {
  let out = "$";
  for (const s2 of segments) {
    if (typeof s2 === "number") out += `[${s2}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s2)) out += `.${s2}`;
    else out += `[${JSON.stringify(s2)}]`;
  }
  return out;
}
function typeName(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
function isPlainObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function closest(word, candidates) {
  const byLower = new Map(candidates.map((c) => [c.toLowerCase(), c]));
  const key = word.toLowerCase();
  const best = byLower.has(key) ? key : nearest(key, byLower.keys(), { maxDistance: Math.max(2, Math.floor(word.length / 3)), limit: 1 })[0];
  return best === void 0 ? void 0 : byLower.get(best);
}
var ajv;
function schemaCompiler() {
  ajv ??= new Ajv({ allErrors: true, strict: false, validateFormats: false });
  return ajv;
}
function validateManifest(packageJson, location) {
  const diagnostics = [];
  const report = (code, at, message, fix, severity = "error") => diagnostics.push({ code, dir: location.dir, file: location.file, jsonPath: typeof at === "string" ? at : at(), message, fix, severity });
  const rel = path.basename(location.file);
  if (!isPlainObject(packageJson)) {
    report(ManifestErrorCode.PARSE, "$", `${rel} must hold a JSON object, found ${typeName(packageJson)}`, 'Write package.json as an object: { "name": \u2026, "version": \u2026, "hotmod": { "id": \u2026 } }.');
    return { diagnostics };
  }
  const pkg = packageJson;
  let packageName = "";
  if (pkg.name === void 0) report(ManifestErrorCode.REQUIRED, "$.name", 'package.json has no "name"', 'Add "name", e.g. "@acme/hotmod-billing".');
  else if (typeof pkg.name !== "string" || pkg.name.trim() === "") report(ManifestErrorCode.TYPE, "$.name", `"name" must be a non-empty string, found ${typeName(pkg.name)}`, 'Set "name" to the package name, e.g. "@acme/hotmod-billing".');
  else packageName = pkg.name;
  let version = "";
  if (pkg.version === void 0) report(ManifestErrorCode.REQUIRED, "$.version", 'package.json has no "version"', 'Add "version" with an exact semver version, e.g. "1.0.0".');
  else if (typeof pkg.version !== "string") report(ManifestErrorCode.TYPE, "$.version", `"version" must be a string, found ${typeName(pkg.version)}`, 'Write the version as a string, e.g. "1.0.0".');
  else if (!isExactVersion(pkg.version))
    report(ManifestErrorCode.VERSION, "$.version", `"version" '${pkg.version}' is not an exact semver version`, 'Use MAJOR.MINOR.PATCH, e.g. "1.4.0" (no range, no leading "v" or "=").');
  else version = pkg.version;
  let main = DEFAULT_MAIN;
  if (pkg.main !== void 0) {
    if (typeof pkg.main !== "string" || pkg.main.trim() === "") report(ManifestErrorCode.TYPE, "$.main", `"main" must be a non-empty string, found ${typeName(pkg.main)}`, `Set "main" to the bundled entry, e.g. "${DEFAULT_MAIN}".`);
    else if (path.isAbsolute(pkg.main) || path.posix.normalize(pkg.main.replaceAll("\\", "/")).startsWith("../"))
      report(ManifestErrorCode.MAIN, "$.main", `"main" '${pkg.main}' points outside the package folder`, `Use a path inside the package, e.g. "${DEFAULT_MAIN}".`);
    else main = path.posix.normalize(pkg.main.replaceAll("\\", "/"));
  }
  let enginesHotmod;
  if (pkg.engines !== void 0 && !isPlainObject(pkg.engines)) {
    report(ManifestErrorCode.TYPE, "$.engines", `"engines" must be an object, found ${typeName(pkg.engines)}`, 'Write "engines": { "hotmod": "^1.0.0" }.');
  } else if (isPlainObject(pkg.engines) && pkg.engines.hotmod !== void 0) {
    const r = pkg.engines.hotmod;
    if (typeof r !== "string") report(ManifestErrorCode.TYPE, "$.engines.hotmod", `"engines.hotmod" must be a string, found ${typeName(r)}`, 'Write the host versions as a semver range, e.g. "^1.0.0".');
    else if (!isRange(r)) report(ManifestErrorCode.RANGE, "$.engines.hotmod", `"engines.hotmod" '${r}' is not a valid semver range`, 'Write the supported host versions as a semver range, e.g. "^1.0.0".');
    else enginesHotmod = r;
  }
  const h = pkg.hotmod;
  if (h === void 0) {
    report(ManifestErrorCode.NOT_HOTMOD, "$.hotmod", 'package.json has no "hotmod" field, so this folder is not a hotmod module', 'Add "hotmod": { "id": "<module-id>", "provides": { \u2026 } }, or move the folder out of the modules directory.');
    return { diagnostics };
  }
  if (!isPlainObject(h)) {
    report(ManifestErrorCode.TYPE, "$.hotmod", `"hotmod" must be an object, found ${typeName(h)}`, 'Write "hotmod": { "id": "<module-id>", \u2026 }.');
    return { diagnostics };
  }
  if (enginesHotmod === void 0 && !(isPlainObject(pkg.engines) && pkg.engines.hotmod !== void 0))
    report(ManifestErrorCode.ENGINES_MISSING, "$.engines.hotmod", 'no "engines.hotmod": the module claims to work with every hotmod version', 'Add "engines": { "hotmod": "^1.0.0" } with the host versions you tested.', "warning");
  for (const key of Object.keys(h)) {
    if (MANIFEST_KEYS.includes(key)) continue;
    const guess = closest(key, MANIFEST_KEYS);
    report(ManifestErrorCode.UNKNOWN_FIELD, jsonPath("hotmod", key), `unknown manifest field "${key}"`, guess ? `Did you mean "${guess}"? Rename it.` : `Remove it; manifest fields are ${MANIFEST_KEYS.join(", ")}.`);
  }
  let id = "";
  if (h.id === void 0) report(ManifestErrorCode.REQUIRED, "$.hotmod.id", 'the manifest has no "id"', 'Add "id", e.g. "billing" (lowercase letters, digits, ".", "_", "-").');
  else if (typeof h.id !== "string") report(ManifestErrorCode.TYPE, "$.hotmod.id", `"id" must be a string, found ${typeName(h.id)}`, 'Write the id as a string, e.g. "billing".');
  else if (!MODULE_ID_PATTERN.test(h.id) || h.id.length > MAX_ID_LENGTH)
    report(ManifestErrorCode.ID, "$.hotmod.id", `"id" '${h.id}' is not a valid module id`, `Use lowercase letters, digits, ".", "_" and "-", starting with a letter or digit (${MODULE_ID_PATTERN.source}), at most ${MAX_ID_LENGTH} characters.`);
  else id = h.id;
  const legacyIds = [];
  if (h.legacyIds !== void 0) {
    if (!Array.isArray(h.legacyIds)) report(ManifestErrorCode.TYPE, "$.hotmod.legacyIds", `"legacyIds" must be an array of strings, found ${typeName(h.legacyIds)}`, 'Write "legacyIds": ["billing-v1"].');
    else
      h.legacyIds.forEach((legacy, i) => {
        const at = jsonPath("hotmod", "legacyIds", i);
        if (typeof legacy !== "string" || legacy.trim() === "" || legacy !== legacy.trim())
          report(ManifestErrorCode.ID, at, `legacy id ${JSON.stringify(legacy)} must be a non-empty string without surrounding spaces`, "Write the id exactly as legacy modules_enabled lists spell it.");
        else if (legacy.length > MAX_ID_LENGTH)
          report(ManifestErrorCode.ID, at, `legacy id '${legacy.slice(0, 40)}...' is ${legacy.length} characters long; a legacy modules_enabled entry has at most ${MAX_ID_LENGTH}`, `Shorten it to at most ${MAX_ID_LENGTH} characters, as the legacy lists spell it.`);
        else if (legacy === id) report(ManifestErrorCode.SELF_REFERENCE, at, `legacy id '${legacy}' is the module's own id`, "Remove it: the module id is always accepted in legacy lists.");
        else if (legacyIds.includes(legacy)) report(ManifestErrorCode.DUPLICATE, at, `legacy id '${legacy}' is listed twice`, "Remove the duplicate.");
        else legacyIds.push(legacy);
      });
  }
  const provides = readMap(h, "provides", (name, value, at) => {
    if (!CAPABILITY_NAME_PATTERN.test(name)) {
      report(ManifestErrorCode.CAPABILITY, at, `capability name '${name}' is malformed`, 'Use dot-separated segments of letters, digits, "_" and "-", e.g. "billing.invoices".');
      return void 0;
    }
    if (typeof value !== "string") {
      report(ManifestErrorCode.TYPE, at, `the version of capability '${name}' must be a string, found ${typeName(value)}`, 'Write the exact version this module implements, e.g. "1.4.0".');
      return void 0;
    }
    if (!isExactVersion(value)) {
      report(ManifestErrorCode.CAPABILITY_VERSION, at, `capability '${name}' must name the exact version implemented, found '${value}'`, `Write an exact version such as "${semver3.minVersion(value)?.version ?? "1.0.0"}"; ranges belong in "requires".`);
      return void 0;
    }
    return value;
  });
  const rangeMap = (field) => readMap(h, field, (name, value, at) => {
    if (!CAPABILITY_NAME_PATTERN.test(name)) {
      report(ManifestErrorCode.CAPABILITY, at, `capability name '${name}' is malformed`, 'Use dot-separated segments of letters, digits, "_" and "-", e.g. "payments.charge".');
      return void 0;
    }
    return readRange(name, value, at, `capability '${name}'`);
  });
  const readRange = (_name, value, at, subject) => {
    if (typeof value !== "string") {
      report(ManifestErrorCode.TYPE, at, `the range for ${subject} must be a string, found ${typeName(value)}`, 'Write a semver range, e.g. "^2.1.0".');
      return void 0;
    }
    if (!isRange(value)) {
      report(ManifestErrorCode.RANGE, at, `the range '${value}' for ${subject} is not a valid semver range`, 'Write a semver range, e.g. "^2.1.0", "~1.2.0" or ">=1.0.0 <3.0.0".');
      return void 0;
    }
    return value;
  };
  const requires = rangeMap("requires");
  const optionalRequires = rangeMap("optionalRequires");
  const dependsOn = readMap(h, "dependsOn", (depId, value, at) => {
    if (!MODULE_ID_PATTERN.test(depId)) {
      report(ManifestErrorCode.ID, at, `dependsOn names '${depId}', which is not a valid module id`, `Use the other module's hotmod.id (${MODULE_ID_PATTERN.source}).`);
      return void 0;
    }
    if (depId === id) {
      report(ManifestErrorCode.SELF_REFERENCE, at, `module '${id}' depends on itself`, "Remove the entry.");
      return void 0;
    }
    return readRange(depId, value, at, `module '${depId}'`);
  });
  for (const cap of Object.keys(requires)) {
    if (Object.hasOwn(optionalRequires, cap)) {
      report(ManifestErrorCode.DUPLICATE, jsonPath("hotmod", "optionalRequires", cap), `capability '${cap}' is in both requires and optionalRequires`, "Keep it in one of them: requires if the module cannot work without it.");
      delete optionalRequires[cap];
    }
  }
  for (const field of ["requires", "optionalRequires"]) {
    const map = field === "requires" ? requires : optionalRequires;
    for (const cap of Object.keys(map)) {
      if (Object.hasOwn(provides, cap)) {
        report(ManifestErrorCode.SELF_REFERENCE, jsonPath("hotmod", field, cap), `module requires capability '${cap}', which it provides itself`, "Remove the requirement: a module calls its own code directly.");
        delete map[cap];
      }
    }
  }
  let activation = "eager";
  if (h.activation !== void 0) {
    if (h.activation === "eager" || h.activation === "lazy") activation = h.activation;
    else report(ManifestErrorCode.ENUM, "$.hotmod.activation", `"activation" must be "eager" or "lazy", found ${JSON.stringify(h.activation)}`, 'Use "eager" (activate at start) or "lazy" (activate on first call).');
  }
  let isolation;
  if (h.isolation !== void 0) {
    if (h.isolation === "isolate" || h.isolation === "process") isolation = h.isolation;
    else report(ManifestErrorCode.ENUM, "$.hotmod.isolation", `"isolation" must be "isolate" or "process", found ${JSON.stringify(h.isolation)}`, 'Use "isolate" (default) or "process" (a supervised child process), or leave it out.');
  }
  const permissions = [];
  if (h.permissions !== void 0) {
    if (!Array.isArray(h.permissions)) report(ManifestErrorCode.TYPE, "$.hotmod.permissions", `"permissions" must be an array, found ${typeName(h.permissions)}`, `Write e.g. "permissions": ["log"]; known: ${PERMISSIONS.join(", ")}.`);
    else
      h.permissions.forEach((p, i) => {
        const at = jsonPath("hotmod", "permissions", i);
        if (typeof p !== "string" || !PERMISSIONS.includes(p)) {
          const guess = typeof p === "string" ? closest(p, PERMISSIONS) : void 0;
          report(ManifestErrorCode.PERMISSION, at, `unknown permission ${JSON.stringify(p)}`, `${guess ? `Did you mean "${guess}"? ` : ""}Known permissions: ${PERMISSIONS.join(", ")}.`);
        } else if (permissions.includes(p)) report(ManifestErrorCode.DUPLICATE, at, `permission '${p}' is listed twice`, "Remove the duplicate.");
        else permissions.push(p);
      });
  }
  let fetchOrigins;
  if (h.fetch !== void 0) {
    const origins = isPlainObject(h.fetch) ? h.fetch.origins : void 0;
    if (!isPlainObject(h.fetch) || !Array.isArray(origins)) {
      report(ManifestErrorCode.TYPE, isPlainObject(h.fetch) ? "$.hotmod.fetch.origins" : "$.hotmod.fetch", `"fetch" must be an object with an "origins" array, found ${typeName(isPlainObject(h.fetch) ? origins : h.fetch)}`, 'Write e.g. "fetch": { "origins": ["https://api.example.com"] }.');
    } else {
      for (const key of Object.keys(h.fetch)) {
        if (key !== "origins") report(ManifestErrorCode.UNKNOWN_FIELD, jsonPath("hotmod", "fetch", key), `unknown field "${key}" in "fetch"`, 'The only field of "fetch" is "origins".');
      }
      const found = /* @__PURE__ */ new Set();
      origins.forEach((o, i) => {
        const at = jsonPath("hotmod", "fetch", "origins", i);
        const origin = normalizeOrigin(o);
        if (origin === void 0) report(ManifestErrorCode.FETCH_ORIGIN, at, `${JSON.stringify(o)} is not an http(s) origin`, 'Write the scheme, host and port only, e.g. "https://api.example.com" or "http://127.0.0.1:8080" (no path, query or credentials).');
        else if (found.has(origin)) report(ManifestErrorCode.DUPLICATE, at, `origin '${origin}' is listed twice`, "Remove the duplicate.");
        else found.add(origin);
      });
      fetchOrigins = [...found].sort();
    }
  }
  if (permissions.includes("fetch") && fetchOrigins === void 0 && h.fetch === void 0) {
    report(ManifestErrorCode.FETCH_ORIGIN, "$.hotmod.fetch", 'the "fetch" permission needs the origins it may reach', 'Add e.g. "fetch": { "origins": ["https://api.example.com"] }.');
  }
  if (h.fetch !== void 0 && !permissions.includes("fetch") && diagnostics.every((d) => d.severity !== "error")) {
    report(ManifestErrorCode.FETCH_ORIGIN, "$.hotmod.fetch", '"fetch" lists origins but "permissions" does not grant "fetch"', 'Add "fetch" to "permissions", or remove the "fetch" field.', "warning");
  }
  const limits = {};
  if (h.limits !== void 0) {
    if (!isPlainObject(h.limits)) report(ManifestErrorCode.TYPE, "$.hotmod.limits", `"limits" must be an object, found ${typeName(h.limits)}`, 'Write e.g. "limits": { "memoryMb": 64, "callTimeoutMs": 1000 }.');
    else
      for (const [key, value] of Object.entries(h.limits)) {
        const at = jsonPath("hotmod", "limits", key);
        if (!Object.hasOwn(LIMIT_MAXIMA, key)) {
          const guess = closest(key, Object.keys(LIMIT_MAXIMA));
          report(ManifestErrorCode.UNKNOWN_FIELD, at, `unknown limit "${key}"`, guess ? `Did you mean "${guess}"?` : `Known limits: ${Object.keys(LIMIT_MAXIMA).join(", ")}.`);
          continue;
        }
        const max = LIMIT_MAXIMA[key];
        if (typeof value !== "number" || !Number.isInteger(value) || value <= 0)
          report(ManifestErrorCode.LIMIT, at, `limit "${key}" must be a positive integer, found ${JSON.stringify(value)}`, `Use a whole number between 1 and ${max}, or leave it out for the host default.`);
        else if (value > max) report(ManifestErrorCode.LIMIT, at, `limit "${key}" is ${value}, above the maximum ${max}`, `Use at most ${max} (check the unit: ${key.endsWith("Mb") ? "megabytes" : "milliseconds"}).`);
        else limits[key] = value;
      }
  }
  let configSchema;
  if (h.configSchema !== void 0) {
    if (!isPlainObject(h.configSchema)) {
      report(ManifestErrorCode.CONFIG_SCHEMA, "$.hotmod.configSchema", `"configSchema" must be a JSON Schema object, found ${typeName(h.configSchema)}`, 'Write e.g. "configSchema": { "type": "object", "properties": { \u2026 } }.');
    } else {
      try {
        schemaCompiler().compile(h.configSchema);
        configSchema = h.configSchema;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        report(ManifestErrorCode.CONFIG_SCHEMA, "$.hotmod.configSchema", `"configSchema" is not a valid JSON Schema: ${reason}`, "Fix the schema (see https://json-schema.org); check keyword spelling and types.");
      }
    }
  }
  let defaultEnabled = false;
  if (h.defaultEnabled !== void 0) {
    if (typeof h.defaultEnabled === "boolean") defaultEnabled = h.defaultEnabled;
    else report(ManifestErrorCode.TYPE, "$.hotmod.defaultEnabled", `"defaultEnabled" must be true or false, found ${JSON.stringify(h.defaultEnabled)}`, "Write true or false (no quotes).");
  }
  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics };
  const manifest = freezeManifest({
    id,
    packageName,
    version,
    main,
    engines: enginesHotmod === void 0 ? {} : { hotmod: enginesHotmod },
    legacyIds,
    provides,
    requires,
    optionalRequires,
    dependsOn,
    activation,
    ...isolation === void 0 ? {} : { isolation },
    permissions,
    ...fetchOrigins === void 0 ? {} : { fetch: { origins: fetchOrigins } },
    limits,
    ...configSchema === void 0 ? {} : { configSchema: structuredClone(configSchema) },
    defaultEnabled
  });
  return { manifest, diagnostics };
  function readMap(obj, field, check) {
    const out = {};
    const value = obj[field];
    if (value === void 0) return out;
    if (!isPlainObject(value)) {
      report(ManifestErrorCode.TYPE, jsonPath("hotmod", field), `"${field}" must be an object, found ${typeName(value)}`, field === "provides" ? 'Write e.g. "provides": { "billing.invoices": "1.4.0" }.' : field === "dependsOn" ? 'Write e.g. "dependsOn": { "accounts": "^3.0.0" }.' : `Write e.g. "${field}": { "payments.charge": "^2.1.0" }.`);
      return out;
    }
    for (const key of Object.keys(value).sort()) {
      const checked = check(key, value[key], () => jsonPath("hotmod", field, key));
      if (checked !== void 0) out[key] = checked;
    }
    return out;
  }
}
var MEMO_LIMIT = 1e4;
var exactVersions = /* @__PURE__ */ new Map();
var ranges = /* @__PURE__ */ new Map();
function memo2(cache, key, compute) {
  let known = cache.get(key);
  if (known === void 0) {
    if (cache.size >= MEMO_LIMIT) cache.clear();
    cache.set(key, known = compute(key));
  }
  return known;
}
function isExactVersion(text) {
  return memo2(exactVersions, text, (v) => semver3.valid(v) !== null && semver3.clean(v) === v);
}
function isRange(text) {
  return memo2(ranges, text, (r) => r.trim() !== "" && semver3.validRange(r) !== null);
}
function freezeManifest(m) {
  Object.freeze(m.engines);
  Object.freeze(m.legacyIds);
  Object.freeze(m.provides);
  Object.freeze(m.requires);
  Object.freeze(m.optionalRequires);
  Object.freeze(m.dependsOn);
  Object.freeze(m.permissions);
  if (m.fetch) Object.freeze(Object.freeze(m.fetch).origins);
  Object.freeze(m.limits);
  if (m.configSchema) deepFreeze(m.configSchema);
  return Object.freeze(m);
}
function deepFreeze(value) {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
function normalizeOrigin(text) {
  if (typeof text !== "string") return void 0;
  let url;
  try {
    url = new URL(text);
  } catch {
    return void 0;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return void 0;
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "" || url.pathname !== "/" && url.pathname !== "") return void 0;
  return url.origin;
}

// src/registry/scanCatalog.ts
import semver4 from "semver";

// src/registry/capabilityRegistry.ts
import semver5 from "semver";

// tests/registry/syntheticCatalog.ts
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = a + 1831565813 >>> 0;
    let t2 = a;
    t2 = Math.imul(t2 ^ t2 >>> 15, t2 | 1);
    t2 ^= t2 + Math.imul(t2 ^ t2 >>> 7, t2 | 61);
    return ((t2 ^ t2 >>> 14) >>> 0) / 4294967296;
  };
}

// tests/registry/alternativesCatalog.ts
var altId = (i, prefix = "") => `${prefix}a${String(i).padStart(6, "0")}`;
function alternativesPackageJsons(n2, options = {}) {
  const random = prng(options.seed ?? 1);
  const caps = Math.max(1, options.capabilities ?? Math.round(n2 / 30));
  const dependsShare = options.dependsOnShare ?? 0.3;
  const brokenShare = options.brokenShare ?? 0.15;
  const reqs = options.requires ?? 3;
  const upward = options.upwardShare ?? 0;
  const prefix = options.prefix ?? "";
  const capName = (c) => `${prefix}cap${c}.api`;
  const idOf = (i) => altId(i, prefix);
  const pick = (k) => Math.floor(random() * k);
  const versionsOf = [];
  const witness = [];
  const capOf = [];
  const capMajor = (i, v) => 1 + (i + v) % 3;
  const out = [];
  for (let i = 0; i < n2; i++) {
    const count = 1 + pick(3) + (random() < 0.1 ? 1 : 0);
    const versions = Array.from({ length: count }, (_, v) => `${1 + v}.${pick(3)}.0`);
    versionsOf.push(versions);
    witness.push(pick(count));
    capOf.push(Math.min(caps - 1, Math.floor(i * caps / n2)));
  }
  const firstOfBand = [];
  for (let i = n2 - 1; i >= 0; i--) firstOfBand[capOf[i]] = i;
  for (let i = 0; i < n2; i++) {
    const id = idOf(i);
    const versions = versionsOf[i];
    const w = witness[i];
    const brokenNewest = versions.length > 1 && w !== versions.length - 1 && random() < brokenShare * 3;
    for (let v = 0; v < versions.length; v++) {
      const requires = {};
      const dependsOn = {};
      let engines = "^1.0.0";
      if (v === w) {
        for (let k = 0; k < reqs && i > 0; k++) {
          const j = pick(i);
          requires[capName(capOf[j])] = `^${capMajor(j, witness[j])}.0.0`;
        }
        if (i > 0 && random() < dependsShare) {
          const j = pick(i);
          const wv = versionsOf[j][witness[j]];
          dependsOn[idOf(j)] = random() < 0.5 ? `>=${wv}` : `^${wv.split(".")[0]}.0.0`;
        }
      } else {
        for (let k = 0; k < reqs; k++) {
          const below = firstOfBand[capOf[i]];
          const up = random() < upward;
          if (!up && below === 0) continue;
          const j = up ? pick(n2) : pick(below);
          if (j === i) continue;
          requires[capName(capOf[j])] = `^${1 + pick(3)}.0.0`;
        }
        if (random() < dependsShare) {
          const up = random() < upward;
          const j = up ? pick(n2) : i === 0 ? i : pick(i);
          if (j !== i) dependsOn[idOf(j)] = random() < 0.5 ? `^${1 + pick(4)}.0.0` : "*";
        }
        if (brokenNewest && v === versions.length - 1) {
          const kind = pick(3);
          if (kind === 0) requires[`${prefix}missing${i}.api`] = "^1.0.0";
          else if (kind === 1) engines = "^2.0.0";
          else requires[capName(capOf[(i + 1) % n2])] = "^9.0.0";
        }
      }
      delete requires[capName(capOf[i])];
      const version = versions[v];
      const capVersion = v === w ? `${capMajor(i, v)}.${n2 - i}.0` : `${capMajor(i, v)}.${pick(n2)}.${v + 1}`;
      out.push({
        folder: `${id}-${version}`,
        json: JSON.parse(
          JSON.stringify({
            name: `@alt/${id.replace(/[^a-z0-9-]/g, "-")}`,
            version,
            main: "dist/index.js",
            engines: { hotmod: engines },
            hotmod: { id, provides: { [capName(capOf[i])]: capVersion }, requires, dependsOn }
          })
        )
      });
    }
  }
  return out;
}
function toPackage({ folder, json }) {
  const dir = `/alt/${folder}`;
  const { manifest, diagnostics } = validateManifest(json, { dir, file: `${dir}/package.json` });
  if (!manifest) throw new Error(`alternatives package ${folder} is invalid: ${JSON.stringify(diagnostics)}`);
  return { manifest, dir, packageJsonPath: `${dir}/package.json`, entryPath: `${dir}/dist/index.js`, key: `${manifest.id}@${manifest.version}` };
}
function alternativesPackages(n2, options = {}) {
  return alternativesPackageJsons(n2, options).map(toPackage).reverse().sort((a, b) => a.manifest.id < b.manifest.id ? -1 : a.manifest.id > b.manifest.id ? 1 : 0);
}

// bench/.p.ts
var n = Number(process.argv[2] ?? 1e5);
var which = process.argv[3] ?? "warm";
var packages = Object.freeze(alternativesPackages(n, { seed: 1 }));
var s = new Session();
s.connect();
var post = (m, p) => new Promise((res, rej) => s.post(m, p ?? {}, (e, r) => e ? rej(e) : res(r)));
await post("Profiler.enable");
await post("Profiler.setSamplingInterval", { interval: 500 });
if (which === "warm") {
  const t2 = performance.now();
  resolvePlan(packages, { hostVersion: "1.0.0" });
  console.log("cold", performance.now() - t2);
}
await post("Profiler.start");
var t = performance.now();
resolvePlan(packages, { hostVersion: "1.0.0" });
console.log(which, performance.now() - t);
var { profile } = await post("Profiler.stop");
fs.writeFileSync(`/tmp/r100k/${which}.cpuprofile`, JSON.stringify(profile));
