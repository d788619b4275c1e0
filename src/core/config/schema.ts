/**
 * Option schemas as data: what each option group accepts, described once and checked by one walker (parse.ts), the
 * way Middy's `validateOptions` and ajv describe options instead of a hand-written throw per field. A tiny checker
 * of our own rather than ajv at runtime: it is a few hundred lines, loads in no time, and speaks our errors
 * (`BreakwaterConfigError` naming `breaker.dynamodb.flushMs`) without translating ajv's.
 */

/** A cross-field problem found by a `refine`: `at` is relative to the value refined (`minSamples`, `[2].route`). */
export interface Issue {
  readonly at?: string
  readonly problem: string
  /** The Breakwater part to name as the error's source, when not the one whose schema holds the refine. */
  readonly source?: string
}

/** A rule over a whole (already checked) value; returns the first problem, or undefined. */
export type Refine<T> = (value: T) => Issue | undefined

interface Base {
  /** The Breakwater part whose options these are, named as the source of errors inside. Default: the parent's. */
  readonly source?: string
  /** What a valid value is, as a rejection says it (`must be …`). Default: said from the rule. */
  readonly must?: string
  /** Why, appended to the rejection: `must be at most 60000 (got 90000): a larger reserve is …`. */
  readonly why?: string
  /** As a field: absent (or undefined) is a problem, said this way. Fields are optional otherwise. */
  readonly required?: string
  /** As a field: given but `undefined` is a problem, said this way (an environment variable that is not set). */
  readonly defined?: string
}

/** A finite number; `above` is an exclusive lower bound, `step` a required multiple. */
export interface NumberSchema extends Base {
  readonly kind: 'number'
  readonly min?: number
  readonly above?: number
  readonly max?: number
  readonly integer?: boolean
  readonly step?: number
  readonly unit?: string
}
/** A string; `minLength` counts what is left after trimming white space. */
export interface StringSchema extends Base { readonly kind: 'string'; readonly minLength?: number; readonly pattern?: RegExp }
export interface BooleanSchema extends Base { readonly kind: 'boolean' }
export interface LiteralSchema extends Base { readonly kind: 'literal'; readonly values: readonly (string | number | boolean)[] }
export interface FuncSchema extends Base { readonly kind: 'func'; readonly signature?: string }
/** A duck-typed collaborator (Logger, Metrics, clock, store): an object whose named members are functions. */
export interface MethodsSchema extends Base { readonly kind: 'methods'; readonly names: readonly string[] }
/** Any plain object, passed through unread (an SDK client config). */
export interface DictSchema extends Base { readonly kind: 'dict' }
export type Fields = Readonly<Record<string, Schema>>

/**
 * Fields at the root of a middleware's own options are named as the preset names them (`breaker.cooldownMs`),
 * except the shared ones the preset takes at its top level (`logger`). Cross-field problems are always prefixed.
 */
export interface RootNaming { readonly prefix: string; readonly except?: readonly string[] }

/** Known keys only, at every depth; own enumerable properties only. */
export interface ObjectSchema<F extends Fields = Fields> extends Base {
  readonly kind: 'object'
  readonly fields: F
  /** Says whose options an unknown key is not: `is not a breaker option (known: …)`. */
  readonly label?: string
  readonly root?: RootNaming
  readonly refine?: readonly Refine<never>[]
}
/** `flat`: a problem with an item names the list (a list of plain values reads as one value: `probeStages`). */
export interface ListSchema extends Base {
  readonly kind: 'list'
  readonly of: Schema
  readonly minLength?: number
  readonly flat?: boolean
  readonly refine?: readonly Refine<never>[]
}
/** An object of named entries of one kind (`routes`). */
export interface RecordSchema extends Base {
  readonly kind: 'record'
  readonly of: Schema
  readonly minKeys?: number
  readonly refine?: readonly Refine<never>[]
}
/** The first option whose kind fits the value (a list, an object, a string…) checks it. */
export interface OneOfSchema extends Base { readonly kind: 'oneOf'; readonly options: readonly Schema[] }
/** An object with exactly one of these keys (a rule predicate: `{ has: 'images' }`). */
export interface OneKeySchema extends Base { readonly kind: 'oneKey'; readonly fields: Fields }
/** Checked as `from`, turned into something else by `to`, then checked as `then` (`'model@region'` → a target). */
export interface ConvertSchema extends Base {
  readonly kind: 'convert'
  readonly from: Schema
  readonly to: (value: never) => unknown
  readonly then: Schema
}
/** A key that is known, and always wrong here: `dynamodb.tableName` belongs on breaker itself. */
export interface NeverSchema extends Base { readonly kind: 'never'; readonly problem: string }

