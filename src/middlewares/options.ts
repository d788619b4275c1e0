/** Option checks shared by the middlewares: Middy-style validation at creation time, errors that name the field. */
import { BreakwaterConfigError } from '../core/errors.js'

/** Throws when `options` has a key not in `allowed` (a typo must not silently fall back to a default). */
export function rejectUnknownKeys(source: string, options: object | undefined, allowed: readonly string[], prefix = ''): void {
  if (options === undefined) return
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new BreakwaterConfigError(source, prefix || 'options', 'must be an object')
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new BreakwaterConfigError(source, prefix ? `${prefix}.${key}` : key, `is not an option (known: ${allowed.join(', ')})`)
  }
}

/** Options as given (`undefined` → `{}`); anything but a plain object is a config error, not a TypeError later. */
export function optionsObject<T extends object>(source: string, options: T | undefined | null, field = 'options'): T {
  if (options === undefined) return {} as T
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new BreakwaterConfigError(source, field, 'must be an object')
  }
  return options
}

/**
 * Runs `create` and, if it throws a config error about a field outside `group`, re-throws it with the field
 * under `group`, so the preset names `backoff.retryBudget.ratio` rather than `retryBudget.ratio`.
 */
export function withinGroup<T>(group: string, create: () => T): T {
  try {
    return create()
  } catch (error) {
    if (!(error instanceof BreakwaterConfigError) || error.field === group || error.field.startsWith(`${group}.`)) throw error
    throw new BreakwaterConfigError(error.source, `${group}.${error.field}`, error.problem, error)
  }
}

/** Throws unless `value` is undefined or an object having the named methods (duck-typed Logger, Metrics, store). */
export function expectMethods(source: string, field: string, value: unknown, methods: readonly string[]): void {
  if (value === undefined) return
  const ok = typeof value === 'object' && value !== null && methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function')
  if (!ok) throw new BreakwaterConfigError(source, field, `must be an object with ${methods.join(', ')}()`)
}

/** Throws unless `value` is undefined, true or false. */
export function expectBoolean(source: string, field: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') throw new BreakwaterConfigError(source, field, 'must be true or false')
}
