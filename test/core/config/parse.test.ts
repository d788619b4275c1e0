/**
 * The schema layer itself (src/core/config): each kind, the paths errors name, own properties only, values that
 * break naive message builders (BigInt, Symbol, revoked proxies, throwing getters), unknown keys at every depth,
 * root naming, sources, refines, and a property: whatever the value, only a BreakwaterConfigError escapes, and what
 * is accepted comes back as an equal copy that is accepted again.
 */
import fc from 'fast-check'
import {
  boolean, convert, defined, dict, func, list, literal, methods, never, number, object, oneKey, oneOf, parseOptions,
  parseValue, record, required, string, withSource, type Schema,
} from '../../../src/core/config/index.js'
import { BreakwaterConfigError } from '../../../src/core/errors.js'

/** The error `fn` throws, which must be a BreakwaterConfigError. */
function rejection(fn: () => unknown): BreakwaterConfigError {
  try {
    fn()
  } catch (error) {
    if (error instanceof BreakwaterConfigError) return error
    throw error
  }
  throw new Error('accepted')
}
const at = (schema: Schema, value: unknown, where = 'x'): string => rejection(() => parseValue(schema, value, 'test', where)).field
const problem = (schema: Schema, value: unknown): string => rejection(() => parseValue(schema, value, 'test', 'x')).problem
const ok = (schema: Schema, value: unknown): unknown => parseValue(schema, value, 'test', 'x')

describe('leaf kinds', () => {
  it('number: finite, in range, integer and step as asked, said in words with what was given', () => {
    const n = number({ min: 0, max: 10, integer: true })
    expect(ok(n, 0)).toBe(0)
    expect(ok(n, 10)).toBe(10)
    for (const bad of [-1, 11, 1.5, Number.NaN, Infinity, -Infinity, '5', 5n, null, true, [], {}]) expect(at(n, bad)).toBe('x')
    expect(problem(n, 11)).toBe('must be an integer from 0 to 10 (got 11)')
    expect(problem(number({ above: 0, max: 1 }), 0)).toBe('must be a number in (0, 1] (got 0)')
    expect(problem(number({ min: 0, unit: 'ms' }), Infinity)).toBe('must be a finite number of ms >= 0 (got Infinity)')
    expect(problem(number({ step: 1_000, integer: true, unit: 'ms', min: 1_000 }), 1_500))
      .toBe('must be a whole number of ms >= 1000 (a multiple of 1000) (got 1500)')
    expect(problem(number({ max: 5, why: 'five is plenty' }), 6)).toBe('must be a number <= 5 (got 6): five is plenty')
    expect(problem(number({ must: 'must be a percentage' }), 5n)).toBe('must be a percentage (got 5n)')
  })

  it('string, boolean, literal, func, methods, dict', () => {
    expect(at(string({ minLength: 3 }), '  ab  ')).toBe('x') // white space does not count
    expect(ok(string({ pattern: /^a+$/ }), 'aaa')).toBe('aaa')
    expect(at(string({ pattern: /^a+$/ }), 'ab')).toBe('x')
    expect(at(boolean(), 'true')).toBe('x')
    expect(ok(literal('user', 'session'), 'user')).toBe('user')
    expect(problem(literal('a', 'b', 'c'), 'd')).toBe('must be "a", "b" or "c" (got "d")')
    expect(problem(func('(x) => y'), 5)).toBe('must be a function (x) => y (got 5)')
    const logger = new (class { warn(): void {} error(): void {} })()
    expect(ok(methods(['warn', 'error']), logger)).toBe(logger) // methods may be inherited: class instances are fine
    expect(problem(methods(['now', 'sleep']), { now: () => 1 })).toBe('must be an object with now(), sleep() (got {})')
    expect(at(methods(['send']), () => undefined)).toBe('x')
    const config = { endpoint: 'http://x', nested: new Map() }
    expect(ok(dict(), config)).toBe(config) // passed through unread
    expect(at(dict(), [])).toBe('x')
  })

  it('never: a known key that is always wrong, left out of the known list', () => {
    const o = object({ a: number(), tableName: never('is set elsewhere') })
    expect(rejection(() => parseOptions(o, { tableName: 't' })).message).toBe('breakwater: option "tableName" is set elsewhere')
    expect(rejection(() => parseOptions(o, { b: 1 })).problem).toBe('is not an option (known: a)')
  })
})

