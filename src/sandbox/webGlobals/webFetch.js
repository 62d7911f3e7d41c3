  // Headers, Request, Response (always) and fetch (permission "fetch"). Spliced into
  // isolateRuntime.js at its FETCH marker, so it sees that file's helpers (expose, tag,
  // latin1, fromLatin1, bytesOf, utf8Encode, TextDecoder, URL, AbortSignal, …).
  // The request goes to the host as JSON text of primitives through the bridge's one fetch
  // primitive (`rawFetch`, taken off the global at bind); the host makes it
  // (src/sandbox/fetchService.ts) and the answer (status, headers, body as latin1) comes back
  // the same way. Bodies are whole byte arrays: there is no ReadableStream (`body` is absent).
  let rawFetch = null;
  const stringifyJson = JSON.stringify, parseJson = JSON.parse;
  const promiseThen = PromiseThen;
  const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  function headerName(name) {
    const n = StringCtor(name);
    if (!HEADER_NAME.test(n)) throw new TypeErrorCtor("Headers: '" + n + "' is not a valid header name");
    return apply(String.prototype.toLowerCase, n, []);
  }
  function headerValue(value) {
    const v = apply(String.prototype.replace, StringCtor(value), [/^[\t\n\r ]+|[\t\n\r ]+$/g, '']);
    if (/[\0\r\n]/.test(v)) throw new TypeErrorCtor('Headers: a header value may not contain NUL, CR or LF');
    return v;
  }

  class Headers {
    #list = [];
    constructor(init) {
      if (init === undefined || init === null) return;
      if (typeof init !== 'object' && typeof init !== 'function') throw new TypeErrorCtor('Headers: init must be an object, a list of [name, value] pairs or Headers');
      if (typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) {
          const p = [...pair];
          if (p.length !== 2) throw new TypeErrorCtor('Headers: every pair must be [name, value]');
          this.append(p[0], p[1]);
        }
        return;
      }
      const keys = Object.keys(init);
      for (let i = 0; i < keys.length; i++) this.append(keys[i], init[keys[i]]);
    }
    append(name, value) { this.#list.push([headerName(name), headerValue(value)]); }
    set(name, value) {
      const n = headerName(name), v = headerValue(value);
      const at = this.#list.findIndex((e) => e[0] === n);
      if (at < 0) { this.#list.push([n, v]); return; }
      this.#list[at] = [n, v];
      this.#list = this.#list.filter((e, i) => i <= at || e[0] !== n);
    }
    get(name) {
      const n = headerName(name), values = [];
      for (const e of this.#list) if (e[0] === n) values.push(e[1]);
      return values.length === 0 ? null : values.join(', ');
    }
    getSetCookie() {
      const values = [];
      for (const e of this.#list) if (e[0] === 'set-cookie') values.push(e[1]);
      return values;
    }
    has(name) { const n = headerName(name); return this.#list.some((e) => e[0] === n); }
    delete(name) { const n = headerName(name); this.#list = this.#list.filter((e) => e[0] !== n); }
    forEach(callback, thisArg) {
      if (typeof callback !== 'function') throw new TypeErrorCtor('Headers.forEach: the callback must be a function');
      for (const [k, v] of this.entries()) apply(callback, thisArg, [v, k, this]);
    }
    *entries() {
      const names = [...new Set(this.#list.map((e) => e[0]))].sort();
      for (const n of names) {
        if (n === 'set-cookie') { for (const v of this.getSetCookie()) yield [n, v]; }
        else yield [n, this.get(n)];
      }
    }
    *keys() { for (const [k] of this.entries()) yield k; }
    *values() { for (const [, v] of this.entries()) yield v; }
    [Symbol.iterator]() { return this.entries(); }
  }
  tag(Headers.prototype, 'Headers');

  // Body: the bytes (or null) and whether they were read. Shared by Request and Response.
  const BODY = new WeakMap();
  function extractBody(body) {
    if (body === undefined || body === null) return { bytes: null, type: null };
    if (typeof body === 'string') return { bytes: utf8Encode(body), type: 'text/plain;charset=UTF-8' };
    if (body instanceof URLSearchParams) return { bytes: utf8Encode(StringCtor(body)), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
    if (body instanceof ArrayBufferCtor || isView(body) || (SharedArrayBufferCtor && body instanceof SharedArrayBufferCtor)) return { bytes: bytesOf(body, 'body').slice(), type: null };
    throw new TypeErrorCtor('body: only a string, URLSearchParams, an ArrayBuffer or a typed array can be a body inside a hotmod module (no Blob, FormData or ReadableStream)');
  }
  function take(owner) {
    const state = BODY.get(owner);
    if (state === undefined) return PromiseCtor.reject(new TypeErrorCtor('Illegal invocation'));
    if (state.used) return PromiseCtor.reject(new TypeErrorCtor('Body has already been consumed'));
    state.used = true;
    return PromiseCtor.resolve(state.bytes === null ? new Uint8ArrayCtor(0) : state.bytes);
  }
  const decoder = () => new TextDecoder();
  const bodyMethods = {
    get bodyUsed() { const s = BODY.get(this); return s !== undefined && s.used; },
    text() { return apply(promiseThen, take(this), [(b) => decoder().decode(b)]); },
    json() { return apply(promiseThen, take(this), [(b) => parseJson(decoder().decode(b))]); },
    arrayBuffer() { return apply(promiseThen, take(this), [(b) => b.slice().buffer]); },
    bytes() { return apply(promiseThen, take(this), [(b) => b.slice()]); },
  };
  function mixBody(proto) {
    const keys = ownKeys(bodyMethods);
    for (let i = 0; i < keys.length; i++) {
      const d = Reflect.getOwnPropertyDescriptor(bodyMethods, keys[i]);
      d.enumerable = false;
      defineProperty(proto, keys[i], d);
    }
  }

  const METHODS = { DELETE: 1, GET: 1, HEAD: 1, OPTIONS: 1, POST: 1, PUT: 1, PATCH: 1 };
  const REDIRECT_MODES = { follow: 1, error: 1, manual: 1 };
  class Request {
    #method = 'GET'; #url; #headers; #redirect = 'follow'; #signal = null;
    constructor(input, init = {}) {
      if (init === null || (typeof init !== 'object' && init !== undefined)) throw new TypeErrorCtor('Request: init must be an object');
      init = init || {};
      let bytes = null;
      if (input instanceof Request) {
        this.#url = input.url; this.#method = input.method; this.#headers = new Headers(input.headers);
        this.#redirect = input.redirect; this.#signal = input.signal;
        const s = BODY.get(input);
        if (s.used) throw new TypeErrorCtor('Request: the body of the input request has already been consumed');
        bytes = s.bytes;
      } else {
        let url;
        try { url = new URL(StringCtor(input)); } catch (error) { throw new TypeErrorCtor('Request: ' + StringCtor(input) + ' is not an absolute URL (there is no base URL inside a module)'); }
        if (url.username !== '' || url.password !== '') throw new TypeErrorCtor('Request: the URL may not include credentials');
        this.#url = url.href;
        this.#headers = new Headers();
      }
      if (init.method !== undefined) {
        const m = StringCtor(init.method);
        if (!HEADER_NAME.test(m)) throw new TypeErrorCtor("Request: '" + m + "' is not a valid method");
        const upper = apply(String.prototype.toUpperCase, m, []);
        if (upper === 'CONNECT' || upper === 'TRACE' || upper === 'TRACK') throw new TypeErrorCtor("Request: the method '" + m + "' is forbidden");
        this.#method = METHODS[upper] === 1 ? upper : m;
      }
      if (init.headers !== undefined) this.#headers = new Headers(init.headers);
      if (init.redirect !== undefined) {
        if (REDIRECT_MODES[init.redirect] !== 1) throw new TypeErrorCtor("Request: redirect must be 'follow', 'error' or 'manual'");
        this.#redirect = init.redirect;
      }
      if (init.signal !== undefined) {
        if (init.signal !== null && !(init.signal instanceof AbortSignal)) throw new TypeErrorCtor('Request: signal must be an AbortSignal');
        this.#signal = init.signal;
      }
      if (init.body !== undefined) {
        const body = extractBody(init.body);
        bytes = body.bytes;
        if (body.type !== null && !this.#headers.has('content-type')) this.#headers.set('content-type', body.type);
      }
      if (bytes !== null && (this.#method === 'GET' || this.#method === 'HEAD')) throw new TypeErrorCtor('Request: a ' + this.#method + ' request cannot have a body');
      BODY.set(this, { bytes, used: false });
    }
    get method() { return this.#method; }
    get url() { return this.#url; }
    get headers() { return this.#headers; }
    get redirect() { return this.#redirect; }
    get signal() { return this.#signal; }
    clone() {
      if (this.bodyUsed) throw new TypeErrorCtor('Request.clone: the body has already been consumed');
      return new Request(this);
    }
  }
  mixBody(Request.prototype);
  tag(Request.prototype, 'Request');

  let makeResponse;
  class Response {
    #status = 200; #statusText = ''; #headers; #url = ''; #redirected = false; #type = 'default';
    constructor(body = null, init = {}) {
      init = init || {};
      if (init.status !== undefined) {
        const status = +init.status;
        if (!(status >= 200 && status <= 599) || status !== Math.trunc(status)) throw new RangeErrorCtor('Response: status must be a whole number from 200 to 599, got ' + StringCtor(init.status));
        this.#status = status;
      }
      if (init.statusText !== undefined) this.#statusText = StringCtor(init.statusText);
      this.#headers = new Headers(init.headers);
      const extracted = extractBody(body);
      if (extracted.bytes !== null && (this.#status === 204 || this.#status === 205 || this.#status === 304)) throw new TypeErrorCtor('Response: a ' + this.#status + ' response cannot have a body');
      if (extracted.type !== null && !this.#headers.has('content-type')) this.#headers.set('content-type', extracted.type);
      BODY.set(this, { bytes: extracted.bytes, used: false });
    }
    get status() { return this.#status; }
    get ok() { return this.#status >= 200 && this.#status <= 299; }
    get statusText() { return this.#statusText; }
    get headers() { return this.#headers; }
    get url() { return this.#url; }
    get redirected() { return this.#redirected; }
    get type() { return this.#type; }
    clone() {
      const s = BODY.get(this);
      if (s.used) throw new TypeErrorCtor('Response.clone: the body has already been consumed');
      const copy = new Response(null, { headers: this.#headers });
      copy.#status = this.#status; copy.#statusText = this.#statusText; copy.#url = this.#url; copy.#redirected = this.#redirected; copy.#type = this.#type;
      BODY.set(copy, { bytes: s.bytes, used: false });
      return copy;
    }
    static json(data, init = {}) {
      const text = stringifyJson(data);
      if (text === undefined) throw new TypeErrorCtor('Response.json: the data is not JSON');
      const headers = new Headers(init && init.headers);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      return new Response(text, { ...init, headers });
    }
    static redirect(url, status = 302) {
      if (status !== 301 && status !== 302 && status !== 303 && status !== 307 && status !== 308) throw new RangeErrorCtor('Response.redirect: not a redirect status');
      return new Response(null, { status, headers: { location: new URL(StringCtor(url)).href } });
    }
    static error() {
      const r = new Response(null);
      r.#status = 0; r.#type = 'error';
      return r;
    }
    static {
      makeResponse = (wire) => {
        const r = new Response(null, { headers: wire.headers });
        r.#status = wire.status; r.#statusText = wire.statusText; r.#url = wire.url; r.#redirected = wire.redirected === true; r.#type = 'basic';
        BODY.set(r, { bytes: fromLatin1(wire.body), used: false });
        return r;
      };
    }
  }
  mixBody(Response.prototype);
  tag(Response.prototype, 'Response');

  function fetch(input, init) {
    return new PromiseCtor((resolve, reject) => {
      let request, text;
      try {
        request = new Request(input, init);
        const bytes = BODY.get(request).bytes;
        text = stringifyJson({ method: request.method, url: request.url, headers: [...request.headers], body: bytes === null ? undefined : latin1(bytes), redirect: request.redirect });
      } catch (error) { reject(error); return; }
      const signal = request.signal;
      if (signal !== null && signal.aborted) { reject(signal.reason); return; }
      let done = false;
      const onAbort = () => { if (!done) { done = true; reject(signal.reason); } };
      if (signal !== null) signal.addEventListener('abort', onAbort, { once: true });
      const finish = () => { done = true; if (signal !== null) signal.removeEventListener('abort', onAbort); };
      apply(promiseThen, rawFetch(text), [
        (wire) => { if (done) return; finish(); try { resolve(makeResponse(wire)); } catch (error) { reject(error); } },
        (error) => { if (done) return; finish(); reject(error); },
      ]);
    });
  }

  expose('Headers', Headers);
  expose('Request', Request);
  expose('Response', Response);
  function installFetch(primitive, granted) {
    rawFetch = typeof primitive === 'function' ? primitive : null;
    if (granted && rawFetch !== null) expose('fetch', fetch);
  }
