/**
 * The one walker every option schema is checked by. It goes down a value with the path of where it is and throws
 * `BreakwaterConfigError(source, 'breaker.dynamodb.refreshMs', problem)` on the first problem; nothing else escapes
 * (BigInt, Symbol, revoked proxies and throwing getters included). What it returns is a fresh copy of what it
 * checked: own enumerable keys only, `undefined` values dropped (so defaults apply), inherited names never read.
 */
import { BreakwaterConfigError } from '../errors.js'
import { show } from '../show.js'
import { define, isArray, isObject, keysOf, readOwn, safeRead, UNREADABLE } from './access.js'
import { mustOf } from './describe.js'
import type { Fields, Issue, ListSchema, NumberSchema, ObjectSchema, OneKeySchema, RecordSchema, Refine, Schema } from './schema.js'

/**
 * Checks options against an object schema: `undefined` stands for no options. `at` is where the options sit
 * (`''` = they are the whole options, named `options` if they are not an object at all). `source` names the
 * errors' source where the schema names none (a schema's own `source`, and its groups', win).
 * @throws BreakwaterConfigError naming the first offending field.
 */
export function parseOptions<T extends object>(schema: ObjectSchema, options: T | null | undefined, source?: string, at = ''): T {
  return walk(schema, options === undefined ? {} : options, at, source ?? schema.source ?? 'breakwater') as T
}

/** Checks any value against any schema, at `at`. */
export function parseValue(schema: Schema, value: unknown, source: string, at: string): unknown {
  return walk(schema, value, at, source)
}

function walk(s: Schema, v: unknown, at: string, parentSource: string): unknown {
  const source = s.source ?? parentSource
  switch (s.kind) {
    case 'object': return walkObject(s, v, at, source)
    case 'list': return walkList(s, v, at, source)
    case 'record': return walkRecord(s, v, at, source)
    case 'oneKey': return walkOneKey(s, v, at, source)
    case 'oneOf': {
      const option = s.options.find((o) => fits(o, v))
      if (option === undefined) throw reject(s, v, at, source)
      return walk(option, v, at, source)
    }
    case 'convert': return walk(s.then, s.to(walk(s.from, v, at, source) as never), at, source)
    case 'never': throw fail(source, at, s.problem)
    default:
      if (!leafAccepts(s, v)) throw reject(s, v, at, source)
      return v
  }
}

function leafAccepts(s: Schema, v: unknown): boolean {
  switch (s.kind) {
    case 'number': return numberAccepts(s, v)
    case 'string': return typeof v === 'string' && v.trim().length >= (s.minLength ?? 0) && (s.pattern?.test(v) ?? true)
    case 'boolean': return typeof v === 'boolean'
    case 'literal': return s.values.includes(v as never)
    case 'func': return typeof v === 'function'
    case 'methods': return isObject(v) && s.names.every((name) => typeof safeRead(v, name) === 'function')
    default: return isObject(v) // dict
  }
}

function numberAccepts(s: NumberSchema, v: unknown): boolean {
  if (typeof v !== 'number' || !Number.isFinite(v)) return false
  if (s.integer && !Number.isInteger(v)) return false
  if (s.step !== undefined && v % s.step !== 0) return false
  return !(s.min !== undefined && v < s.min) && !(s.above !== undefined && v <= s.above) && !(s.max !== undefined && v > s.max)
}

/** Does `v` have the kind `s` checks (a list, an object, a string…), right or wrong in detail? For oneOf. */
function fits(s: Schema, v: unknown): boolean {
  switch (s.kind) {
    case 'number': return typeof v === 'number'
    case 'string': return typeof v === 'string'
    case 'boolean': return typeof v === 'boolean'
    case 'literal': return s.values.includes(v as never)
    case 'func': return typeof v === 'function'
    case 'list': return isArray(v)
    case 'oneOf': return s.options.some((o) => fits(o, v))
    case 'convert': return fits(s.from, v)
    case 'never': return false
    default: return isObject(v)
  }
}

function walkObject(s: ObjectSchema, v: unknown, at: string, source: string): object {
  if (!isObject(v)) throw reject(s, v, at, source)
  const keys = ownKeys(s, v, at, source)
  for (const key of keys) {
    if (!Object.hasOwn(s.fields, key)) {
      throw fail(source, fieldName(s, at, key), `is not ${s.label ?? 'an'} option (known: ${knownKeys(s.fields).join(', ')})`)
    }
  }
  const given = new Set(keys)
  const out = {}
  for (const [key, field] of Object.entries(s.fields)) {
    const name = fieldName(s, at, key)
    const value = given.has(key) ? read(v, key, name, source) : undefined
    if (value !== undefined) define(out, key, walk(field, value, name, source))
    else if (given.has(key) && field.defined !== undefined) throw fail(field.source ?? source, name, field.defined)
    else if (field.required !== undefined) throw fail(field.source ?? source, name, field.required)
  }
  return refined(s.refine, out, (rel) => join(at, rel, (key) => child(at === '' && s.root ? s.root.prefix : at, key)), source)
}

