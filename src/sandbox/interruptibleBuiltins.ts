/**
 * Array built-ins in JavaScript, as bridge source (interpolated into bridgeSource.ts).
 *
 * V8's own fill, indexOf, lastIndexOf, includes, reverse, copyWithin, join and sort walk a
 * huge sparse array (`new Array(2**32 - 1)`) in C++ without ever checking for interrupts:
 * neither isolated-vm's timeout nor any other TerminateExecution can stop them, so one call
 * ran for seconds to minutes and, entered with applySync, held the host's event loop all
 * that time (indexOf: 79 s measured). The same loops written in JavaScript are
 * interruptible at every iteration: the call's timeout stops them.
 *
 * A real array no longer than NATIVE_MAX goes to the built-in (fast, and its length is a
 * data property, so reading it twice is not observable); anything else takes the loop,
 * which follows the spec's steps. Shapes match the built-ins (name, length, not
 * constructible, non-enumerable). Typed arrays need no such care: their length is bounded
 * by the isolate's memory limit, so their built-ins finish within a bounded time.
 */

/** Longest real array handed to V8's built-in: at worst ~65k lookups, well under a millisecond. */
const NATIVE_MAX = 65536;

export const INTERRUPTIBLE_BUILTINS_SOURCE = `
{
  const trunc = Math.trunc, min = Math.min, max = Math.max, floor = Math.floor, ObjectCtor = Object;
  const ArrayProto = Array.prototype, deleteProperty = Reflect.deleteProperty;
  const native = { indexOf: ArrayProto.indexOf, lastIndexOf: ArrayProto.lastIndexOf, includes: ArrayProto.includes, reverse: ArrayProto.reverse, copyWithin: ArrayProto.copyWithin, join: ArrayProto.join, sort: ArrayProto.sort };
  const NATIVE_MAX = ${NATIVE_MAX};
  const toIntegerOrInfinity = (v) => { const n = +v; return n !== n ? 0 : trunc(n); };
  const toObject = (value, name) => {
    if (value === null || value === undefined) throw new TypeErrorCtor('Array.prototype.' + name + ' called on null or undefined');
    return ObjectCtor(value);
  };
  const lengthOf = (O) => min(max(toIntegerOrInfinity(O.length), 0), 9007199254740991);
  const small = (self, O) => isArray(self) && O.length <= NATIVE_MAX;
  const relative = (value, len) => { const n = toIntegerOrInfinity(value); return n < 0 ? max(len + n, 0) : min(n, len); };
  const deleteOrThrow = (O, k) => { if (!deleteProperty(O, k)) throw new TypeErrorCtor('Cannot delete property ' + k); };
  // Appends to the bridge's own array without reaching setters a module put on Array.prototype.
  const item = create(null);
  item.writable = true; item.enumerable = true; item.configurable = true;
  const append = (list, value) => { item.value = value; defineProperty(list, list.length, item); item.value = undefined; };

  const methods = {
    fill(value) {
      const O = toObject(this, 'fill');
      const len = lengthOf(O);
      let k = relative(arguments[1], len);
      const end = arguments[2] === undefined ? len : relative(arguments[2], len);
      for (; k < end; k++) O[k] = value;
      return O;
    },
    indexOf(searchElement) {
      const O = toObject(this, 'indexOf');
      if (small(this, O)) return apply(native.indexOf, O, arguments);
      const len = lengthOf(O);
      if (len === 0) return -1;
      const n = toIntegerOrInfinity(arguments[1]);
      if (n === Infinity) return -1;
      for (let k = n >= 0 ? n : max(len + n, 0); k < len; k++) if (k in O && O[k] === searchElement) return k;
      return -1;
    },
    lastIndexOf(searchElement) {
      const O = toObject(this, 'lastIndexOf');
      if (small(this, O)) return apply(native.lastIndexOf, O, arguments);
      const len = lengthOf(O);
      if (len === 0) return -1;
      const n = arguments.length > 1 ? toIntegerOrInfinity(arguments[1]) : len - 1;
      if (n === -Infinity) return -1;
      for (let k = n >= 0 ? min(n, len - 1) : len + n; k >= 0; k--) if (k in O && O[k] === searchElement) return k;
      return -1;
    },
    includes(searchElement) {
      const O = toObject(this, 'includes');
      if (small(this, O)) return apply(native.includes, O, arguments);
      const len = lengthOf(O);
      if (len === 0) return false;
      const n = toIntegerOrInfinity(arguments[1]);
      if (n === Infinity) return false;
      const nan = searchElement !== searchElement;
      for (let k = n >= 0 ? n : max(len + n, 0); k < len; k++) {
        const e = O[k];
        if (e === searchElement || (nan && e !== e)) return true;
      }
      return false;
    },
    reverse() {
      const O = toObject(this, 'reverse');
      if (small(this, O)) return apply(native.reverse, O, []);
      const len = lengthOf(O), middle = floor(len / 2);
      for (let lower = 0; lower !== middle; lower++) {
        const upper = len - lower - 1;
        const lowerExists = lower in O, lowerValue = lowerExists ? O[lower] : undefined;
        const upperExists = upper in O, upperValue = upperExists ? O[upper] : undefined;
        if (lowerExists && upperExists) { O[lower] = upperValue; O[upper] = lowerValue; }
        else if (upperExists) { O[lower] = upperValue; deleteOrThrow(O, upper); }
        else if (lowerExists) { deleteOrThrow(O, lower); O[upper] = lowerValue; }
      }
      return O;
    },
    copyWithin(target, start) {
      const O = toObject(this, 'copyWithin');
      if (small(this, O)) return apply(native.copyWithin, O, arguments);
      const len = lengthOf(O);
      let to = relative(target, len), from = relative(start, len);
      const final = arguments[2] === undefined ? len : relative(arguments[2], len);
      let count = min(final - from, len - to), direction = 1;
      if (from < to && to < from + count) { direction = -1; from += count - 1; to += count - 1; }
      for (; count > 0; count--, from += direction, to += direction) {
        if (from in O) O[to] = O[from];
        else deleteOrThrow(O, to);
      }
      return O;
    },
    join(separator) {
      const O = toObject(this, 'join');
      if (small(this, O)) return apply(native.join, O, arguments);
      const len = lengthOf(O);
      const sep = separator === undefined ? ',' : StringCtor(separator);
      let R = '';
      for (let k = 0; k < len; k++) {
        if (k > 0) R += sep;
        const e = O[k];
        if (e !== undefined && e !== null) R += StringCtor(e);
      }
      return R;
    },
    sort(comparefn) {
      if (comparefn !== undefined && typeof comparefn !== 'function') throw new TypeErrorCtor('The comparison function must be either a function or undefined');
      const O = toObject(this, 'sort');
      const args = comparefn === undefined ? [] : [comparefn];
      if (small(this, O)) return apply(native.sort, O, args);
      // The spec's steps: collect what is present, sort that (dense, bounded by memory), write back, delete the rest.
      const len = lengthOf(O), items = [];
      for (let k = 0; k < len; k++) if (k in O) append(items, O[k]);
      apply(native.sort, items, args);
      let j = 0;
      for (; j < items.length; j++) O[j] = items[j];
      for (; j < len; j++) deleteOrThrow(O, j);
      return O;
    },
  };
  const names = ownKeys(methods);
  for (let i = 0; i < names.length; i++) defineProperty(ArrayProto, names[i], { value: methods[names[i]], writable: true, enumerable: false, configurable: true });
}
`;
