/** A response body already in JSON form; the route binding sends its text as-is. */
export class SerializedJson<T> {
  declare readonly valueType: T;
  constructor(readonly text: string) {}
}

const serializations = new WeakMap<object, SerializedJson<unknown>>();

/**
 * Serialises a frozen value once and reuses the text for as long as the value lives. Cached query
 * results are frozen and shared until the database changes, and turning them into JSON on every
 * request would cost more than everything else the request does.
 */
export function serializeFrozen<T extends object>(value: T): SerializedJson<T> {
  if (!Object.isFrozen(value))
    throw new TypeError("serializeFrozen needs a frozen value: a mutable one could change after caching");
  let serialized = serializations.get(value);
  if (!serialized) {
    serialized = new SerializedJson<T>(JSON.stringify(value));
    serializations.set(value, serialized);
  }
  return serialized as SerializedJson<T>;
}
