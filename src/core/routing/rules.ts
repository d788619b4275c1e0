/**
 * Routing rules: an ordered list, first match wins, else the default route. Checked at init so a rule naming a
 * route that does not exist, or a predicate with a typo, fails when the function starts, not on some request.
 */
import { show } from '../show.js'
import { func, list, literal, number, object, oneKey, oneOf, parseValue, required, string, type Refine } from '../config/index.js'
import { holds, INPUT_KINDS, type Predicate, type PredicateKind, type Range, type RouteContext } from './predicates.js'

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

const RANGE = object({
  min: number({ min: 0, must: 'must be a number ≥ 0' }),
  max: number({ min: 0, must: 'must be a number ≥ 0' }),
}, {
  label: 'a range',
  must: 'must be { min?, max? }',
  refine: [
    (r: Range) => (r.min === undefined && r.max === undefined ? { problem: 'must set min, max or both' } : undefined),
    (r: Range) => (r.min !== undefined && r.max !== undefined && r.min > r.max
      ? { problem: `has min ${r.min} > max ${r.max}` }
      : undefined),
  ],
})

const TIER_MUST = 'must be a tier name or a non-empty list of them'
const TIER_NAME = string({ minLength: 1, must: TIER_MUST })

/** One predicate: exactly one of these keys. */
const PREDICATE = oneKey({
  inputTokens: RANGE,
  messages: RANGE,
  has: literal('tools', 'images', 'documents'),
  tier: oneOf([TIER_NAME, list(TIER_NAME, { minLength: 1, flat: true, must: TIER_MUST })], { must: TIER_MUST }),
  custom: func('(ctx) => boolean'),
}, { must: 'must be one of { inputTokens | messages | has | tier | custom }' })

const RULE = object({
  route: required(string({ minLength: 1, must: 'must be the name of a route' }), 'is required: the name of a route'),
  when: required(oneOf([list(PREDICATE, { minLength: 1, must: 'must hold at least one predicate' }), PREDICATE], {
    must: 'must be a predicate or a list of them',
  }), 'is required: a predicate or a list of them'),
}, { label: 'a rule', must: 'must be { route, when }' })

/** The router's `rules`: their shape. Which routes they may name is {@link rulesNaming}'s. */
export const RULES = list(RULE, { must: 'must be a list of { route, when }' })

/** Every rule names one of `routeNames`; the problem is at `[i].route`. */
export const rulesNaming = (routeNames: readonly string[]): Refine<readonly Rule[]> => (rules) => {
  const i = rules.findIndex((r) => !routeNames.includes(r.route))
  if (i < 0) return undefined
  return { at: `[${i}].route`, problem: `names no configured route (got ${show(rules[i]?.route)}; have: ${routeNames.join(', ')})` }
}

/** Checks `rules` (each naming one of `routeNames`) and compiles them. */
export function compileRules(rules: unknown, routeNames: readonly string[], source: string): readonly CompiledRule[] {
  if (rules === undefined) return []
  const checked = parseValue({ ...RULES, refine: [rulesNaming(routeNames)] }, rules, source, 'rules') as readonly Rule[]
  return Object.freeze(checked.map((rule) => {
    const when = Object.freeze(Array.isArray(rule.when) ? [...(rule.when as readonly Predicate[])] : [rule.when as Predicate])
    return Object.freeze({ route: rule.route, when, needsInput: when.some((p) => INPUT_KINDS.has(kindOf(p))) })
  }))
}

const kindOf = (p: Predicate): PredicateKind => Object.keys(p)[0] as PredicateKind

/** The route of the first rule whose predicates all hold, or undefined. */
export function firstMatch(rules: readonly CompiledRule[], ctx: RouteContext): string | undefined {
  for (const rule of rules) {
    if (rule.needsInput && ctx.input === undefined) continue
    if (rule.when.every((p) => holds(p, ctx))) return rule.route
  }
  return undefined
}
