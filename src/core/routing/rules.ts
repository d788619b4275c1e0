/**
 * Routing rules: an ordered list, first match wins, else the default route. Checked at init so a rule naming a
 * route that does not exist, or a predicate with a typo, fails when the function starts, not on some request.
 */
import { show } from '../show.js'
import { BreakwaterConfigError } from '../errors.js'
import { holds, INPUT_KINDS, PREDICATE_KINDS, type Predicate, type PredicateKind, type RouteContext } from './predicates.js'

/**
 * One rule: when every predicate holds, the request takes `route`.
 * @example { route: 'small', when: { inputTokens: { max: 500 } } }
 * @example { route: 'vision', when: [{ has: 'images' }, { tier: 'pro' }] }
 */
export interface Rule {
  /** A key of the router's `routes`. */
  readonly route: string
  /** One predicate, or a list that must all hold. */
  readonly when: Predicate | readonly Predicate[]
}

/** A checked rule. `needsInput`: it cannot match until the Converse input is known. */
export interface CompiledRule {
  readonly route: string
  readonly when: readonly Predicate[]
  readonly needsInput: boolean
}

const HAS = ['tools', 'images', 'documents']

export function compileRules(rules: unknown, routeNames: readonly string[], source: string): readonly CompiledRule[] {
  if (rules === undefined) return []
  if (!Array.isArray(rules)) throw new BreakwaterConfigError(source, 'rules', 'must be a list of { route, when }')
  return Object.freeze(rules.map((rule: unknown, i) => compileRule(rule, `rules[${i}]`, routeNames, source)))
}

function compileRule(rule: unknown, field: string, routeNames: readonly string[], source: string): CompiledRule {
  if (typeof rule !== 'object' || rule === null) throw new BreakwaterConfigError(source, field, 'must be { route, when }')
  const { route, when, ...rest } = rule as { route?: unknown; when?: unknown }
  const extra = Object.keys(rest)[0]
  if (extra !== undefined) throw new BreakwaterConfigError(source, `${field}.${extra}`, 'is not a rule option (known: route, when)')
  if (typeof route !== 'string' || !routeNames.includes(route)) {
    throw new BreakwaterConfigError(source, `${field}.route`, `names no configured route (got ${show(route)}; have: ${routeNames.join(', ')})`)
  }
  const list = Array.isArray(when) ? when : [when]
  if (list.length === 0) throw new BreakwaterConfigError(source, `${field}.when`, 'must hold at least one predicate')
  const predicates = list.map((p: unknown, j) => checkPredicate(p, Array.isArray(when) ? `${field}.when[${j}]` : `${field}.when`, source))
  const needsInput = predicates.some((p) => INPUT_KINDS.has(kindOf(p)))
  return Object.freeze({ route, when: Object.freeze(predicates), needsInput })
}

const kindOf = (p: Predicate): PredicateKind => Object.keys(p)[0] as PredicateKind

function checkPredicate(p: unknown, field: string, source: string): Predicate {
  const keys = typeof p === 'object' && p !== null ? Object.keys(p) : []
  const kind = keys[0] as PredicateKind | undefined
  if (keys.length !== 1 || !PREDICATE_KINDS.includes(kind as PredicateKind)) {
    throw new BreakwaterConfigError(source, field, `must be one of { ${PREDICATE_KINDS.join(' | ')} } (got ${keys.length === 0 ? show(p) : `{ ${keys.join(', ')} }`})`)
  }
  const value = (p as Record<string, unknown>)[kind as string]
  const at = `${field}.${kind as string}`
  switch (kind) {
    case 'inputTokens':
    case 'messages':
      checkRange(value, at, source)
      break
    case 'has':
      if (!HAS.includes(value as string)) throw new BreakwaterConfigError(source, at, `must be one of ${HAS.map((h) => `'${h}'`).join(', ')}`)
      break
    case 'tier': {
      const tiers = Array.isArray(value) ? value : [value]
      if (tiers.length === 0 || !tiers.every((t) => typeof t === 'string' && t !== '')) throw new BreakwaterConfigError(source, at, 'must be a tier name or a non-empty list of them')
      break
    }
    case 'custom':
      if (typeof value !== 'function') throw new BreakwaterConfigError(source, at, 'must be a function (ctx) => boolean')
  }
  return p as Predicate
}

function checkRange(value: unknown, field: string, source: string): void {
  if (typeof value !== 'object' || value === null) throw new BreakwaterConfigError(source, field, 'must be { min?, max? }')
  const { min, max, ...rest } = value as { min?: unknown; max?: unknown }
  const extra = Object.keys(rest)[0]
  if (extra !== undefined) throw new BreakwaterConfigError(source, `${field}.${extra}`, 'is not a range option (known: min, max)')
  for (const [name, n] of [['min', min], ['max', max]] as const) {
    if (n !== undefined && !(typeof n === 'number' && Number.isFinite(n) && n >= 0)) throw new BreakwaterConfigError(source, `${field}.${name}`, 'must be a number ≥ 0')
  }
  if (min === undefined && max === undefined) throw new BreakwaterConfigError(source, field, 'must set min, max or both')
  if (typeof min === 'number' && typeof max === 'number' && min > max) throw new BreakwaterConfigError(source, field, `has min ${min} > max ${max}`)
}

/** The route of the first rule whose predicates all hold, or undefined. */
export function firstMatch(rules: readonly CompiledRule[], ctx: RouteContext): string | undefined {
  for (const rule of rules) {
    if (rule.needsInput && ctx.input === undefined) continue
    if (rule.when.every((p) => holds(p, ctx))) return rule.route
  }
  return undefined
}