describe('objects', () => {
  const inner = object({ refreshMs: number({ above: 0 }) }, { label: 'a store' })
  const outer = object({ store: inner, name: required(string(), 'is required: a name') })

  it('names the full path at every depth, and lists the known keys of an unknown one', () => {
    expect(rejection(() => parseOptions(outer, { name: 'n', store: { refreshMS: 1 } })).field).toBe('store.refreshMS')
    expect(rejection(() => parseOptions(outer, { name: 'n', store: { refreshMS: 1 } })).problem)
      .toBe('is not a store option (known: refreshMs)')
    expect(rejection(() => parseOptions(outer, { name: 'n', store: { refreshMs: 0 } })).field).toBe('store.refreshMs')
    expect(rejection(() => parseOptions(outer, { name: 'n', store: 'fast' })).field).toBe('store')
    expect(rejection(() => parseOptions(outer, { store: {} })).problem).toBe('is required: a name')
    expect(rejection(() => parseOptions(outer, [])).field).toBe('options')
    expect(rejection(() => parseOptions(outer, null)).field).toBe('options')
  })

  it('counts own enumerable keys only: inherited names are neither options nor typos', () => {
    const o = object({ a: number() })
    const child = Object.create({ a: 'inherited', b: 'inherited' }) as Record<string, unknown>
    expect(parseOptions(o, child)).toEqual({})
    expect(parseOptions(o, Object.defineProperty({}, 'a', { value: 'hidden', enumerable: false }))).toEqual({})
    for (const key of ['toString', 'constructor', 'hasOwnProperty', 'valueOf']) {
      expect(rejection(() => parseOptions(o, { [key]: 5 })).field).toBe(key)
    }
    const proto = JSON.parse('{"__proto__": {"a": 1}}') as object
    expect(rejection(() => parseOptions(o, proto)).field).toBe('__proto__')
    expect(rejection(() => parseOptions(o, { '': 1 })).field).toBe('""') // not "options"
    expect(rejection(() => parseOptions(object({ g: o }), { g: { '': 1 } })).field).toBe('g.""')
    expect(parseOptions(o, { [Symbol('s')]: 1 })).toEqual({}) // symbol keys are not options
  })

  it('returns a fresh copy of what it checked: undefined values dropped, the caller\'s object untouched', () => {
    const o = object({ a: number(), b: object({ c: boolean() }) })
    const given = { a: undefined, b: { c: true } }
    const out = parseOptions(o, given)
    expect(out).toEqual({ b: { c: true } })
    expect(Object.hasOwn(out, 'a')).toBe(false)
    expect(out).not.toBe(given)
    expect(out.b).not.toBe(given.b)
    expect(parseOptions(o, undefined)).toEqual({})
  })

  it('given-but-undefined can be an error of its own (an unset environment variable)', () => {
    const o = object({ tableName: defined(string(), 'is undefined (is the environment variable set?)') })
    expect(parseOptions(o, {})).toEqual({})
    expect(rejection(() => parseOptions(o, { tableName: undefined })).problem).toBe('is undefined (is the environment variable set?)')
  })

  it('root naming: a middleware alone names fields as the preset does, except the shared ones', () => {
    const o = object({ cooldownMs: number({ min: 0 }), logger: methods(['warn']) }, {
      root: { prefix: 'breaker', except: ['logger'] },
      refine: [(v: { cooldownMs?: number }) => (v.cooldownMs === 7 ? { at: 'logger', problem: 'no sevens' } : undefined)],
    })
    expect(rejection(() => parseOptions(o, { cooldownMs: -1 })).field).toBe('breaker.cooldownMs')
    expect(rejection(() => parseOptions(o, { cooldown: 1 })).field).toBe('breaker.cooldown')
    expect(rejection(() => parseOptions(o, { logger: 5 })).field).toBe('logger')
    expect(rejection(() => parseOptions(o, { cooldownMs: 7 })).field).toBe('breaker.logger') // cross-field: prefixed
    expect(rejection(() => parseOptions(o, 5 as never)).field).toBe('options')
    // Nested (in the preset), the path is the path.
    const preset = object({ breaker: o })
    expect(rejection(() => parseOptions(preset, { breaker: { logger: 5 } })).field).toBe('breaker.logger')
  })

  it('sources: the schema\'s own, a nested group\'s, a field\'s, an issue\'s', () => {
    const group = object({ n: number({ min: 0 }) }, { source: 'breakwater/group', refine: [() => undefined] })
    const top = object({ ...withSource('breakwater/router', { r: number({ min: 0 }) }), group }, {
      source: 'breakwater',
      refine: [(v: { r?: number }) => (v.r === 3 ? { at: 'group.n', problem: 'not with r 3', source: 'breakwater/group' } : undefined)],
    })
    expect(rejection(() => parseOptions(top, { x: 1 })).source).toBe('breakwater')
    expect(rejection(() => parseOptions(top, { r: -1 })).source).toBe('breakwater/router')
    expect(rejection(() => parseOptions(top, { group: { n: -1 } })).source).toBe('breakwater/group')
    expect(rejection(() => parseOptions(top, { r: 3 }))).toMatchObject({ source: 'breakwater/group', field: 'group.n' })
    expect(rejection(() => parseOptions(top, { r: -1 }, 'breakwater/override')).source).toBe('breakwater/router')
    // A source passed in is the default: a schema that names its own keeps it.
    expect(rejection(() => parseOptions(group, { n: -1 }, 'breakwater/override')).source).toBe('breakwater/group')
    const sourceless = object({ n: number({ min: 0 }) })
    expect(rejection(() => parseOptions(sourceless, { n: -1 }, 'breakwater/override')).source).toBe('breakwater/override')
  })

  it('refines see the checked copy and name a path relative to it', () => {
    const range = object({ min: number(), max: number() }, {
      refine: [
        (r: { min?: number; max?: number }) => ((r.min ?? 0) > (r.max ?? Infinity) ? { at: 'max', problem: 'must be >= min' } : undefined),
      ],
    })
    expect(at(object({ r: range }), { r: { min: 5, max: 1 } }, 'when')).toBe('when.r.max')
    expect(rejection(() => parseValue(range, { min: 5, max: 1 }, 'test', 'x')).message).toBe('test: option "x.max" must be >= min')
  })
})