export type Schema =
  | NumberSchema | StringSchema | BooleanSchema | LiteralSchema | FuncSchema | MethodsSchema | DictSchema
  | ObjectSchema | ListSchema | RecordSchema | OneOfSchema | OneKeySchema | ConvertSchema | NeverSchema

type Options<S extends Schema> = Omit<S, 'kind'>

export const number = (rule: Options<NumberSchema> = {}): NumberSchema => ({ kind: 'number', ...rule })
export const string = (rule: Options<StringSchema> = {}): StringSchema => ({ kind: 'string', ...rule })
export const boolean = (rule: Options<BooleanSchema> = {}): BooleanSchema => ({ kind: 'boolean', ...rule })
export const literal = (...values: LiteralSchema['values']): LiteralSchema => ({ kind: 'literal', values })
export const func = (signature?: string, rule: Omit<Options<FuncSchema>, 'signature'> = {}): FuncSchema =>
  signature === undefined ? { kind: 'func', ...rule } : { kind: 'func', signature, ...rule }
export const methods = (names: readonly string[], rule: Omit<Options<MethodsSchema>, 'names'> = {}): MethodsSchema =>
  ({ kind: 'methods', names, ...rule })
export const dict = (rule: Options<DictSchema> = {}): DictSchema => ({ kind: 'dict', ...rule })
export const object = <F extends Fields>(fields: F, rule: Omit<Options<ObjectSchema>, 'fields'> = {}): ObjectSchema<F> =>
  ({ kind: 'object', fields, ...rule })
export const list = (of: Schema, rule: Omit<Options<ListSchema>, 'of'> = {}): ListSchema => ({ kind: 'list', of, ...rule })
export const record = (of: Schema, rule: Omit<Options<RecordSchema>, 'of'> = {}): RecordSchema => ({ kind: 'record', of, ...rule })
export const oneOf = (options: readonly Schema[], rule: Omit<Options<OneOfSchema>, 'options'> = {}): OneOfSchema =>
  ({ kind: 'oneOf', options, ...rule })
export const oneKey = (fields: Fields, rule: Omit<Options<OneKeySchema>, 'fields'> = {}): OneKeySchema =>
  ({ kind: 'oneKey', fields, ...rule })
export const convert = <A, B>(from: Schema, to: (value: A) => B, then: Schema): ConvertSchema =>
  ({ kind: 'convert', from, to: to as (value: never) => unknown, then })
export const never = (problem: string): NeverSchema => ({ kind: 'never', problem })

/** `schema` as a field that must be given. */
export const required = <S extends Schema>(schema: S, problem = 'is required'): S => ({ ...schema, required: problem })
/** `schema` as a field that, when given, must not be `undefined`. */
export const defined = <S extends Schema>(schema: S, problem: string): S => ({ ...schema, defined: problem })

/** The same fields, reported under `source` (the preset's router fields are the router's). */
export function withSource<F extends Fields>(source: string, fields: F): F {
  const out: Record<string, Schema> = {}
  for (const [key, schema] of Object.entries(fields)) out[key] = { source, ...schema }
  return out as F
}
