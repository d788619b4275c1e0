/**
 * Reading option values that may be anything: a revoked proxy throws on Array.isArray and Object.keys, a getter may
 * throw, `__proto__` must be written as data. None of it may escape the walker as a TypeError.
 */

/** A plain-ish object: not null, not an array, not a function. A revoked proxy is none of these. */
export function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !isArray(v)
}

export function isArray(v: unknown): v is unknown[] {
  try {
    return Array.isArray(v)
  } catch {
    return false
  }
}

/** Own enumerable string keys, or undefined when they cannot be read. */
export function keysOf(v: object): string[] | undefined {
  try {
    return Object.keys(v)
  } catch {
    return undefined
  }
}

/** What `readOwn` gives for a property whose getter threw. */
export const UNREADABLE: unique symbol = Symbol('unreadable')

export function readOwn(v: object, key: string | number): unknown {
  try {
    return (v as Record<string | number, unknown>)[key]
  } catch {
    return UNREADABLE
  }
}

/** A member (own or inherited: a Logger's methods live on its prototype), undefined when it cannot be read. */
export function safeRead(v: object, key: string): unknown {
  const value = readOwn(v, key)
  return value === UNREADABLE ? undefined : value
}

/** An own data property, even for a key like `__proto__` (which plain assignment would turn into a prototype). */
export function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}
