// Plans and alert labels are plain objects, so `record[key]` with a key from a request finds what
// every object inherits ("constructor", "toString", …). Every lookup whose key comes from input goes
// through here. Pure: safe in workflows.

/** The value stored under `key` on the record itself; undefined for a missing or inherited key. */
export function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
