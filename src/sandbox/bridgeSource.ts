/**
 * The isolate side of the bridge, as source text. It runs once per isolate, before the
 * module, as the body of a function in the isolate's setup script (isolateSetup.ts,
 * compiled once per process and from its code cache in every isolate), with these arguments:
 *
 *   $0 host(op, a, b, c, d, e)  the one host callback (an ivm.Callback: a plain function
 *                               here, arguments and result copied); captured in this
 *                               closure only, never on a global
 *   $1 moduleId  $2 version  $3 log granted  $4 timers granted
 *   $5 maxPayloadLength  $6 maxTimers
 *   $7 a SharedArrayBuffer for results ('sync' execution), or null
 *   $8 the name of the export the host appends to the bundle (EVALUATED_EXPORT)
 *
 * It returns an object of entry functions (and `fetch`, the fetch primitive, which the
 * setup hands to the web globals and removes); the host takes a Reference to each entry and
 * drops the object. Module code can reach none of them: no global ever held a host callback.
 *
 * The protocol. Every call that settles while an entry runs becomes a record
 * `(callId, kind, payload)`, where kind is 'o' (payload: JSON text), 'u' (undefined), 'e'
 * (module error, JSON info) or 'E' (bridge error, JSON info with a code). With a shared
 * buffer ('sync' execution) records are written into it and the entry returns nothing:
 * copying a primitive out is ~2 µs cheaper than copying an array out, which is most of the
 * per-call budget. A record that does not fit goes to the overflow array, flagged in the
 * header, and the host fetches it with `drain`. Without a shared buffer ('async'
 * execution, where the host reads results after other entries may have run) every entry
 * returns its records as a flat array `[callId, kind, payload, …]`.
 *
 * The shared buffer's layout and writer are in sharedCodec.ts. isolated-vm runs V8's
 * microtask checkpoint when the outermost call returns, inside the entry's timeout and
 * before the result is copied out, so a method that settles within its own microtasks lands in the outbox of the very
 * entry that started it: one synchronous round trip, no second crossing. A method that
 * really waits (a host timer, another module) lands in the outbox of the entry that wakes
 * it (fireTimer, settleOut).
 *
 * Values cross as JSON text produced here, inside the timeout: getters, Proxies, toJSON
 * and cycles are dealt with by JSON.stringify under the time limit, and the host only ever
 * parses a string. Built-ins are captured before the module runs so that a module patching
 * JSON or Promise.prototype.then cannot confuse its own bridge.
 */
import { INTERRUPTIBLE_BUILTINS_SOURCE } from './interruptibleBuiltins.js';
import { SHARED_WRITER_SOURCE } from './sharedCodec.js';

export const BRIDGE_FILENAME = 'hotmod:sandbox-bridge';

/**
 * Appended to every bundle as `export const <name> = true;` on a line of its own after the
 * module's code: reading it throws (temporal dead zone) while the module's top-level code
 * has not run to its end, which is how a top-level await still pending is detected.
 */
export const EVALUATED_EXPORT = '__hotmodEvaluated';
export const EVALUATED_SUFFIX = `\n;export const ${EVALUATED_EXPORT} = true;\n`;