describe('lists, records, unions', () => {
  it('list: items named by index; a flat list names itself; refines name [i]', () => {
    const targets = list(object({ region: string({ minLength: 1 }) }), { minLength: 1 })
    expect(at(targets, [{ region: 'a' }, { region: '' }], 'routes.x')).toBe('routes.x[1].region')
    expect(at(targets, [], 'routes.x')).toBe('routes.x')
    const stages = list(number({ integer: true, above: 0 }), { flat: true, must: 'must be counts' })
    expect(at(stages, [1, 2.5], 'breaker.probeStages')).toBe('breaker.probeStages')
    expect(problem(stages, [1, Symbol('s'), 3n])).toBe('must be counts (got [1,"Symbol(s)","3n"])')
    const namesNo = (rs: { route: string }[]) => {
      const i = rs.findIndex((r) => r.route === 'no')
      return i < 0 ? undefined : { at: `[${i}].route`, problem: 'names no route' }
    }
    const named = list(object({ route: string() }), { refine: [namesNo] })
    expect(at(named, [{ route: 'a' }, { route: 'no' }], 'rules')).toBe('rules[1].route')
    expect(ok(list(number()), [1, 2])).toEqual([1, 2])
    const holed = [1, 2, 3]
    delete holed[1]
    expect(at(list(number()), holed)).toBe('x[1]') // a hole is undefined
  })

  it('record: any names, each entry checked under its name, an own __proto__ entry kept as data', () => {
    const routes = record(list(string(), { minLength: 1 }), { minKeys: 1, must: 'must name routes' })
    expect(at(routes, {}, 'routes')).toBe('routes')
    expect(at(routes, { chat: [] }, 'routes')).toBe('routes.chat')
    const out = ok(routes, JSON.parse('{"__proto__": ["a"]}')) as Record<string, unknown>
    expect(Object.keys(out)).toEqual(['__proto__'])
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
  })

  it('oneOf: the option whose kind fits checks the value in depth; none fitting says all of them', () => {
    const cache = oneOf([boolean(), object({ ttlMs: number({ above: 0 }) })])
    expect(ok(cache, true)).toBe(true)
    expect(at(cache, { ttlMs: 0 }, 'cache')).toBe('cache.ttlMs')
    expect(problem(cache, 'yes')).toBe('must be true or false or an object (got "yes")')
    const splitKey = oneOf([literal('user', 'session'), func()], { must: "must be 'user', 'session' or a function" })
    expect(problem(splitKey, 'users')).toBe("must be 'user', 'session' or a function (got \"users\")")
  })

  it('oneKey: exactly one known key', () => {
    const predicate = oneKey({ has: literal('tools'), tier: string() })
    expect(ok(predicate, { has: 'tools' })).toEqual({ has: 'tools' })
    expect(at(predicate, { has: 'video' }, 'when')).toBe('when.has')
    expect(problem(predicate, { has: 'tools', tier: 'a' })).toBe('must be an object (got { has, tier })')
    expect(at(predicate, {}, 'when')).toBe('when')
    expect(at(predicate, { nope: 1 }, 'when')).toBe('when')
  })

  it('convert: a shorthand checked, turned into the long form, and checked again at the same path', () => {
    const target = object({ model: string({ minLength: 1 }), region: string({ pattern: /^[a-z]+-\d$/ }) })
    const spec = oneOf([convert(string({ pattern: /^.+@.+$/ }), (s: string) => ({ model: s.split('@')[0], region: s.split('@')[1] }), target), target])
    expect(ok(spec, 'm@us-1')).toEqual({ model: 'm', region: 'us-1' })
    expect(at(spec, 'no-region', 't[0]')).toBe('t[0]')
    expect(at(spec, 'm@mars', 't[0]')).toBe('t[0].region')
  })
})

