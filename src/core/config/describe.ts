/**
 * What a schema accepts, said in words for a rejection: `must be an integer from 0 to 20`, `must be a number in
 * (0, 1]`, `must be an object with now(), sleep()`. A schema's own `must` wins; these are the defaults.
 */
import { show } from '../show.js'
import type { NumberSchema, Schema } from './schema.js'

export function mustOf(schema: Schema): string {
  return schema.must ?? defaultMust(schema)
}

function defaultMust(s: Schema): string {
  switch (s.kind) {
    case 'number': return `must be ${numberRule(s)}`
    case 'string': return s.pattern ? `must match ${String(s.pattern)}` : s.minLength ? 'must be a non-empty string' : 'must be a string'
    case 'boolean': return 'must be true or false'
    case 'literal': return `must be ${orList(s.values.map((v) => show(v)))}`
    case 'func': return `must be a function${s.signature ? ` ${s.signature}` : ''}`
    case 'methods': return `must be an object with ${s.names.map((n) => `${n}()`).join(', ')}`
    case 'object': case 'dict': case 'record': case 'oneKey': return 'must be an object'
    case 'list': return s.minLength ? 'must be a non-empty list' : 'must be a list'
    case 'oneOf': return `must be ${orList(s.options.map((o) => mustOf(o).replace(/^must be /, '')))}`
    case 'convert': return mustOf(s.from)
    case 'never': return s.problem
  }
}

/** `a finite number of ms >= 0`, `an integer from 1 to 5`, `a number in (0, 1]`. */
export function numberRule(s: NumberSchema): string {
  const bounded = s.max !== undefined
  const noun = s.integer
    ? (s.unit ? `a whole number of ${s.unit}` : 'an integer')
    : `${bounded ? 'a number' : 'a finite number'}${s.unit ? ` of ${s.unit}` : ''}`
  return `${noun}${range(s)}${s.step !== undefined ? ` (a multiple of ${s.step})` : ''}`
}

function range(s: NumberSchema): string {
  const { min, above, max } = s
  if (above !== undefined) return max !== undefined ? ` in (${above}, ${max}]` : ` > ${above}`
  if (min !== undefined) return max !== undefined ? ` from ${min} to ${max}` : ` >= ${min}`
  return max !== undefined ? ` <= ${max}` : ''
}

const orList = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? 'nothing') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1] as string}`