function walkList(s: ListSchema, v: unknown, at: string, source: string): unknown[] {
  if (!isArray(v) || v.length < (s.minLength ?? 0)) throw reject(s, v, at, source)
  const out: unknown[] = []
  for (let i = 0; i < v.length; i++) {
    const item = read(v, i, `${at}[${i}]`, source)
    if (!s.flat) out.push(walk(s.of, item, `${at}[${i}]`, source))
    else if (passes(s.of, item, source)) out.push(item)
    else throw reject(s, v, at, source)
  }
  return refined(s.refine, out, (rel) => join(at, rel, (key) => child(at, key)), source)
}

/** For a flat list: does the item pass? (Its own error would name the item; a flat list names itself.) */
function passes(s: Schema, item: unknown, source: string): boolean {
  try {
    walk(s, item, '', source)
    return true
  } catch (error) {
    if (error instanceof BreakwaterConfigError) return false
    throw error
  }
}

function walkRecord(s: RecordSchema, v: unknown, at: string, source: string): object {
  if (!isObject(v)) throw reject(s, v, at, source)
  const keys = ownKeys(s, v, at, source)
  if (keys.length < (s.minKeys ?? 0)) throw reject(s, v, at, source)
  const out = {}
  for (const key of keys) define(out, key, walk(s.of, read(v, key, child(at, key), source), child(at, key), source))
  return refined(s.refine, out, (rel) => join(at, rel, (key) => child(at, key)), source)
}

function walkOneKey(s: OneKeySchema, v: unknown, at: string, source: string): object {
  if (!isObject(v)) throw reject(s, v, at, source)
  const keys = ownKeys(s, v, at, source)
  const key = keys[0]
  if (keys.length !== 1 || key === undefined || !Object.hasOwn(s.fields, key)) {
    throw reject(s, v, at, source, keys.length === 0 ? undefined : `{ ${keys.join(', ')} }`)
  }
  const out = {}
  define(out, key, walk(s.fields[key] as Schema, read(v, key, child(at, key), source), child(at, key), source))
  return out
}

function refined<T>(refines: readonly Refine<never>[] | undefined, value: T, name: (rel: string | undefined) => string, source: string): T {
  for (const refine of refines ?? []) {
    const issue: Issue | undefined = (refine as Refine<T>)(value)
    if (issue !== undefined) throw fail(issue.source ?? source, name(issue.at), issue.problem)
  }
  return value
}

/** The field a key of an object at `at` is named by: as the preset names it when these are a middleware's options. */
function fieldName(s: ObjectSchema, at: string, key: string): string {
  if (at !== '' || s.root === undefined || s.root.except?.includes(key)) return child(at, key)
  return child(s.root.prefix, key)
}

/** `at.key`; an empty key is written `""`, so it is never mistaken for the options themselves. */
const child = (at: string, key: string): string => {
  const name = key === '' ? '""' : key
  return at === '' ? name : `${at}.${name}`
}

/** `at` + a refine's relative path (`minSamples`, `dynamodb.flushMs`, `[2].route`); the first key named by `first`. */
function join(at: string, rel: string | undefined, first: (key: string) => string): string {
  if (rel === undefined || rel === '') return at
  if (rel.startsWith('[')) return `${at}${rel}`
  const key = /^[^.[]+/.exec(rel)?.[0] ?? rel
  return `${first(key)}${rel.slice(key.length)}`
}

const knownKeys = (fields: Fields): string[] => Object.keys(fields).filter((k) => fields[k]?.kind !== 'never')

function reject(s: Schema, v: unknown, at: string, source: string, got = show(v)): BreakwaterConfigError {
  return fail(source, at, `${mustOf(s)} (got ${got})${s.why ? `: ${s.why}` : ''}`)
}

function fail(source: string, at: string, problem: string): BreakwaterConfigError {
  return new BreakwaterConfigError(source, at === '' ? 'options' : at, problem)
}

function ownKeys(s: Schema, v: object, at: string, source: string): string[] {
  const keys = keysOf(v)
  if (keys === undefined) throw reject(s, v, at, source, 'an object whose keys cannot be read')
  return keys
}

function read(v: object, key: string | number, at: string, source: string): unknown {
  const value = readOwn(v, key)
  if (value === UNREADABLE) throw fail(source, at, 'cannot be read (its getter threw)')
  return value
}