describe('values that break naive checks never crash', () => {
  const schema = object({ a: number(), b: list(string(), { flat: true }), c: object({ d: methods(['x']) }) })

  it('BigInt, Symbol, functions, cycles', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    for (const value of [5n, Symbol('s'), () => 1, cyclic, [5n], [Symbol('t')]]) {
      for (const key of ['a', 'b', 'c']) {
        expect(rejection(() => parseOptions(schema, { [key]: value })).field).toMatch(new RegExp(`^${key}`))
      }
    }
    expect(rejection(() => parseOptions(schema, Symbol('root') as never)).message).toContain('Symbol(root)')
  })

  it('a throwing getter, a throwing method getter, a revoked proxy', () => {
    const getter = Object.defineProperty({}, 'a', { enumerable: true, get() { throw new Error('boom') } })
    expect(rejection(() => parseOptions(schema, getter))).toMatchObject({ field: 'a', problem: 'cannot be read (its getter threw)' })
    const sneaky = Object.defineProperty({}, 'x', { get() { throw new Error('boom') } })
    expect(rejection(() => parseOptions(schema, { c: { d: sneaky } })).field).toBe('c.d')
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    expect(rejection(() => parseOptions(schema, proxy)).field).toBe('options')
    expect(rejection(() => parseOptions(schema, { c: proxy })).field).toBe('c')
  })

  it('property: any value gives an equal, re-accepted copy or a BreakwaterConfigError naming a path inside', () => {
    const deep = object({
      n: number({ min: 0, max: 100 }),
      s: string({ minLength: 1 }),
      flags: list(boolean(), { flat: true }),
      nested: object({ k: literal('a', 'b'), f: func(), inner: object({ m: number({ integer: true }) }) }),
      named: record(oneOf([number(), object({ v: boolean() })])),
    })
    const values = fc.anything({
      withBigInt: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withObjectString: true, maxDepth: 4,
    })
    const shaped = fc.record({
      n: fc.oneof(fc.integer({ min: -5, max: 105 }), values),
      s: fc.oneof(fc.string(), values),
      flags: fc.oneof(fc.array(fc.boolean()), values),
      nested: fc.oneof(fc.record({
        k: fc.constantFrom('a', 'b', 'c'),
        f: fc.constant(() => 1),
        inner: fc.record({ m: fc.oneof(fc.integer(), values) }, { requiredKeys: [] }),
      }, { requiredKeys: [] }), values),
      named: fc.oneof(fc.dictionary(fc.string(), fc.oneof(fc.double(), fc.record({ v: fc.boolean() }), values)), values),
    }, { requiredKeys: [] })
    fc.assert(fc.property(fc.oneof(shaped, values), (value) => {
      let out: object
      try {
        out = parseOptions(deep, value as object)
      } catch (error) {
        if (!(error instanceof BreakwaterConfigError)) throw error
        // The whole value, or a path under one of its own keys (a known field, or the unknown key itself).
        const under = (k: string): boolean => [k, `${k}.`, `${k}[`].some((p) => error.field === k || error.field.startsWith(p))
        expect(error.field === 'options' || Object.keys(value as object).some((k) => under(k === '' ? '""' : k))).toBe(true)
        expect(error.message).toContain(`option "${error.field}"`)
        return
      }
      expect(parseOptions(deep, out)).toEqual(out)
    }), { numRuns: 2_000 })
  })
})