export const BRIDGE_SOURCE = String.raw`
'use strict';
const host = $0;
const MODULE_ID = $1, VERSION = $2, CAN_LOG = $3, CAN_TIME = $4, MAX_PAYLOAD = $5, MAX_TIMERS = $6, EVALUATED_EXPORT = $8;
const shared = $7 ? new Uint16Array($7) : null;
let used = 0;
${SHARED_WRITER_SOURCE}
const stringify = JSON.stringify, parse = JSON.parse, apply = Reflect.apply;
const ErrorCtor = Error, TypeErrorCtor = TypeError, RangeErrorCtor = RangeError, PromiseCtor = Promise, ProxyCtor = Proxy;
const PromiseProto = Promise.prototype, promiseThen = Promise.prototype.then, promiseResolve = Promise.resolve, promiseReject = Promise.reject;
const create = Object.create, freeze = Object.freeze, isFrozen = Object.isFrozen, getPrototypeOf = Object.getPrototypeOf;
const ownKeys = Reflect.ownKeys, getOwnPropertyDescriptor = Reflect.getOwnPropertyDescriptor;
const ObjectProto = Object.prototype, isArray = Array.isArray, StringCtor = String, StringProto = String.prototype, stringSlice = String.prototype.slice;
const defineProperty = Reflect.defineProperty, globalObject = globalThis;
// The record writer's one prototype method, pinned before the module runs: a module cannot
// replace it (assigning throws in its strict-mode code), so the hot path needs no check.
if (shared !== null) defineProperty(StringProto, 'charCodeAt', { value: StringProto.charCodeAt, writable: false, enumerable: false, configurable: false });

// Array built-ins that V8 runs without interrupt checks, replaced by interruptible ones
// (interruptibleBuiltins.ts): the call's timeout stops them on a huge sparse array.
${INTERRUPTIBLE_BUILTINS_SOURCE}

let outbox = [];
let ns = null;
let methodList = [];                // method index -> { target, fn }; the order of activate's summary
let methodSlots = 1;                // the least power of two above the method count (the call key: see call)
let nextOut = 0;
const pendingOut = create(null);    // outgoing id -> { resolve, reject }
let nextTimer = 0, timerCount = 0;
const timers = create(null);        // timer id -> { fn, args }
let lastSettingsText = null, lastSettings = null, lastClientId = '';

// Starts an entry: returns what the entry returns (nothing with a shared buffer).
function begin() {
  if (shared === null) return (outbox = []);
  resetShared();
  return undefined;
}

// Module code may patch String.prototype.charCodeAt or put setters on Array.prototype's
// indices; the records must stay the bridge's own, so both paths avoid what it can reach.
// One descriptor without a prototype, reused: a module's Object.prototype.get/set cannot
// turn it into an accessor descriptor, and pushing allocates nothing.
const slot = create(null);
slot.writable = true; slot.enumerable = true; slot.configurable = true;
function push(id, kind, payload) {
  if (shared !== null && writeShared(id, kind, payload)) return;
  const box = outbox, n = box.length;
  slot.value = id; defineProperty(box, n, slot);
  slot.value = kind; defineProperty(box, n + 1, slot);
  slot.value = payload; defineProperty(box, n + 2, slot);
  slot.value = undefined;
}

function clip(text, max) {
  return text.length > max ? apply(stringSlice, text, [0, max]) + '…' : text;
}

function describe(value) {
  // Only primitives are turned into text: an object's toString is module code.
  const type = typeof value;
  if (value === null) return 'null';
  if (type === 'string') return clip(value, 2000);
  if (type === 'number' || type === 'boolean' || type === 'bigint' || type === 'undefined') return StringCtor(value);
  if (type === 'symbol') return 'a Symbol';
  if (type === 'function') return 'a function';
  return 'an object';
}

function errorInfo(error) {
  try {
    if (error !== null && typeof error === 'object') {
      const message = error.message, name = error.name, stack = error.stack, code = error.code;
      return stringify({
        thrown: 'object',
        name: typeof name === 'string' ? clip(name, 200) : undefined,
        message: typeof message === 'string' ? clip(message, 4000) : 'a non-Error object was thrown',
        stack: typeof stack === 'string' ? clip(stack, 8000) : undefined,
        code: typeof code === 'string' ? clip(code, 200) : typeof code === 'number' ? code : undefined,
      });
    }
    return stringify({ thrown: typeof error, message: 'a non-Error value was thrown: ' + describe(error) });
  } catch (inner) {
    return '{"thrown":"object","message":"an error whose properties could not be read was thrown"}';
  }
}

function bridgeError(code, message) {
  return stringify({ code, message });
}

function encode(id, value) {
  if (value === undefined) { push(id, 'u', ''); return; }
  let text;
  try {
    text = stringify(value);
  } catch (error) {
    push(id, 'E', bridgeError('E_SANDBOX_NOT_JSON', 'the result is not JSON: ' + describe(error && error.message)));
    return;
  }
  if (text === undefined) { push(id, 'u', ''); return; }
  if (text.length > MAX_PAYLOAD) {
    push(id, 'E', bridgeError('E_PAYLOAD_TOO_LARGE', 'the result is ' + text.length + ' characters of JSON, over the limit of ' + MAX_PAYLOAD));
    return;
  }
  push(id, 'o', text);
}

function fail(id, error) { push(id, 'e', errorInfo(error)); }

// Runs module code for call 'id'; the result (now or later) goes to the outbox.
function run(id, fn, target, args, onValue) {
  let result;
  try {
    result = apply(fn, target, args);
  } catch (error) {
    fail(id, error);
    return;
  }
  if (result !== null && (typeof result === 'object' || typeof result === 'function')) {
    let then;
    try { then = result.then; } catch (error) { fail(id, error); return; }
    if (typeof then === 'function') {
      let promise = result;
      // A native promise (what async methods return) needs no adoption step.
      if (getPrototypeOf(result) !== PromiseProto) {
        try { promise = apply(promiseResolve, PromiseCtor, [result]); } catch (error) { fail(id, error); return; }
      }
      apply(promiseThen, promise, [(value) => onValue(id, value), (error) => fail(id, error)]);
      return;
    }
  }
  onValue(id, result);
}

function deepFreeze(value) {
  if (value !== null && typeof value === 'object' && !isFrozen(value)) {
    freeze(value);
    const keys = ownKeys(value);
    for (let i = 0; i < keys.length; i++) deepFreeze(value[keys[i]]);
  }
  return value;
}

function capabilityProxy(callId, capability) {
  if (typeof capability !== 'string') throw new TypeErrorCtor('call.capability(name): name must be a string');
  const methods = create(null);
  return new ProxyCtor(create(null), {
    get(target, method) {
      if (typeof method !== 'string' || method === 'then') return undefined;
      return methods[method] || (methods[method] = (input) => outgoing(callId, capability, method, input));
    },
  });
}

function outgoing(callId, capability, method, input) {
  let text;
  try {
    text = input === undefined ? undefined : stringify(input);
  } catch (error) {
    return apply(promiseReject, PromiseCtor, [codedError('E_SANDBOX_NOT_JSON', "input of '" + capability + '.' + method + "' is not JSON: " + describe(error && error.message))]);
  }
  if (text !== undefined && text.length > MAX_PAYLOAD) {
    return apply(promiseReject, PromiseCtor, [codedError('E_PAYLOAD_TOO_LARGE', "input of '" + capability + '.' + method + "' is " + text.length + ' characters of JSON, over the limit of ' + MAX_PAYLOAD)]);
  }
  const outId = ++nextOut;
  return new PromiseCtor((resolve, reject) => {
    pendingOut[outId] = { resolve, reject };
    host('out', outId, callId, capability, method, text);
  });
}

function codedError(code, message, name) {
  const error = new ErrorCtor(message);
  if (typeof name === 'string') defineProperty(error, 'name', { __proto__: null, value: name, writable: true, configurable: true });
  error.code = code;
  return error;
}

function logger(level) {
  return function log(message, data) {
    let dataText;
    try { dataText = data === undefined ? undefined : stringify(data); } catch (error) { dataText = '"[data is not JSON]"'; }
    if (dataText !== undefined && dataText.length > MAX_PAYLOAD) dataText = '"[data over the payload limit]"';
    host('log', level, typeof message === 'string' ? clip(message, 8192) : describe(message), dataText);
  };
}

function makeContext(configText, previousText) {
  const ctx = {
    module: freeze({ id: MODULE_ID, version: VERSION }),
    config: configText === undefined ? undefined : parse(configText),
    previousState: previousText === undefined ? undefined : parse(previousText),
  };
  if (CAN_LOG) ctx.log = freeze({ info: logger('info'), warn: logger('warn'), error: logger('error') });
  return ctx;
}

let activeContext = null;

function collectTables(id, exported) {
  if (exported === null || typeof exported !== 'object' || isArray(exported)) {
    push(id, 'E', bridgeError('E_SANDBOX_ACTIVATE_INVALID', 'activate returned ' + (isArray(exported) ? 'an array' : describe(exported)) + ', not an object of capability objects'));
    return;
  }
  try {
    const next = [], summary = create(null);
    const capabilities = ownKeys(exported);
    for (let i = 0; i < capabilities.length; i++) {
      const name = capabilities[i];
      if (typeof name !== 'string') continue;
      const target = exported[name];
      if (target === null || typeof target !== 'object') {
        push(id, 'E', bridgeError('E_SANDBOX_ACTIVATE_INVALID', "activate returned " + describe(target) + " for capability '" + name + "', not an object of methods"));
        return;
      }
      const methods = create(null), names = [];
      for (let proto = target; proto !== null && proto !== ObjectProto; proto = getPrototypeOf(proto)) {
        const keys = ownKeys(proto);
        for (let k = 0; k < keys.length; k++) {
          const key = keys[k];
          if (typeof key !== 'string' || key === 'constructor' || methods[key] !== undefined) continue;
          const descriptor = getOwnPropertyDescriptor(proto, key);
          if (descriptor && typeof descriptor.value === 'function') {
            methods[key] = descriptor.value;
            names[names.length] = key;
            next[next.length] = { target, fn: descriptor.value };
          }
        }
      }
      summary[name] = names;
    }
    methodList = next;
    // The host computes the same from the summary (isolateSandbox.ts methodSlotsFor).
    methodSlots = 1;
    while (methodSlots <= next.length) methodSlots *= 2;
    push(id, 'o', stringify({ capabilities: summary, hasDeactivate: typeof ns.deactivate === 'function' }));
  } catch (error) {
    fail(id, error);
  }
}

if (CAN_TIME) {
  const setTimeout = function setTimeout(fn, ms, ...args) {
    if (typeof fn !== 'function') throw new TypeErrorCtor('setTimeout(fn, ms): fn must be a function');
    if (timerCount >= MAX_TIMERS) throw codedError('E_TOO_MANY_TIMERS', 'module ' + MODULE_ID + ' has ' + timerCount + ' pending timers, the limit is ' + MAX_TIMERS + '; clear timers you no longer need');
    const delay = +ms;
    const id = ++nextTimer;
    timers[id] = { fn, args };
    timerCount++;
    host('timer', id, delay === delay ? delay : 0);
    return id;
  };
  const clearTimeout = function clearTimeout(id) {
    if (typeof id === 'number' && timers[id] !== undefined) {
      delete timers[id];
      timerCount--;
      host('clear', id);
    }
  };
  defineProperty(globalObject, 'setTimeout', { value: setTimeout, writable: true, configurable: true });
  defineProperty(globalObject, 'clearTimeout', { value: clearTimeout, writable: true, configurable: true });
}

// fetch's one host primitive (permission "fetch"): the request as JSON text out, the
// response's JSON text back through settleOut. Returned with the entries and handed by the
// setup (isolateSetup.ts) to the web globals, which wrap it as fetch; never on a global.
// The host refuses it without the permission.
function hostFetch(requestText) {
  const outId = ++nextOut;
  return new PromiseCtor((resolve, reject) => {
    pendingOut[outId] = { resolve, reject };
    host('fetch', outId, requestText);
  });
}

return {
  fetch: hostFetch,
  install(namespace) {
    ns = namespace;
    // The host appends this export to the bundle: it is initialized only once the module's
    // top-level code (including any top-level await) has run to the end.
    let evaluated = true;
    try { void ns[EVALUATED_EXPORT]; } catch (error) { evaluated = false; }
    if (!evaluated) return stringify({ evaluated: false, hasActivate: false, hasDeactivate: false });
    return stringify({ evaluated: true, hasActivate: typeof ns.activate === 'function', hasDeactivate: typeof ns.deactivate === 'function' });
  },
  activate(id, configText, previousText) {
    const box = begin();
    let ctx;
    try { ctx = makeContext(configText, previousText); } catch (error) { fail(id, error); return box; }
    activeContext = ctx;
    run(id, ns.activate, ns, [ctx], collectTables);
    return box;
  },
  deactivate(id) {
    const box = begin();
    if (typeof ns.deactivate !== 'function') { push(id, 'u', ''); return box; }
    run(id, ns.deactivate, ns, [activeContext || makeContext(undefined, undefined)], encode);
    return box;
  },
  // key: the call's id times methodSlots plus the method's position in activate's summary
  // (the host maps names to it): one argument fewer to copy on the hot path.
  // clientId and settingsText are undefined (not sent) when unchanged since the previous call.
  call(key, inputText, requestId, clientId, settingsText) {
    const box = begin();
    const index = key % methodSlots, id = (key - index) / methodSlots;
    const entry = methodList[index];
    if (entry === undefined) {
      push(id, 'E', bridgeError('E_UNKNOWN_METHOD', 'no method at index ' + index));
      return box;
    }
    if (clientId !== undefined) lastClientId = clientId;
    let input, settings;
    try {
      if (settingsText !== undefined && settingsText !== lastSettingsText) { lastSettings = deepFreeze(parse(settingsText)); lastSettingsText = settingsText; }
      settings = lastSettings;
      input = inputText === undefined ? undefined : parse(inputText);
    } catch (error) { fail(id, error); return box; }
    const call = { clientId: lastClientId, requestId, settings, capability: (name) => capabilityProxy(id, name) };
    run(id, entry.fn, entry.target, [input, call], encode);
    return box;
  },
  settleOut(outId, ok, text) {
    const box = begin();
    const pending = pendingOut[outId];
    if (pending !== undefined) {
      delete pendingOut[outId];
      if (ok) {
        pending.resolve(text === undefined ? undefined : parse(text));
      } else {
        const info = parse(text);
        pending.reject(codedError(info.code, info.message, info.name));
      }
    }
    return box;
  },
  fireTimer(timerId) {
    const box = begin();
    const timer = timers[timerId];
    if (timer !== undefined) {
      delete timers[timerId];
      timerCount--;
      run(0, timer.fn, undefined, timer.args, ignoreValue);
    }
    return box;
  },
  // Hands over what settled during an entry that then threw (a timeout, an unhandled rejection).
  drain() {
    const box = outbox;
    outbox = [];
    return box;
  },
};

function ignoreValue() {}
`;
