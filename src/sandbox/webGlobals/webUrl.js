// URL and URLSearchParams (WHATWG URL Standard), inside the isolate. Spliced into
// isolateRuntime.js at its URL marker, so it sees that file's helpers (expose, tag,
// utf8Encode, TextDecoder, TypeErrorCtor). Not covered: IDNA mapping beyond lower-casing
// and Punycode (a non-ASCII host is lower-cased and Punycode-encoded label by label).
const SPECIAL = { 'ftp:': 21, 'file:': null, 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };
const isSpecial = (scheme) => Object.prototype.hasOwnProperty.call(SPECIAL, scheme);
const HEXDIGITS = '0123456789ABCDEF';
function makeSet(chars, c0) {
  const set = new Uint8ArrayCtor(128);
  if (c0) for (let i = 0; i < 0x20; i++) set[i] = 1;
  if (c0) set[0x7f] = 1;
  for (let i = 0; i < chars.length; i++) set[chars.charCodeAt(i)] = 1;
  return set;
}
const C0_SET = makeSet('', true);
const FRAGMENT_SET = makeSet(' "<>`', true);
const QUERY_SET = makeSet(' "#<>', true);
const SPECIAL_QUERY_SET = makeSet(' "#<>\'', true);
const PATH_SET = makeSet(' "#<>?^`{}', true);
const USERINFO_SET = makeSet(' "#<>?^`{}/:;=@[\\]|', true);
const FORM_SET = makeSet(' "#<>?^`{}/:;=@[\\]|$%&+,!\'()~', true);
function percentEncode(text, set, spaceAsPlus) {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80 && set[c] === 0) { out += text[i]; continue; }
    if (spaceAsPlus && c === 0x20) { out += '+'; continue; }
    if (c < 0x80) { out += '%' + HEXDIGITS[c >> 4] + HEXDIGITS[c & 15]; continue; }
    let units = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) { const d = text.charCodeAt(i + 1); if (d >= 0xdc00 && d <= 0xdfff) units = 2; }
    const bytes = utf8Encode(apply(String.prototype.slice, text, [i, i + units]));
    for (let k = 0; k < bytes.length; k++) out += '%' + HEXDIGITS[bytes[k] >> 4] + HEXDIGITS[bytes[k] & 15];
    i += units - 1;
  }
  return out;
}
const isHex = (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
function percentDecodeBytes(text) {
  const bytes = utf8Encode(text);
  const out = new Uint8ArrayCtor(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 37 && i + 2 < bytes.length && isHex(bytes[i + 1]) && isHex(bytes[i + 2])) {
      out[n++] = parseInt(fromCharCode(bytes[i + 1], bytes[i + 2]), 16);
      i += 2;
    } else out[n++] = b;
  }
  return out.subarray(0, n);
}
const lenientDecoder = new TextDecoder();
const percentDecode = (text) => lenientDecoder.decode(percentDecodeBytes(text));

function invalid(input, base) {
  return new TypeErrorCtor("Invalid URL: '" + input + "'" + (base !== undefined ? " (base '" + base + "')" : ''));
}

