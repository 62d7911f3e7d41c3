// The web-standard globals of every module isolate (see docs/module-authoring.md). This
// file is one function expression, spliced into the isolate's setup script
// (src/sandbox/isolateSetup.ts) after the bridge; the setup calls it once per isolate and
// then calls what it returns before the module runs:
// `bind(host, canLog, canTime, canFetch, fetchPrimitive, timeOrigin, lazy)`.
//
//   host(op, a, b)  an ivm.Callback (arguments and result copied, primitives only), kept
//                   in this closure and never on a global: 'random' n -> latin1 string of
//                   n random bytes; 'digest' algorithm, latin1 data -> latin1 digest;
//                   'now' -> coarsened milliseconds; 'console' level, text.
//   fetchPrimitive  the bridge's one fetch primitive (bridgeSource.ts), never on a global.
//
// Lazy (the default): bind defines every global below as an accessor on globalThis; the
// first read of any of them runs build() once, which makes them all and turns each
// accessor still in place into the spec's plain data property (writable, configurable,
// not enumerable). Assigning or deleting one before that works as on a data property, and
// build() leaves such a name alone. A module that touches none of them never pays for
// building them. Everything here is made by the isolate: no host object is ever handed out.
(function webGlobals() {
  'use strict';
  let host = function unbound() { throw new TypeError('the web globals are not bound to a host'); };
  let canLog = false, canTime = false, timeOrigin = 0;
  let baseSetTimeout, baseClearTimeout;
  const g = globalThis;
  const defineProperty = Object.defineProperty, freeze = Object.freeze, create = Object.create, getPrototypeOf = Object.getPrototypeOf;
  const apply = Reflect.apply, ownKeys = Reflect.ownKeys;
  const fromCharCode = String.fromCharCode, StringCtor = String;
  const TypeErrorCtor = TypeError, RangeErrorCtor = RangeError, ErrorCtor = Error, PromiseCtor = Promise;
  const isArray = Array.isArray, ArrayBufferCtor = ArrayBuffer, Uint8ArrayCtor = Uint8Array;
  const isView = ArrayBuffer.isView;
  const SharedArrayBufferCtor = typeof SharedArrayBuffer === 'function' ? SharedArrayBuffer : undefined;

  const getOwnPropertyDescriptor = Reflect.getOwnPropertyDescriptor;
  const promiseResolved = PromiseCtor.resolve(), PromiseThen = PromiseCtor.prototype.then;
  const define = (function define(name, value) {
    defineProperty(g, name, { value, writable: true, enumerable: false, configurable: true });
  });
  // name -> the getter bind put on the global for it (so that build() recognises its own accessor).
  const lazyGetters = create(null);
  const built = create(null);
  // Inside build(): the name becomes a data property, unless the module replaced or deleted it first.
  function expose(name, value) {
    built[name] = value;
    const d = getOwnPropertyDescriptor(g, name);
    if (d !== undefined && d.get !== undefined && d.get === lazyGetters[name]) define(name, value);
  }
  function tag(proto, name) {
    defineProperty(proto, Symbol.toStringTag, { value: name, configurable: true });
  }
  function hideMethods(proto) {
    const keys = ownKeys(proto);
    for (let i = 0; i < keys.length; i++) {
      const d = Reflect.getOwnPropertyDescriptor(proto, keys[i]);
      if (keys[i] !== 'constructor' && d) { d.enumerable = true; defineProperty(proto, keys[i], d); }
    }
  }
  void hideMethods;

  let rawFetchPrimitive = null, fetchGranted = false, state = 'lazy';
  function build() {
    if (state !== 'lazy') return;
    state = 'building';
    try {
      buildAll();
      state = 'built';
    } catch (error) {
      state = 'lazy'; // stopped half way (a timeout): the next touch builds again
      throw error;
    }
  }
  function buildAll() {

    // ---------------------------------------------------------------- DOMException
    const DOM_CODES = { IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5, NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11, SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15, TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21, QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25 };
    class DOMException extends ErrorCtor {
      #name; #message;
      constructor(message = '', name = 'Error') {
        super(StringCtor(message));
        this.#message = StringCtor(message);
        this.#name = StringCtor(name);
      }
      get name() { return this.#name; }
      get message() { return this.#message; }
      get code() { return DOM_CODES[this.#name] || 0; }
    }
    tag(DOMException.prototype, 'DOMException');
    expose('DOMException', DOMException);

    // ---------------------------------------------------------------- bytes helpers
    function bytesOf(input, what) {
      if (input instanceof ArrayBufferCtor || (SharedArrayBufferCtor && input instanceof SharedArrayBufferCtor)) return new Uint8ArrayCtor(input);
      if (isView(input)) return new Uint8ArrayCtor(input.buffer, input.byteOffset, input.byteLength);
      throw new TypeErrorCtor(what + ': expected an ArrayBuffer or an ArrayBufferView');
    }
    function latin1(bytes) {
      let out = '';
      for (let i = 0; i < bytes.length; i += 8192) out += apply(fromCharCode, null, bytes.subarray(i, i + 8192));
      return out;
    }
    function fromLatin1(text) {
      const out = new Uint8ArrayCtor(text.length);
      for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
      return out;
    }

    // ---------------------------------------------------------------- TextEncoder / TextDecoder
    function utf8Encode(input) {
      const s = StringCtor(input);
      const out = new Uint8ArrayCtor(s.length * 3);
      let n = 0;
      for (let i = 0; i < s.length; i++) {
        let c = s.charCodeAt(i);
        if (c < 0x80) { out[n++] = c; continue; }
        if (c < 0x800) { out[n++] = 0xc0 | (c >> 6); out[n++] = 0x80 | (c & 63); continue; }
        if (c >= 0xd800 && c <= 0xdfff) {
          const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
          if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
            c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            i++;
            out[n++] = 0xf0 | (c >> 18); out[n++] = 0x80 | ((c >> 12) & 63); out[n++] = 0x80 | ((c >> 6) & 63); out[n++] = 0x80 | (c & 63);
            continue;
          }
          c = 0xfffd;
        }
        out[n++] = 0xe0 | (c >> 12); out[n++] = 0x80 | ((c >> 6) & 63); out[n++] = 0x80 | (c & 63);
      }
      return out.slice(0, n);
    }
    class TextEncoder {
      get encoding() { return 'utf-8'; }
      encode(input = '') { return utf8Encode(input); }
      encodeInto(source, destination) {
        if (!(destination instanceof Uint8ArrayCtor)) throw new TypeErrorCtor("TextEncoder.encodeInto: destination must be a Uint8Array");
        const s = StringCtor(source);
        let read = 0, written = 0;
        for (let i = 0; i < s.length;) {
          const cp = s.codePointAt(i);
          const units = cp > 0xffff ? 2 : 1;
          const bytes = utf8Encode(apply(String.prototype.slice, s, [i, i + units]));
          if (written + bytes.length > destination.length) break;
          destination.set(bytes, written);
          written += bytes.length; read += units; i += units;
        }
        return { read, written };
      }
    }
    tag(TextEncoder.prototype, 'TextEncoder');
    expose('TextEncoder', TextEncoder);

    const UTF8_LABELS = { 'utf-8': 1, 'utf8': 1, 'unicode-1-1-utf-8': 1, 'unicode11utf8': 1, 'unicode20utf8': 1, 'x-unicode20utf8': 1 };
    class TextDecoder {
      #fatal; #ignoreBOM; #pending = null; #bomSeen = false;
      constructor(label = 'utf-8', options = {}) {
        const l = apply(String.prototype.toLowerCase, apply(String.prototype.trim, StringCtor(label), []), []);
        if (UTF8_LABELS[l] !== 1) throw new RangeErrorCtor("TextDecoder: the encoding '" + label + "' is not supported inside a hotmod module (only utf-8)");
        this.#fatal = !!(options && options.fatal);
        this.#ignoreBOM = !!(options && options.ignoreBOM);
      }
      get encoding() { return 'utf-8'; }
      get fatal() { return this.#fatal; }
      get ignoreBOM() { return this.#ignoreBOM; }
      decode(input, options) {
        const stream = !!(options && options.stream);
        let bytes = input === undefined ? new Uint8ArrayCtor(0) : bytesOf(input, 'TextDecoder.decode');
        if (this.#pending !== null) {
          const joined = new Uint8ArrayCtor(this.#pending.length + bytes.length);
          joined.set(this.#pending); joined.set(bytes, this.#pending.length);
          bytes = joined; this.#pending = null;
        }
        let i = 0;
        if (!this.#bomSeen && !this.#ignoreBOM) {
          if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) { i = 3; this.#bomSeen = true; }
          else if (bytes.length >= 3 || !stream) this.#bomSeen = bytes.length > 0 || this.#bomSeen;
          else if (bytes.length > 0 && !(bytes[0] === 0xef && (bytes.length < 2 || bytes[1] === 0xbb))) this.#bomSeen = true;
          else if (bytes.length > 0) { this.#pending = bytes; return ''; }
        }
        const units = [];
        let out = '';
        const n = bytes.length;
        while (i < n) {
          const b = bytes[i];
          let cp = -1, need = 0, lower = 0x80, upper = 0xbf;
          if (b < 0x80) { cp = b; i++; }
          else {
            if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; }
            else if (b >= 0xe0 && b <= 0xef) { need = 2; cp = b & 0xf; if (b === 0xe0) lower = 0xa0; if (b === 0xed) upper = 0x9f; }
            else if (b >= 0xf0 && b <= 0xf4) { need = 3; cp = b & 0x7; if (b === 0xf0) lower = 0x90; if (b === 0xf4) upper = 0x8f; }
            else { cp = -2; i++; }
            if (cp !== -2) {
              let j = i + 1, k = 0;
              for (; k < need && j < n; k++, j++) {
                const c = bytes[j];
                if (c < lower || c > upper) break;
                lower = 0x80; upper = 0xbf;
                cp = (cp << 6) | (c & 0x3f);
              }
              if (k === need) i = j;
              else if (j >= n && stream) { this.#pending = bytes.slice(i); break; }
              else { cp = -2; i = j; }
            }
          }
          if (cp === -2) {
            if (this.#fatal) { this.#pending = null; throw new TypeErrorCtor('TextDecoder.decode: the input is not valid utf-8'); }
            cp = 0xfffd;
          }
          if (cp >= 0) {
            if (cp > 0xffff) { cp -= 0x10000; units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff)); }
            else units.push(cp);
            if (units.length >= 8192) { out += apply(fromCharCode, null, units); units.length = 0; }
          }
        }
        if (units.length > 0) out += apply(fromCharCode, null, units);
        if (!stream) { this.#bomSeen = false; if (this.#pending !== null && !stream) { this.#pending = null; } }
        return out;
      }
    }
    tag(TextDecoder.prototype, 'TextDecoder');
    expose('TextDecoder', TextDecoder);

    // ---------------------------------------------------------------- atob / btoa
    const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const B64_INDEX = create(null);
    for (let i = 0; i < 64; i++) B64_INDEX[B64[i]] = i;
    function btoa(data) {
      if (arguments.length === 0) throw new TypeErrorCtor("btoa: 1 argument required, but only 0 present");
      const s = StringCtor(data);
      let out = '';
      for (let i = 0; i < s.length; i += 3) {
        const a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2);
        if (a > 255 || b > 255 || c > 255) throw new DOMException('btoa: the string contains characters outside of the Latin1 range', 'InvalidCharacterError');
        const rest = s.length - i;
        out += B64[a >> 2] + B64[((a & 3) << 4) | (rest > 1 ? b >> 4 : 0)] + (rest > 1 ? B64[((b & 15) << 2) | (rest > 2 ? c >> 6 : 0)] : '=') + (rest > 2 ? B64[c & 63] : '=');
      }
      return out;
    }
    function atob(data) {
      if (arguments.length === 0) throw new TypeErrorCtor("atob: 1 argument required, but only 0 present");
      let s = apply(String.prototype.replace, StringCtor(data), [/[\t\n\f\r ]/g, '']);
      if (s.length % 4 === 0) s = apply(String.prototype.replace, s, [/==?$/, '']);
      if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) throw new DOMException('atob: the string to be decoded is not correctly encoded', 'InvalidCharacterError');
      let out = '', buffer = 0, bits = 0;
      for (let i = 0; i < s.length; i++) {
        buffer = (buffer << 6) | B64_INDEX[s[i]];
        bits += 6;
        if (bits >= 8) { bits -= 8; out += fromCharCode((buffer >> bits) & 255); }
      }
      return out;
    }
    expose('btoa', btoa);
    expose('atob', atob);

    // ---------------------------------------------------------------- structuredClone
    const ERROR_CTORS = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
    function structuredClone(value, options) {
      if (arguments.length === 0) throw new TypeErrorCtor("structuredClone: 1 argument required, but only 0 present");
      if (options && options.transfer !== undefined && (typeof options.transfer !== 'object' || options.transfer === null || options.transfer.length > 0)) {
        throw new DOMException('structuredClone: transfer is not supported inside a hotmod module', 'DataCloneError');
      }
      const seen = new Map();
      function clone(v) {
        const type = typeof v;
        if (v === null || (type !== 'object' && type !== 'function' && type !== 'symbol')) return v;
        if (type === 'function') throw new DOMException((v.name ? v.name : 'a function') + ' could not be cloned', 'DataCloneError');
        if (type === 'symbol') throw new DOMException(StringCtor(v.description) + ' (a Symbol) could not be cloned', 'DataCloneError');
        if (seen.has(v)) return seen.get(v);
        let out;
        if (isArray(v)) {
          out = new Array(v.length); seen.set(v, out);
          const keys = Object.keys(v);
          for (let i = 0; i < keys.length; i++) out[keys[i]] = clone(v[keys[i]]);
          return out;
        }
        if (v instanceof Date) { out = new Date(v.getTime()); seen.set(v, out); return out; }
        if (v instanceof RegExp) { out = new RegExp(v.source, v.flags); seen.set(v, out); return out; }
        if (v instanceof Boolean || v instanceof Number || v instanceof String || v instanceof BigInt) { out = Object(v.valueOf()); seen.set(v, out); return out; }
        if (v instanceof ArrayBufferCtor) { out = v.slice(0); seen.set(v, out); return out; }
        if (isView(v)) {
          const buffer = clone(v.buffer);
          out = v instanceof DataView ? new DataView(buffer, v.byteOffset, v.byteLength) : new v.constructor(buffer, v.byteOffset, v.length);
          seen.set(v, out); return out;
        }
        if (v instanceof Map) { out = new Map(); seen.set(v, out); for (const [k, x] of v) out.set(clone(k), clone(x)); return out; }
        if (v instanceof Set) { out = new Set(); seen.set(v, out); for (const x of v) out.add(clone(x)); return out; }
        if (v instanceof ErrorCtor) {
          const name = v.name;
          const Ctor = ERROR_CTORS[name] || ErrorCtor;
          out = create(Ctor.prototype); seen.set(v, out);
          defineProperty(out, 'message', { value: StringCtor(v.message), writable: true, configurable: true });
          if (typeof v.stack === 'string') defineProperty(out, 'stack', { value: v.stack, writable: true, configurable: true });
          if ('cause' in v) defineProperty(out, 'cause', { value: clone(v.cause), writable: true, configurable: true });
          return out;
        }
        if (v instanceof PromiseCtor || v instanceof WeakMap || v instanceof WeakSet || (typeof WeakRef === 'function' && v instanceof WeakRef)) {
          throw new DOMException(Object.prototype.toString.call(v) + ' could not be cloned', 'DataCloneError');
        }
        const proto = getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null && !(v instanceof Object)) throw new DOMException('the object could not be cloned', 'DataCloneError');
        if (proto !== Object.prototype && proto !== null && (v instanceof EventTarget || v instanceof URL || v instanceof URLSearchParams)) throw new DOMException(Object.prototype.toString.call(v) + ' could not be cloned', 'DataCloneError');
        out = {}; seen.set(v, out);
        const keys = Object.keys(v);
        for (let i = 0; i < keys.length; i++) out[keys[i]] = clone(v[keys[i]]);
        return out;
      }
      return clone(value);
    }
    expose('structuredClone', structuredClone);

    // ---------------------------------------------------------------- queueMicrotask
    const resolved = promiseResolved, then = PromiseThen;
    function queueMicrotask(callback) {
      if (typeof callback !== 'function') throw new TypeErrorCtor("queueMicrotask: the argument must be a function");
      apply(then, resolved, [() => callback()]);
    }
    expose('queueMicrotask', queueMicrotask);

    // ---------------------------------------------------------------- performance
    const performance = create(Object.prototype);
    defineProperty(performance, 'now', { value: function now() { return +host('now'); }, writable: true, enumerable: true, configurable: true });
    defineProperty(performance, 'timeOrigin', { get: function timeOrigin_() { return timeOrigin; }, enumerable: true, configurable: true });
    defineProperty(performance, 'toJSON', { value: function toJSON() { return { timeOrigin }; }, writable: true, configurable: true });
    tag(performance, 'Performance');
    expose('performance', performance);

    // ---------------------------------------------------------------- crypto
    let pool = '', poolAt = 0;
    function randomBytes(n) {
      if (n > 4096) return fromLatin1(host('random', n));
      if (poolAt + n > pool.length) { pool = host('random', 8192); poolAt = 0; }
      const out = new Uint8ArrayCtor(n);
      for (let i = 0; i < n; i++) out[i] = pool.charCodeAt(poolAt + i);
      poolAt += n;
      return out;
    }
    const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];
    function getRandomValues(array) {
      let ok = false;
      for (let i = 0; i < INTEGER_ARRAYS.length; i++) if (array instanceof INTEGER_ARRAYS[i]) ok = true;
      if (!ok) throw new DOMException("crypto.getRandomValues: the argument must be an integer-typed array", 'TypeMismatchError');
      if (array.byteLength > 65536) throw new DOMException("crypto.getRandomValues: the array's byte length (" + array.byteLength + ') is over 65536', 'QuotaExceededError');
      new Uint8ArrayCtor(array.buffer, array.byteOffset, array.byteLength).set(randomBytes(array.byteLength));
      return array;
    }
    const HEX = [];
    for (let i = 0; i < 256; i++) HEX[i] = (i < 16 ? '0' : '') + i.toString(16);
    function randomUUID() {
      const b = randomBytes(16);
      b[6] = (b[6] & 0x0f) | 0x40;
      b[8] = (b[8] & 0x3f) | 0x80;
      return HEX[b[0]] + HEX[b[1]] + HEX[b[2]] + HEX[b[3]] + '-' + HEX[b[4]] + HEX[b[5]] + '-' + HEX[b[6]] + HEX[b[7]] + '-' + HEX[b[8]] + HEX[b[9]] + '-' + HEX[b[10]] + HEX[b[11]] + HEX[b[12]] + HEX[b[13]] + HEX[b[14]] + HEX[b[15]];
    }
    const DIGESTS = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
    class SubtleCrypto {
      constructor(key) { if (key !== SUBTLE_KEY) throw new TypeErrorCtor('Illegal constructor'); }
      digest(algorithm, data) {
        try {
          const name = typeof algorithm === 'string' ? algorithm : algorithm && algorithm.name;
          const upper = typeof name === 'string' ? apply(String.prototype.toUpperCase, name, []) : '';
          const hash = DIGESTS[upper];
          if (hash === undefined) throw new DOMException("crypto.subtle.digest: unsupported algorithm '" + StringCtor(name) + "' (SHA-1, SHA-256, SHA-384 and SHA-512 are)", 'NotSupportedError');
          const digest = fromLatin1(host('digest', hash, latin1(bytesOf(data, 'crypto.subtle.digest'))));
          return PromiseCtor.resolve(digest.buffer);
        } catch (error) {
          return PromiseCtor.reject(error);
        }
      }
    }
    const SUBTLE_KEY = {};
    tag(SubtleCrypto.prototype, 'SubtleCrypto');
    const subtle = new SubtleCrypto(SUBTLE_KEY);
    class Crypto {
      constructor(key) { if (key !== SUBTLE_KEY) throw new TypeErrorCtor('Illegal constructor'); }
      get subtle() { return subtle; }
      getRandomValues(array) { return getRandomValues(array); }
      randomUUID() { return randomUUID(); }
    }
    tag(Crypto.prototype, 'Crypto');
    expose('crypto', new Crypto(SUBTLE_KEY));
    expose('Crypto', Crypto);
    expose('SubtleCrypto', SubtleCrypto);

    // ---------------------------------------------------------------- console
    function inspect(value, depth, seen) {
      const type = typeof value;
      if (type === 'string') return depth === 0 ? value : stringify(value);
      if (type === 'bigint') return StringCtor(value) + 'n';
      if (type === 'symbol') return value.toString();
      if (type === 'function') return '[Function: ' + (value.name || '(anonymous)') + ']';
      if (value === null || type !== 'object') return StringCtor(value);
      if (seen.indexOf(value) >= 0) return '[Circular]';
      if (value instanceof ErrorCtor) return typeof value.stack === 'string' ? value.stack : value.name + ': ' + value.message;
      if (value instanceof Date) return isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
      if (value instanceof RegExp) return StringCtor(value);
      if (depth > 2) return isArray(value) ? '[Array]' : '[Object]';
      seen.push(value);
      let out;
      try {
        if (isArray(value)) {
          const parts = [];
          for (let i = 0; i < value.length && i < 100; i++) parts.push(inspect(value[i], depth + 1, seen));
          if (value.length > 100) parts.push('... ' + (value.length - 100) + ' more items');
          out = '[ ' + parts.join(', ') + ' ]';
          if (parts.length === 0) out = '[]';
        } else if (value instanceof Map || value instanceof Set) {
          const parts = [];
          for (const entry of value) parts.push(value instanceof Map ? inspect(entry[0], depth + 1, seen) + ' => ' + inspect(entry[1], depth + 1, seen) : inspect(entry, depth + 1, seen));
          out = (value instanceof Map ? 'Map(' : 'Set(') + value.size + ') { ' + parts.join(', ') + ' }';
        } else {
          const keys = Object.keys(value);
          const parts = [];
          for (let i = 0; i < keys.length && i < 100; i++) {
            const k = keys[i];
            parts.push((/^[A-Za-z_$][\w$]*$/.test(k) ? k : stringify(k)) + ': ' + inspect(value[k], depth + 1, seen));
          }
          out = parts.length === 0 ? '{}' : '{ ' + parts.join(', ') + ' }';
        }
      } catch (error) {
        out = '[object that could not be inspected]';
      }
      seen.pop();
      return out;
    }
    const stringify = JSON.stringify;
    function format(args) {
      let first = args[0], i = 1, out = '';
      if (typeof first === 'string') {
        out = apply(String.prototype.replace, first, [/%[sdifjoOc%]/g, (m) => {
          if (m === '%%') return '%';
          if (i >= args.length) return m;
          const a = args[i++];
          switch (m) {
            case '%s': return typeof a === 'string' ? a : inspect(a, 1, []);
            case '%d': case '%i': return typeof a === 'bigint' ? a + 'n' : StringCtor(m === '%i' ? parseInt(a, 10) : Number(a));
            case '%f': return StringCtor(parseFloat(a));
            case '%j': try { return stringify(a); } catch (e) { return '[Circular]'; }
            case '%c': return '';
            default: return inspect(a, 1, []);
          }
        }]);
      } else {
        i = 0;
      }
      for (; i < args.length; i++) out += (out.length > 0 || i > 0 ? ' ' : '') + inspect(args[i], 0, []);
      return out;
    }
    const MAX_LINE = 8192;
    function emit(level, args) {
      if (!canLog) return;
      let text;
      try { text = format(args); } catch (error) { text = '[console arguments that could not be formatted]'; }
      if (text.length > MAX_LINE) text = apply(String.prototype.slice, text, [0, MAX_LINE]) + '\u2026 [' + (text.length - MAX_LINE) + ' more characters]';
      host('console', level, text);
    }
    const counts = create(null), timersStarted = create(null);
    const consoleObject = {
      log(...args) { emit('info', args); },
      info(...args) { emit('info', args); },
      debug(...args) { emit('info', args); },
      warn(...args) { emit('warn', args); },
      error(...args) { emit('error', args); },
      trace(...args) { emit('error', ['Trace:', ...args, new ErrorCtor('trace').stack]); },
      dir(value) { emit('info', [value]); },
      table(value) { emit('info', [value]); },
      assert(condition, ...args) { if (!condition) emit('error', ['Assertion failed' + (args.length ? ':' : ''), ...args]); },
      count(label = 'default') { counts[label] = (counts[label] || 0) + 1; emit('info', [label + ': ' + counts[label]]); },
      countReset(label = 'default') { counts[label] = 0; },
      time(label = 'default') { timersStarted[label] = performance.now(); },
      timeEnd(label = 'default') { const t = timersStarted[label]; if (t !== undefined) { delete timersStarted[label]; emit('info', [label + ': ' + (performance.now() - t).toFixed(3) + 'ms']); } },
      timeLog(label = 'default', ...args) { const t = timersStarted[label]; if (t !== undefined) emit('info', [label + ': ' + (performance.now() - t).toFixed(3) + 'ms', ...args]); },
      group(...args) { if (args.length) emit('info', args); },
      groupCollapsed(...args) { if (args.length) emit('info', args); },
      groupEnd() {},
    };
    tag(consoleObject, 'console');
    expose('console', consoleObject);

    // ---------------------------------------------------------------- Event / EventTarget
    const EVENT_INTERNAL = new WeakMap();
    class Event {
      #type; #bubbles; #cancelable; #composed; #timeStamp;
      constructor(type, options = {}) {
        if (arguments.length === 0) throw new TypeErrorCtor("Event: 1 argument required, but only 0 present");
        this.#type = StringCtor(type);
        this.#bubbles = !!(options && options.bubbles);
        this.#cancelable = !!(options && options.cancelable);
        this.#composed = !!(options && options.composed);
        this.#timeStamp = performance.now();
        EVENT_INTERNAL.set(this, { target: null, current: null, defaultPrevented: false, stop: false, stopImmediate: false, dispatching: false, inPassive: false });
      }
      get type() { return this.#type; }
      get bubbles() { return this.#bubbles; }
      get cancelable() { return this.#cancelable; }
      get composed() { return this.#composed; }
      get timeStamp() { return this.#timeStamp; }
      get target() { return EVENT_INTERNAL.get(this).target; }
      get srcElement() { return EVENT_INTERNAL.get(this).target; }
      get currentTarget() { return EVENT_INTERNAL.get(this).current; }
      get defaultPrevented() { return EVENT_INTERNAL.get(this).defaultPrevented; }
      get returnValue() { return !EVENT_INTERNAL.get(this).defaultPrevented; }
      get eventPhase() { return EVENT_INTERNAL.get(this).dispatching ? 2 : 0; }
      get isTrusted() { return false; }
      get cancelBubble() { return EVENT_INTERNAL.get(this).stop; }
      set cancelBubble(v) { if (v) EVENT_INTERNAL.get(this).stop = true; }
      composedPath() { const s = EVENT_INTERNAL.get(this); return s.dispatching && s.current ? [s.current] : []; }
      preventDefault() { const s = EVENT_INTERNAL.get(this); if (this.#cancelable && !s.inPassive) s.defaultPrevented = true; }
      stopPropagation() { EVENT_INTERNAL.get(this).stop = true; }
      stopImmediatePropagation() { const s = EVENT_INTERNAL.get(this); s.stop = true; s.stopImmediate = true; }
    }
    for (const [k, v] of [['NONE', 0], ['CAPTURING_PHASE', 1], ['AT_TARGET', 2], ['BUBBLING_PHASE', 3]]) {
      defineProperty(Event, k, { value: v, enumerable: true });
      defineProperty(Event.prototype, k, { value: v, enumerable: true });
    }
    tag(Event.prototype, 'Event');
    class CustomEvent extends Event {
      #detail;
      constructor(type, options = {}) { super(type, options); this.#detail = options && options.detail !== undefined ? options.detail : null; }
      get detail() { return this.#detail; }
    }
    tag(CustomEvent.prototype, 'CustomEvent');

    const LISTENERS = new WeakMap();
    function listenersOf(target) {
      let map = LISTENERS.get(target);
      if (map === undefined) { map = new Map(); LISTENERS.set(target, map); }
      return map;
    }
    function flattenOptions(options) {
      if (typeof options === 'boolean') return { capture: options, once: false, passive: false, signal: undefined };
      if (options === null || typeof options !== 'object') return { capture: false, once: false, passive: false, signal: undefined };
      return { capture: !!options.capture, once: !!options.once, passive: !!options.passive, signal: options.signal };
    }
    function reportListenerError(error) {
      emit('error', ['Uncaught exception in an event listener:', error]);
    }
    class EventTarget {
      constructor() { LISTENERS.set(this, new Map()); }
      addEventListener(type, callback, options) {
        if (callback === null || callback === undefined) return;
        const o = flattenOptions(options);
        if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeErrorCtor("addEventListener: options.signal must be an AbortSignal");
        if (o.signal !== undefined && o.signal.aborted) return;
        const map = listenersOf(this);
        const key = StringCtor(type);
        let list = map.get(key);
        if (list === undefined) { list = []; map.set(key, list); }
        for (let i = 0; i < list.length; i++) if (list[i].callback === callback && list[i].capture === o.capture) return;
        const entry = { callback, capture: o.capture, once: o.once, passive: o.passive, removed: false };
        list.push(entry);
        if (o.signal !== undefined) {
          const target = this;
          o.signal.addEventListener('abort', () => target.removeEventListener(key, callback, { capture: o.capture }));
        }
      }
      removeEventListener(type, callback, options) {
        const capture = flattenOptions(options).capture;
        const list = listenersOf(this).get(StringCtor(type));
        if (list === undefined) return;
        for (let i = 0; i < list.length; i++) {
          if (list[i].callback === callback && list[i].capture === capture) { list[i].removed = true; list.splice(i, 1); return; }
        }
      }
      dispatchEvent(event) {
        if (!(event instanceof Event)) throw new TypeErrorCtor("dispatchEvent: the argument must be an Event");
        const state = EVENT_INTERNAL.get(event);
        if (state.dispatching) throw new DOMException('dispatchEvent: the event is already being dispatched', 'InvalidStateError');
        state.dispatching = true; state.target = this; state.current = this; state.stop = false; state.stopImmediate = false;
        const list = listenersOf(this).get(event.type);
        if (list !== undefined) {
          const snapshot = list.slice();
          for (let i = 0; i < snapshot.length; i++) {
            const entry = snapshot[i];
            if (entry.removed) continue;
            if (entry.once) this.removeEventListener(event.type, entry.callback, { capture: entry.capture });
            state.inPassive = entry.passive;
            try {
              if (typeof entry.callback === 'function') apply(entry.callback, this, [event]);
              else if (entry.callback && typeof entry.callback.handleEvent === 'function') entry.callback.handleEvent(event);
            } catch (error) {
              reportListenerError(error);
            }
            state.inPassive = false;
            if (state.stopImmediate) break;
          }
        }
        state.dispatching = false; state.current = null;
        return !state.defaultPrevented;
      }
    }
    tag(EventTarget.prototype, 'EventTarget');
    expose('Event', Event);
    expose('CustomEvent', CustomEvent);
    expose('EventTarget', EventTarget);

    // ---------------------------------------------------------------- AbortController / AbortSignal
    const SIGNAL_KEY = {};
    const SIGNAL_STATE = new WeakMap();
    function signalAbort(signal, reason) {
      const state = SIGNAL_STATE.get(signal);
      if (state.aborted) return;
      state.aborted = true;
      state.reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
      const event = new Event('abort');
      if (typeof state.onabort === 'function') {
        try { apply(state.onabort, signal, [event]); } catch (error) { reportListenerError(error); }
      }
      signal.dispatchEvent(event);
      const dependents = state.dependents;
      state.dependents = [];
      for (let i = 0; i < dependents.length; i++) signalAbort(dependents[i], state.reason);
    }
    class AbortSignal extends EventTarget {
      constructor(key) {
        if (key !== SIGNAL_KEY) throw new TypeErrorCtor('Illegal constructor');
        super();
        SIGNAL_STATE.set(this, { aborted: false, reason: undefined, onabort: null, dependents: [] });
      }
      get aborted() { return SIGNAL_STATE.get(this).aborted; }
      get reason() { return SIGNAL_STATE.get(this).reason; }
      get onabort() { return SIGNAL_STATE.get(this).onabort; }
      set onabort(fn) { SIGNAL_STATE.get(this).onabort = typeof fn === 'function' ? fn : null; }
      throwIfAborted() { const s = SIGNAL_STATE.get(this); if (s.aborted) throw s.reason; }
      static abort(reason) { const s = new AbortSignal(SIGNAL_KEY); signalAbort(s, reason); return s; }
      static timeout(ms) {
        if (typeof baseSetTimeout !== 'function') throw new DOMException("AbortSignal.timeout needs the 'timers' permission; add \"timers\" to the manifest's permissions", 'NotSupportedError');
        const s = new AbortSignal(SIGNAL_KEY);
        baseSetTimeout(() => signalAbort(s, new DOMException('The operation timed out', 'TimeoutError')), ms);
        return s;
      }
      static any(signals) {
        const s = new AbortSignal(SIGNAL_KEY);
        for (const other of signals) {
          if (!(other instanceof AbortSignal)) throw new TypeErrorCtor('AbortSignal.any: every item must be an AbortSignal');
          if (other.aborted) { signalAbort(s, other.reason); return s; }
        }
        for (const other of signals) SIGNAL_STATE.get(other).dependents.push(s);
        return s;
      }
    }
    tag(AbortSignal.prototype, 'AbortSignal');
    class AbortController {
      #signal = new AbortSignal(SIGNAL_KEY);
      get signal() { return this.#signal; }
      abort(reason) { signalAbort(this.#signal, reason); }
    }
    tag(AbortController.prototype, 'AbortController');
    expose('AbortSignal', AbortSignal);
    expose('AbortController', AbortController);

    // ---------------------------------------------------------------- URL / URLSearchParams
    /*@URL@*/

    // ---------------------------------------------------------------- Headers / Request / Response / fetch
    /*@FETCH@*/

    installFetch(rawFetchPrimitive, fetchGranted);
  }

  // ---------------------------------------------------------------- timers (the bridge defines setTimeout/clearTimeout when 'timers' is granted)
  const installTimers = (function installTimers() {
    const intervals = new Map();
    let nextInterval = 0x40000000;
    const setInterval = function setInterval(fn, ms, ...args) {
      if (typeof fn !== 'function') throw new TypeErrorCtor('setInterval(fn, ms): fn must be a function');
      const id = ++nextInterval;
      const delay = +ms > 0 ? +ms : 0;
      const tick = () => {
        if (!intervals.has(id)) return;
        intervals.set(id, baseSetTimeout(tick, delay));
        apply(fn, undefined, args);
      };
      intervals.set(id, baseSetTimeout(tick, delay));
      return id;
    };
    const clearInterval = function clearInterval(id) {
      const current = intervals.get(id);
      if (current !== undefined) { intervals.delete(id); baseClearTimeout(current); return; }
      baseClearTimeout(id);
    };
    const clearTimeout = function clearTimeout(id) { clearInterval(id); };
    define('setInterval', setInterval);
    define('clearInterval', clearInterval);
    define('clearTimeout', clearTimeout);
  });

  const LAZY = ['DOMException', 'TextEncoder', 'TextDecoder', 'btoa', 'atob', 'structuredClone', 'queueMicrotask', 'performance', 'crypto', 'Crypto', 'SubtleCrypto', 'console',
    'Event', 'CustomEvent', 'EventTarget', 'AbortSignal', 'AbortController', 'URL', 'URLSearchParams', 'Headers', 'Request', 'Response'];
  const lazyGlobal = (function lazyGlobal(name) {
    const get = function () {
      build();
      return built[name];
    };
    const set = function (value) { define(name, value); };
    lazyGetters[name] = get;
    defineProperty(g, name, { get, set, enumerable: false, configurable: true });
  });

  // bind and what it calls are parenthesized function expressions (so are define,
  // installTimers and lazyGlobal): V8 compiles those with the setup script, so they come out
  // of its code cache compiled instead of being parsed again in every isolate (isolateSetup.ts eagerly).
  return (function bind(hostFn, log, time, canFetch, fetchPrimitive, origin, lazy) {
    host = hostFn; canLog = log === true; canTime = time === true; timeOrigin = +origin;
    rawFetchPrimitive = typeof fetchPrimitive === 'function' ? fetchPrimitive : null;
    fetchGranted = canFetch === true && rawFetchPrimitive !== null;
    baseSetTimeout = g.setTimeout; baseClearTimeout = g.clearTimeout;
    if (canTime && typeof baseSetTimeout === 'function') installTimers();
    define('self', g);
    for (let i = 0; i < LAZY.length; i++) lazyGlobal(LAZY[i]);
    if (fetchGranted) lazyGlobal('fetch');
    if (lazy === false) build();
  });
})