// ---- hosts
function punycodeLabel(label) {
  const cps = [];
  for (const ch of label) cps.push(ch.codePointAt(0));
  let out = '';
  for (let i = 0; i < cps.length; i++) if (cps[i] < 0x80) out += fromCharCode(cps[i]);
  const basic = out.length;
  let h = basic;
  if (basic > 0) out += '-';
  let n = 128, delta = 0, bias = 72;
  const digit = (d) => fromCharCode(d < 26 ? d + 97 : d + 22);
  const adapt = (d, count, first) => {
    d = first ? Math.floor(d / 700) : d >> 1;
    d += Math.floor(d / count);
    let k = 0;
    while (d > 455) { d = Math.floor(d / 35); k += 36; }
    return k + Math.floor((36 * d) / (d + 38));
  };
  while (h < cps.length) {
    let m = 0x7fffffff;
    for (let i = 0; i < cps.length; i++) if (cps[i] >= n && cps[i] < m) m = cps[i];
    delta += (m - n) * (h + 1);
    n = m;
    for (let i = 0; i < cps.length; i++) {
      if (cps[i] < n) delta++;
      if (cps[i] === n) {
        let q = delta;
        for (let k = 36; ; k += 36) {
          const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
          if (q < t) break;
          out += digit(t + ((q - t) % (36 - t)));
          q = Math.floor((q - t) / (36 - t));
        }
        out += digit(q);
        bias = adapt(delta, h + 1, h === basic);
        delta = 0;
        h++;
      }
    }
    delta++; n++;
  }
  return 'xn--' + out;
}
function parseIPv4Number(part) {
  let radix = 10;
  if (part.length >= 2 && (part[0] === '0') && (part[1] === 'x' || part[1] === 'X')) { part = apply(String.prototype.slice, part, [2]); radix = 16; }
  else if (part.length >= 2 && part[0] === '0') { part = apply(String.prototype.slice, part, [1]); radix = 8; }
  if (part === '') return 0;
  const re = radix === 10 ? /^[0-9]+$/ : radix === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/;
  if (!re.test(part)) return NaN;
  return parseInt(part, radix);
}
function endsInNumber(host) {
  const parts = host.split('.');
  if (parts[parts.length - 1] === '') { if (parts.length === 1) return false; parts.pop(); }
  const last = parts[parts.length - 1];
  if (last !== '' && /^[0-9]+$/.test(last)) return true;
  return !Number.isNaN(parseIPv4Number(last)) && /^0[xX]/.test(last) ;
}
function parseIPv4(host, fail) {
  const parts = host.split('.');
  if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
  if (parts.length > 4) throw fail();
  const numbers = [];
  for (let i = 0; i < parts.length; i++) {
    const n = parseIPv4Number(parts[i]);
    if (parts[i] === '' || Number.isNaN(n)) throw fail();
    numbers.push(n);
  }
  for (let i = 0; i < numbers.length - 1; i++) if (numbers[i] > 255) throw fail();
  if (numbers[numbers.length - 1] >= 256 ** (5 - numbers.length)) throw fail();
  let ipv4 = numbers[numbers.length - 1];
  for (let i = 0; i < numbers.length - 1; i++) ipv4 += numbers[i] * 256 ** (3 - i);
  const out = [];
  for (let i = 0; i < 4; i++) { out.unshift(StringCtor(ipv4 % 256)); ipv4 = Math.floor(ipv4 / 256); }
  return out.join('.');
}
function parseIPv6(input, fail) {
  const address = [0, 0, 0, 0, 0, 0, 0, 0];
  let piece = 0, compress = null, p = 0;
  const c = (i) => input[i];
  if (c(p) === ':') { if (c(p + 1) !== ':') throw fail(); p += 2; piece++; compress = piece; }
  while (p < input.length) {
    if (piece === 8) throw fail();
    if (c(p) === ':') { if (compress !== null) throw fail(); p++; piece++; compress = piece; continue; }
    let value = 0, length = 0;
    while (length < 4 && p < input.length && /[0-9a-fA-F]/.test(c(p))) { value = value * 16 + parseInt(c(p), 16); p++; length++; }
    if (c(p) === '.') {
      if (length === 0) throw fail();
      p -= length;
      if (piece > 6) throw fail();
      let seen = 0;
      while (p < input.length) {
        let v = null;
        if (seen > 0) { if (c(p) === '.' && seen < 4) p++; else throw fail(); }
        if (!/[0-9]/.test(c(p) || '')) throw fail();
        while (p < input.length && /[0-9]/.test(c(p))) {
          const n = +c(p);
          if (v === null) v = n; else if (v === 0) throw fail(); else v = v * 10 + n;
          if (v > 255) throw fail();
          p++;
        }
        address[piece] = address[piece] * 256 + v;
        seen++;
        if (seen === 2 || seen === 4) piece++;
      }
      if (seen !== 4) throw fail();
      break;
    } else if (c(p) === ':') { p++; if (p >= input.length) throw fail(); }
    else if (p < input.length) throw fail();
    address[piece] = value;
    piece++;
  }
  if (compress !== null) {
    let swaps = piece - compress;
    piece = 7;
    while (piece !== 0 && swaps > 0) { const t = address[compress + swaps - 1]; address[compress + swaps - 1] = address[piece]; address[piece] = t; piece--; swaps--; }
  } else if (piece !== 8) throw fail();
  // serialize: compress the first longest run (length > 1) of zeros
  let bestStart = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (address[i] !== 0) { i++; continue; }
    let j = i; while (j < 8 && address[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) { out += i === 0 ? '::' : ':'; i += bestLen - 1; continue; }
    out += address[i].toString(16);
    if (i !== 7) out += ':';
  }
  return '[' + out + ']';
}
const FORBIDDEN_HOST = /[\u0000\t\n\r #/:<>?@[\\\]^|]/;
const FORBIDDEN_DOMAIN = /[\u0000-\u001f\t\n\r #/:<>?@[\\\]^|%\u007f]/;
function parseHost(input, special, fail) {
  if (input[0] === '[') {
    if (input[input.length - 1] !== ']') throw fail();
    return parseIPv6(apply(String.prototype.slice, input, [1, -1]), fail);
  }
  if (!special) {
    if (FORBIDDEN_HOST.test(input)) throw fail();
    return percentEncode(input, C0_SET, false);
  }
  const domain = percentDecode(input);
  let ascii = '';
  const labels = apply(String.prototype.toLowerCase, domain, []).split(/[.\u3002\uff0e\uff61]/);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    ascii += (i > 0 ? '.' : '') + (/^[\u0000-\u007f]*$/.test(label) ? label : punycodeLabel(label));
  }
  if (ascii === '' || FORBIDDEN_DOMAIN.test(ascii)) throw fail();
  if (endsInNumber(ascii)) return parseIPv4(ascii, fail);
  return ascii;
}

// ---- the parser: a record { scheme, username, password, host, port, path (array, or a string when opaque), query, fragment }
function shorten(record) {
  const path = record.path;
  if (record.scheme === 'file:' && path.length === 1 && /^[a-zA-Z]:$/.test(path[0])) return;
  path.pop();
}
const SINGLE_DOT = /^(\.|%2e)$/i;
const DOUBLE_DOT = /^(\.|%2e)(\.|%2e)$/i;
function parsePath(record, text, special) {
  const segments = special ? text.split(/[/\\]/) : text.split('/');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const last = i === segments.length - 1;
    if (DOUBLE_DOT.test(segment)) { shorten(record); if (last) record.path.push(''); }
    else if (SINGLE_DOT.test(segment)) { if (last) record.path.push(''); }
    else {
      let s = percentEncode(segment, PATH_SET, false);
      if (record.scheme === 'file:' && record.path.length === 0 && /^[a-zA-Z][:|]$/.test(s)) s = s[0] + ':';
      record.path.push(s);
    }
  }
}
function splitTail(text) {
  // -> [before ?/#, query or null, fragment or null]
  let fragment = null, query = null;
  const hash = text.indexOf('#');
  if (hash >= 0) { fragment = apply(String.prototype.slice, text, [hash + 1]); text = apply(String.prototype.slice, text, [0, hash]); }
  const q = text.indexOf('?');
  if (q >= 0) { query = apply(String.prototype.slice, text, [q + 1]); text = apply(String.prototype.slice, text, [0, q]); }
  return [text, query, fragment];
}
function setTail(record, query, fragment) {
  record.query = query === null ? null : percentEncode(query, isSpecial(record.scheme) ? SPECIAL_QUERY_SET : QUERY_SET, false);
  record.fragment = fragment === null ? null : percentEncode(fragment, FRAGMENT_SET, false);
}
function parseAuthority(record, text, fail) {
  // text: after the slashes; returns the rest (path and tail)
  const special = isSpecial(record.scheme);
  const end = special ? text.search(/[/\\?#]/) : text.search(/[/?#]/);
  let authority = end < 0 ? text : apply(String.prototype.slice, text, [0, end]);
  const rest = end < 0 ? '' : apply(String.prototype.slice, text, [end]);
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const info = apply(String.prototype.slice, authority, [0, at]);
    authority = apply(String.prototype.slice, authority, [at + 1]);
    const colon = info.indexOf(':');
    record.username = percentEncode(colon < 0 ? info : apply(String.prototype.slice, info, [0, colon]), USERINFO_SET, false);
    record.password = colon < 0 ? '' : percentEncode(apply(String.prototype.slice, info, [colon + 1]), USERINFO_SET, false);
    if (authority === '') throw fail();
  }
  let hostText = authority, portText = null;
  const close = authority.lastIndexOf(']');
  const colon = authority.indexOf(':', close < 0 ? 0 : close);
  if (colon >= 0) { hostText = apply(String.prototype.slice, authority, [0, colon]); portText = apply(String.prototype.slice, authority, [colon + 1]); }
  if (hostText === '') {
    if (special || at >= 0 || portText !== null) throw fail();
    record.host = '';
  } else record.host = parseHost(hostText, special, fail);
  record.port = null;
  if (portText !== null && portText !== '') {
    if (!/^[0-9]+$/.test(portText)) throw fail();
    const port = parseInt(portText, 10);
    if (port > 65535) throw fail();
    if (SPECIAL[record.scheme] !== port) record.port = port;
  }
  return rest;
}
function parseFile(record, text, base, fail) {
  // text: everything after 'file:'
  record.username = ''; record.password = ''; record.port = null;
  const slashes = /^[/\\]*/.exec(text)[0].length;
  if (slashes >= 2) {
    const after = apply(String.prototype.slice, text, [slashes]);
    const end = after.search(/[/\\?#]/);
    const hostText = end < 0 ? after : apply(String.prototype.slice, after, [0, end]);
    let rest = end < 0 ? '' : apply(String.prototype.slice, after, [end]);
    if (/^[a-zA-Z][:|]$/.test(hostText)) { record.host = ''; rest = '/' + hostText + rest; }
    else { const host = hostText === '' ? '' : parseHost(hostText, true, fail); record.host = host === 'localhost' ? '' : host; }
    const [p, q, f] = splitTail(rest);
    record.path = [];
    parsePath(record, apply(String.prototype.slice, p, [p[0] === '/' || p[0] === '\\' ? 1 : 0]), true);
    setTail(record, q, f);
    return record;
  }
  const [p, q, f] = splitTail(text);
  record.host = '';
  if (slashes === 1) { record.path = []; parsePath(record, apply(String.prototype.slice, p, [1]), true); setTail(record, q, f); return record; }
  if (base !== null && base.scheme === 'file:') {
    record.host = base.host;
    record.path = base.path.slice();
    if (p === '') {
      record.query = base.query;
      if (q !== null) setTail(record, q, f); else record.fragment = f === null ? null : percentEncode(f, FRAGMENT_SET, false);
      if (q === null && f === null) record.fragment = null;
      return record;
    }
    if (!/^[a-zA-Z][:|]([/\\?#]|$)/.test(p)) shorten(record); else record.path = [];
    parsePath(record, p, true);
    setTail(record, q, f);
    return record;
  }
  record.path = [];
  parsePath(record, p, true);
  setTail(record, q, f);
  return record;
}
function parseRecord(input, base) {
  const fail = () => invalid(input, base === null ? undefined : serialize(base));
  let text = apply(String.prototype.replace, StringCtor(input), [/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '']);
  text = apply(String.prototype.replace, text, [/[\t\n\r]/g, '']);
  const record = { scheme: '', username: '', password: '', host: null, port: null, path: [], query: null, fragment: null };
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(text);
  if (match !== null) {
    record.scheme = apply(String.prototype.toLowerCase, match[1], []) + ':';
    let rest = apply(String.prototype.slice, text, [match[0].length]);
    if (record.scheme === 'file:') return parseFile(record, rest, base, fail);
    if (isSpecial(record.scheme)) {
      if (base !== null && base.scheme === record.scheme && rest[0] !== '/' && rest[0] !== '\\') return relative(record, rest, base, fail);
      rest = apply(String.prototype.replace, rest, [/^[/\\]*/, '']);
      rest = parseAuthority(record, rest, fail);
      const [p, q, f] = splitTail(rest);
      parsePath(record, apply(String.prototype.slice, p, [p[0] === '/' || p[0] === '\\' ? 1 : 0]), true);
      setTail(record, q, f);
      return record;
    }
    if (apply(String.prototype.startsWith, rest, ['//'])) {
      rest = parseAuthority(record, apply(String.prototype.slice, rest, [2]), fail);
      const [p, q, f] = splitTail(rest);
      if (p !== '') parsePath(record, apply(String.prototype.slice, p, [1]), false);
      setTail(record, q, f);
      return record;
    }
    const [p, q, f] = splitTail(rest);
    if (p[0] === '/') parsePath(record, apply(String.prototype.slice, p, [1]), false);
    else {
      let opaque = percentEncode(p, C0_SET, false);
      if (q === null && f === null) opaque = apply(String.prototype.replace, opaque, [/ +$/, '']);
      record.path = opaque;
    }
    setTail(record, q, f);
    return record;
  }
  if (base === null) throw fail();
  if (typeof base.path === 'string') {
    if (text[0] !== '#') throw fail();
    const copy = { ...base };
    copy.fragment = percentEncode(apply(String.prototype.slice, text, [1]), FRAGMENT_SET, false);
    return copy;
  }
  record.scheme = base.scheme;
  if (record.scheme === 'file:') return parseFile(record, text, base, fail);
  return relative(record, text, base, fail);
}
function relative(record, text, base, fail) {
  const special = isSpecial(record.scheme);
  const slash = (ch) => ch === '/' || (special && ch === '\\');
  if (slash(text[0]) && slash(text[1])) {
    const rest = parseAuthority(record, special ? apply(String.prototype.replace, text, [/^[/\\]*/, '']) : apply(String.prototype.slice, text, [2]), fail);
    const [p, q, f] = splitTail(rest);
    if (p !== '') parsePath(record, apply(String.prototype.slice, p, [1]), special);
    else if (special) record.path = [''];
    setTail(record, q, f);
    return record;
  }
  record.username = base.username; record.password = base.password; record.host = base.host; record.port = base.port;
  const [p, q, f] = splitTail(text);
  if (slash(p[0])) {
    parsePath(record, apply(String.prototype.slice, p, [1]), special);
    setTail(record, q, f);
    return record;
  }
  record.path = base.path.slice();
  if (p === '') {
    if (q === null) record.query = base.query;
    setTail(record, q === null ? null : q, f);
    if (q === null) record.query = base.query;
    return record;
  }
  shorten(record);
  parsePath(record, p, special);
  setTail(record, q, f);
  return record;
}
function pathText(record) {
  if (typeof record.path === 'string') return record.path;
  let out = '';
  for (let i = 0; i < record.path.length; i++) out += '/' + record.path[i];
  if (record.host === null && record.path.length > 1 && record.path[0] === '') out = '/.' + out;
  return out;
}
function serialize(record, noFragment) {
  let out = record.scheme;
  if (record.host !== null) {
    out += '//';
    if (record.username !== '' || record.password !== '') out += record.username + (record.password !== '' ? ':' + record.password : '') + '@';
    out += record.host;
    if (record.port !== null) out += ':' + record.port;
  }
  out += pathText(record);
  if (record.query !== null) out += '?' + record.query;
  if (!noFragment && record.fragment !== null) out += '#' + record.fragment;
  return out;
}

// ---- URLSearchParams
function parseForm(text) {
  const list = [];
  const pieces = text.split('&');
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i];
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = eq < 0 ? piece : apply(String.prototype.slice, piece, [0, eq]);
    const value = eq < 0 ? '' : apply(String.prototype.slice, piece, [eq + 1]);
    list.push([percentDecode(apply(String.prototype.replace, name, [/\+/g, ' '])), percentDecode(apply(String.prototype.replace, value, [/\+/g, ' ']))]);
  }
  return list;
}
const toUSV = (v) => apply(String.prototype.toWellFormed, StringCtor(v), []);
const PARAMS = new WeakMap();
const PARAMS_KEY = {};
class URLSearchParams {
  constructor(init = '') {
    const state = { list: [], url: null };
    PARAMS.set(this, state);
    if (init === PARAMS_KEY) return;
    if (init !== null && typeof init === 'object' || typeof init === 'function') {
      if (typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) {
          const items = [...pair];
          if (items.length !== 2) throw new TypeErrorCtor("URLSearchParams: each pair must have exactly two items");
          state.list.push([toUSV(items[0]), toUSV(items[1])]);
        }
      } else {
        const keys = ownKeys(init);
        for (let i = 0; i < keys.length; i++) {
          const d = Reflect.getOwnPropertyDescriptor(init, keys[i]);
          if (d && d.enumerable && typeof keys[i] === 'string') state.list.push([toUSV(keys[i]), toUSV(init[keys[i]])]);
        }
      }
    } else {
      let text = toUSV(init);
      if (text[0] === '?') text = apply(String.prototype.slice, text, [1]);
      state.list = parseForm(text);
    }
  }
  get size() { return PARAMS.get(this).list.length; }
  append(name, value) { const s = PARAMS.get(this); s.list.push([toUSV(name), toUSV(value)]); update(s); }
  delete(name, value) {
    const s = PARAMS.get(this); name = toUSV(name);
    const v = value === undefined ? undefined : toUSV(value);
    s.list = s.list.filter((p) => !(p[0] === name && (v === undefined || p[1] === v)));
    update(s);
  }
  get(name) { name = toUSV(name); const found = PARAMS.get(this).list.find((p) => p[0] === name); return found === undefined ? null : found[1]; }
  getAll(name) { name = toUSV(name); return PARAMS.get(this).list.filter((p) => p[0] === name).map((p) => p[1]); }
  has(name, value) { name = toUSV(name); const v = value === undefined ? undefined : toUSV(value); return PARAMS.get(this).list.some((p) => p[0] === name && (v === undefined || p[1] === v)); }
  set(name, value) {
    const s = PARAMS.get(this); name = toUSV(name); value = toUSV(value);
    const i = s.list.findIndex((p) => p[0] === name);
    if (i < 0) s.list.push([name, value]);
    else { s.list[i][1] = value; s.list = s.list.filter((p, j) => j <= i || p[0] !== name); }
    update(s);
  }
  sort() {
    const s = PARAMS.get(this);
    const indexed = s.list.map((p, i) => [p, i]);
    indexed.sort((a, b) => {
      const x = a[0][0], y = b[0][0];
      for (let i = 0; i < x.length && i < y.length; i++) { const d = x.charCodeAt(i) - y.charCodeAt(i); if (d !== 0) return d; }
      return x.length - y.length || a[1] - b[1];
    });
    s.list = indexed.map((e) => e[0]);
    update(s);
  }
  forEach(callback, thisArg) {
    if (typeof callback !== 'function') throw new TypeErrorCtor('URLSearchParams.forEach: callback must be a function');
    const list = PARAMS.get(this).list;
    for (let i = 0; i < list.length; i++) apply(callback, thisArg, [list[i][1], list[i][0], this]);
  }
  *entries() { const list = PARAMS.get(this).list; for (let i = 0; i < list.length; i++) yield [list[i][0], list[i][1]]; }
  *keys() { const list = PARAMS.get(this).list; for (let i = 0; i < list.length; i++) yield list[i][0]; }
  *values() { const list = PARAMS.get(this).list; for (let i = 0; i < list.length; i++) yield list[i][1]; }
  [Symbol.iterator]() { return this.entries(); }
  toString() {
    const list = PARAMS.get(this).list;
    let out = '';
    for (let i = 0; i < list.length; i++) out += (i > 0 ? '&' : '') + percentEncode(list[i][0], FORM_SET, true) + '=' + percentEncode(list[i][1], FORM_SET, true);
    return out;
  }
}
tag(URLSearchParams.prototype, 'URLSearchParams');
function update(state) {
  if (state.url === null) return;
  const text = URLSearchParams.prototype.toString.call(state.self);
  state.url.query = text === '' ? null : text;
}

// ---- URL
const RECORDS = new WeakMap();
function recordOf(url) {
  const r = RECORDS.get(url);
  if (r === undefined) throw new TypeErrorCtor('Illegal invocation: not a URL');
  return r;
}
function baseRecord(base) {
  if (base === undefined) return null;
  return parseRecord(toUSV(base), null);
}
function refreshParams(url) {
  const state = RECORDS.get(url);
  const params = state.params;
  if (params === null) return;
  PARAMS.get(params).list = state.record.query === null ? [] : parseForm(state.record.query);
}
class URL {
  constructor(url, base) {
    if (arguments.length === 0) throw new TypeErrorCtor("URL: 1 argument required, but only 0 present");
    const text = toUSV(url);
    let baseRec = null;
    if (base !== undefined) {
      try { baseRec = baseRecord(base); } catch (error) { throw invalid(text, toUSV(base)); }
    }
    RECORDS.set(this, { record: parseRecord(text, baseRec), params: null });
  }
  static canParse(url, base) { try { new URL(url, base); return true; } catch (error) { return false; } }
  static parse(url, base) { try { return new URL(url, base); } catch (error) { return null; } }
  get href() { return serialize(recordOf(this).record); }
  set href(value) { const state = recordOf(this); state.record = parseRecord(toUSV(value), null); refreshParams(this); }
  toString() { return serialize(recordOf(this).record); }
  toJSON() { return serialize(recordOf(this).record); }
  get origin() {
    const r = recordOf(this).record;
    if (r.scheme === 'blob:') { try { const inner = new URL(pathText(r)); if (inner.protocol === 'http:' || inner.protocol === 'https:') return inner.origin; } catch (error) { /* opaque */ } return 'null'; }
    if (!isSpecial(r.scheme) || r.scheme === 'file:') return 'null';
    return r.scheme + '//' + r.host + (r.port !== null ? ':' + r.port : '');
  }
  get protocol() { return recordOf(this).record.scheme; }
  set protocol(value) {
    const r = recordOf(this).record;
    const m = /^([a-zA-Z][a-zA-Z0-9+.-]*)/.exec(toUSV(value));
    if (m === null) return;
    const scheme = apply(String.prototype.toLowerCase, m[1], []) + ':';
    if (isSpecial(scheme) !== isSpecial(r.scheme)) return;
    if (scheme === 'file:' && (r.username !== '' || r.password !== '' || r.port !== null)) return;
    if (r.scheme === 'file:' && r.host === '') return;
    r.scheme = scheme;
    if (r.port === SPECIAL[scheme]) r.port = null;
  }
  get username() { return recordOf(this).record.username; }
  set username(value) { const r = recordOf(this).record; if (r.host === null || r.host === '' || r.scheme === 'file:') return; r.username = percentEncode(toUSV(value), USERINFO_SET, false); }
  get password() { return recordOf(this).record.password; }
  set password(value) { const r = recordOf(this).record; if (r.host === null || r.host === '' || r.scheme === 'file:') return; r.password = percentEncode(toUSV(value), USERINFO_SET, false); }
  get host() { const r = recordOf(this).record; return r.host === null ? '' : r.host + (r.port !== null ? ':' + r.port : ''); }
  set host(value) { this.#setHost(toUSV(value), true); }
  get hostname() { const r = recordOf(this).record; return r.host === null ? '' : r.host; }
  set hostname(value) { this.#setHost(toUSV(value), false); }
  #setHost(text, withPort) {
    const r = recordOf(this).record;
    if (typeof r.path === 'string') return;
    const copy = { ...r, path: r.path.slice() };
    const end = text.search(isSpecial(r.scheme) ? /[/\\?#]/ : /[/?#]/);
    if (end >= 0) text = apply(String.prototype.slice, text, [0, end]);
    if (!withPort) { const close = text.lastIndexOf(']'); const colon = text.indexOf(':', close < 0 ? 0 : close); if (colon >= 0) return; }
    try {
      const port = copy.port;
      parseAuthority(copy, text, () => new TypeErrorCtor('bad host'));
      if (!withPort || !/:/.test(text.slice(text.lastIndexOf(']') + 1))) copy.port = port;
    } catch (error) { return; }
    if (copy.host === '' && isSpecial(r.scheme) && r.scheme !== 'file:') return;
    r.host = copy.host; r.port = copy.port;
  }
  get port() { const p = recordOf(this).record.port; return p === null ? '' : StringCtor(p); }
  set port(value) {
    const r = recordOf(this).record;
    if (r.host === null || r.host === '' || r.scheme === 'file:') return;
    const text = toUSV(value);
    if (text === '') { r.port = null; return; }
    const m = /^[0-9]+/.exec(text);
    if (m === null) return;
    const port = parseInt(m[0], 10);
    if (port > 65535) return;
    r.port = SPECIAL[r.scheme] === port ? null : port;
  }
  get pathname() { return pathText(recordOf(this).record); }
  set pathname(value) {
    const r = recordOf(this).record;
    if (typeof r.path === 'string') return;
    r.path = [];
    let text = toUSV(value);
    const special = isSpecial(r.scheme);
    if (text[0] === '/' || (special && text[0] === '\\')) text = apply(String.prototype.slice, text, [1]);
    else if (!special && r.host === null && text === '') return;
    parsePath(r, apply(String.prototype.replace, text, [/[?#]/g, (c) => (c === '?' ? '%3F' : '%23')]), special);
  }
  get search() { const q = recordOf(this).record.query; return q === null || q === '' ? '' : '?' + q; }
  set search(value) {
    const state = recordOf(this);
    let text = toUSV(value);
    if (text === '') { state.record.query = null; refreshParams(this); return; }
    if (text[0] === '?') text = apply(String.prototype.slice, text, [1]);
    state.record.query = percentEncode(text, isSpecial(state.record.scheme) ? SPECIAL_QUERY_SET : QUERY_SET, false);
    refreshParams(this);
  }
  get searchParams() {
    const state = recordOf(this);
    if (state.params === null) {
      const params = new URLSearchParams(PARAMS_KEY);
      const ps = PARAMS.get(params);
      ps.url = state.record; ps.self = params;
      state.params = params;
      refreshParams(this);
      // The params write through to whichever record the URL holds now.
      defineProperty(ps, 'url', { get: () => state.record, configurable: true });
    }
    return state.params;
  }
  get hash() { const f = recordOf(this).record.fragment; return f === null || f === '' ? '' : '#' + f; }
  set hash(value) {
    const r = recordOf(this).record;
    let text = toUSV(value);
    if (text === '') { r.fragment = null; return; }
    if (text[0] === '#') text = apply(String.prototype.slice, text, [1]);
    r.fragment = percentEncode(text, FRAGMENT_SET, false);
  }
}
for (const key of ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'searchParams', 'hash', 'toString', 'toJSON']) {
  const d = Reflect.getOwnPropertyDescriptor(URL.prototype, key);
  d.enumerable = true;
  defineProperty(URL.prototype, key, d);
}
tag(URL.prototype, 'URL');
expose('URL', URL);
expose('URLSearchParams', URLSearchParams);
