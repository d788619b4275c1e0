/**
 * Every option at every depth, fuzzed (issue 10). The generator knows the option tree: it builds a valid
 * configuration, then (most of the time) breaks exactly one thing in it — a wrong type, a value out of range, BigInt,
 * Symbol, NaN, a huge number, a function where data belongs, an unknown key at any depth (typos, names inherited
 * from Object.prototype, an own `__proto__` key as JSON.parse makes it), a whole group replaced by a string, or a
 * cross-field rule violated. The oracle:
 *
 * - broken → creation throws a BreakwaterConfigError naming the broken field;
 * - intact → creation succeeds and the stack works: two invocations through Middy (one region down, then both)
 *   answer a success or a graceful reply with a Retry-After of whole seconds below a day. Nothing else escapes.
 *
 * The tree stays an independent oracle (generating it from the schemas would test the schemas against themselves);
 * what the schemas add is a check that the two name the same fields, so no option is left out of the fuzzing.
 */
import { BedrockRuntimeClient, ConverseCommand, ServiceUnavailableException } from '@aws-sdk/client-bedrock-runtime'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import middy from '@middy/core'
import { mockClient } from 'aws-sdk-client-mock'
import fc from 'fast-check'
import {
  backoff, breakwater, BreakwaterConfigError, circuitBreaker, fallback, gracefulDegradation, router,
  type BreakwaterContext, type BreakwaterOptions,
} from '../../src/index.js'
import type { Schema } from '../../src/core/config/index.js'
import { BACKOFF_OPTIONS } from '../../src/middlewares/schema/backoff.js'
import { BREAKWATER_OPTIONS } from '../../src/middlewares/schema/breakwater.js'
import { CIRCUIT_BREAKER_OPTIONS } from '../../src/middlewares/schema/circuit-breaker.js'
import { FALLBACK_OPTIONS } from '../../src/middlewares/schema/fallback.js'
import { GRACEFUL_DEGRADATION_OPTIONS } from '../../src/middlewares/schema/graceful-degradation.js'
import { ROUTER_OPTIONS } from '../../src/middlewares/schema/router.js'
import { httpApiEvent, lambdaContext } from '../support/events.js'
import { SimClock } from '../support/sim-clock.js'
import { breakerTree, backoffTree, degradationTree, fallbackTree, presetTree, routerTree, type Leaf, type Tree } from './options-tree.js'

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0'
// us-east-1 declares a quota: with the table mocked to fail, its lease book runs on local limits (never an error).
const ROUTES = { default: [{ model: HAIKU, region: 'us-east-1', quota: { requestsPerMinute: 1_000 } }, `${HAIKU}@us-west-2`] }
const RUNS = Number(process.env.BREAKWATER_FUZZ_RUNS ?? 5_000)
// Fixed, so CI repeats the same run; set BREAKWATER_FUZZ_SEED to explore further.
const SEED = Number(process.env.BREAKWATER_FUZZ_SEED ?? 20_261_201)

// Every Bedrock and DynamoDB send in this file is answered in-process: no configured endpoint is ever called.
const bedrock = mockClient(BedrockRuntimeClient)
const dynamodb = mockClient(DynamoDBClient)
beforeAll(() => { dynamodb.onAnyCommand().rejects(new Error('no table here')) })
afterAll(() => { bedrock.restore(); dynamodb.restore() })

/** A configuration and, when one thing in it was broken, the field a BreakwaterConfigError must name. */
interface Case { readonly options: Record<string, unknown>; readonly broken?: string }

/** Sets `path` in `root`, creating missing (or `false`) groups on the way as the tree's valid minimum for them. */
function setPath(root: Record<string, unknown>, tree: Tree, path: readonly string[], value: unknown): void {
  let at = root
  let node: Tree | undefined = tree
  for (const key of path.slice(0, -1)) {
    const sub: Leaf | Tree | undefined = node?.fields[key]
    node = sub !== undefined && 'fields' in sub ? sub : undefined
    const next = at[key]
    if (typeof next !== 'object' || next === null) at[key] = { ...node?.always }
    at = at[key] as Record<string, unknown>
  }
  // defineProperty, so a `__proto__` key is an own data property, as JSON.parse makes it.
  Object.defineProperty(at, path[path.length - 1] as string, { value, enumerable: true, writable: true, configurable: true })
}

const STRAY_KEYS = [
  'toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf', 'refreshMS', 'clientconfig', 'maxattempts', 'cooldown',
]
const NOT_AN_OBJECT = fc.constantFrom<unknown>('fast', 'bedrock', 5, 5n, true, [], () => 1, Symbol('group'), null)

/** A valid configuration of `tree` (every field optional), as an arbitrary. */
function valid(tree: Tree): fc.Arbitrary<Record<string, unknown>> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {}
  for (const [key, node] of Object.entries(tree.fields)) {
    if ('fields' in node) shape[key] = node.alsoValid ? fc.oneof(valid(node), node.alsoValid) : valid(node)
    else if (node.valid) shape[key] = node.valid
  }
  return fc.record(shape, { requiredKeys: [] }).map((o) => ({ ...tree.always, ...o }))
}

/** One thing broken: `value` at `path` (with `extra` set too, for a cross-field rule), and the field to blame. */
interface Breakage { path: string[]; value: unknown; field?: string; extra?: [string[], unknown] }

/** Every way to break one thing in `tree`: [path, value]. */
function breakages(tree: Tree, prefix: string[] = []): fc.Arbitrary<Breakage>[] {
  const out: fc.Arbitrary<Breakage>[] = []
  out.push(fc.tuple(fc.constantFrom(...STRAY_KEYS), fc.anything()).map(([k, v]) => ({ path: [...prefix, k], value: v })))
  if (prefix.length > 0) out.push((tree.notObject ?? NOT_AN_OBJECT).map((v) => ({ path: prefix, value: v })))
  for (const [key, node] of Object.entries(tree.fields)) {
    if ('fields' in node) out.push(...breakages(node, [...prefix, key]))
    else out.push(node.invalid.map((v) => ({ path: [...prefix, key], value: v })))
  }
  for (const rule of tree.crossField ?? []) {
    out.push(fc.constant({
      path: [...prefix, ...rule.set[0]],
      value: rule.set[1],
      field: [...prefix, ...rule.field].join('.'),
      extra: [[...prefix, ...rule.with[0]], rule.with[1]],
    }))
  }
  return out
}

function cases(tree: Tree, always: Record<string, unknown>): fc.Arbitrary<Case> {
  const breaking = fc.oneof(...breakages(tree))
  return fc.tuple(valid(tree), fc.option(breaking, { freq: 3 })).map(([base, b]) => {
    const options = structuredCloneOptions({ ...base, ...always })
    if (b === null) return { options }
    if (b.extra) setPath(options, tree, b.extra[0], b.extra[1])
    setPath(options, tree, b.path, b.value)
    return { options, broken: b.field ?? b.path.join('.') }
  })
}

/** A copy deep enough that setPath never writes into an object another case shares (clients and functions kept). */
function structuredCloneOptions(o: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) {
    const plain = v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype
    copy[k] = plain ? structuredCloneOptions(v as Record<string, unknown>) : v
  }
  return copy
}

/** The field a config error names is the broken one, or a deeper one inside it (`rules[0].route` for `rules`). */
function namesField(error: BreakwaterConfigError, broken: string, relative: boolean): boolean {
  const f = error.field
  const hit = (p: string): boolean => p === broken || p.startsWith(`${broken}.`) || p.startsWith(`${broken}[`)
  if (hit(f)) return true
  // A middleware used alone names its fields as the preset would (`breaker.cooldownMs`) or bare (`message`).
  return relative && [...f.matchAll(/\./g)].some((m) => hit(f.slice((m.index ?? 0) + 1)))
}

function check(c: Case, make: () => unknown, relative = false): unknown {
  let made: unknown
  try {
    made = make()
  } catch (error) {
    if (!(error instanceof BreakwaterConfigError)) {
      throw new Error(`${c.broken ?? 'valid options'}: not a BreakwaterConfigError: ${String(error)}`, { cause: error })
    }
    if (c.broken === undefined) throw new Error(`valid options rejected: ${error.message}`, { cause: error })
    if (!namesField(error, c.broken, relative)) throw new Error(`broke ${c.broken}, the error names ${error.field}: ${error.message}`)
    expect(error.message).toContain(error.field)
    return undefined
  }
  if (c.broken !== undefined) throw new Error(`accepted with ${c.broken} broken`)
  return made
}

interface Reply { statusCode?: number; headers?: Record<string, string> }

/** An accepted preset answers: a 200, or a graceful reply with a sane Retry-After; never a 500 or a raw error. */
async function works(stack: middy.MiddlewareObj[], clock: SimClock): Promise<void> {
  const handler = middy(async (_event: unknown, context: BreakwaterContext) => {
    const reply = await context.bedrock.converse({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] })
    return { statusCode: 200, body: reply.text }
  })
  for (const m of stack) handler.use(m)
  for (const down of [['us-east-1'], ['us-east-1', 'us-west-2']]) {
    bedrock.reset()
    bedrock.on(ConverseCommand).callsFake(async (_input, getClient) => {
      const region = await getClient().config.region()
      if (down.includes(region)) throw new ServiceUnavailableException({ message: 'down', $metadata: { httpStatusCode: 503 } })
      return { output: { message: { role: 'assistant', content: [{ text: `ok ${region}` }] } }, stopReason: 'end_turn', $metadata: {} }
    })
    const deadline = clock.now() + 5_000
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => Math.max(0, deadline - clock.now()) }
    const reply = await clock.run(handler(httpApiEvent(), context as never) as Promise<Reply>)
    expect([200, 503]).toContain(reply.statusCode)
    const retryAfter = reply.headers?.['retry-after']
    if (retryAfter !== undefined) {
      expect(retryAfter).toMatch(/^\d+$/)
      expect(Number(retryAfter)).toBeLessThanOrEqual(86_400)
    }
  }
}

describe(`options fuzz (${RUNS} option objects for the preset, ${RUNS} across the five middlewares)`, () => {
  it('breakwater(): a broken field is named; intact options are accepted and work', async () => {
    let accepted = 0
    let rejected = 0
    const factory = (region: string) => new BedrockRuntimeClient({ region, maxAttempts: 1 })
    await fc.assert(fc.asyncProperty(cases(presetTree, { routes: ROUTES }), async (c) => {
      const clock = new SimClock()
      if (c.broken !== 'clock') c.options.clock = clock
      if (!c.broken?.startsWith('client')) c.options.client = { factory }
      const stack = check(c, () => breakwater(c.options as unknown as BreakwaterOptions)) as middy.MiddlewareObj[] | undefined
      if (stack === undefined) return void rejected++
      accepted++
      // Degradation off: replies are the preset's own errors; keep it on to check the reply the caller gets.
      if (c.options.degradation !== false) await works(stack, clock)
    }), { numRuns: RUNS, seed: SEED })
    // Both sides must be reached, or the property proves little.
    expect(accepted).toBeGreaterThan(RUNS / 10)
    expect(rejected).toBeGreaterThan(RUNS / 10)
  })

  it('each middleware alone: a broken field is named; intact options are accepted', () => {
    const runs = Math.ceil(RUNS / 5)
    const each: [Tree, Record<string, unknown>, (o: never) => unknown][] = [
      [routerTree, { routes: ROUTES }, (o) => router(o)],
      [breakerTree, {}, (o) => circuitBreaker(o)],
      [backoffTree, {}, (o) => backoff(o)],
      [fallbackTree, {}, (o) => fallback(o)],
      [degradationTree, {}, (o) => gracefulDegradation(o)],
    ]
    for (const [tree, always, make] of each) {
      fc.assert(fc.property(cases(tree, always), (c) => { check(c, () => make(c.options as never), true) }), { numRuns: runs, seed: SEED })
    }
  })

  it('the tree names exactly the fields the schemas know, at every depth', () => {
    const pairs: [Tree, Schema][] = [
      [presetTree, BREAKWATER_OPTIONS], [routerTree, ROUTER_OPTIONS], [breakerTree, CIRCUIT_BREAKER_OPTIONS],
      [backoffTree, BACKOFF_OPTIONS], [fallbackTree, FALLBACK_OPTIONS], [degradationTree, GRACEFUL_DEGRADATION_OPTIONS],
    ]
    for (const [tree, schema] of pairs) expect(treePaths(tree).sort()).toEqual(schemaPaths(schema).sort())
  })
})

/** Every field path of a tree, its groups' included. */
function treePaths(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree.fields).flatMap(([key, node]) =>
    [`${prefix}${key}`, ...('fields' in node ? treePaths(node, `${prefix}${key}.`) : [])])
}

/** Every field path of a schema: objects (also as one option of several) are gone into; lists and records are fields. */
function schemaPaths(schema: Schema, prefix = ''): string[] {
  const group = schema.kind === 'oneOf' ? schema.options.find((o) => o.kind === 'object') : schema
  if (group?.kind !== 'object') return []
  return Object.entries(group.fields).flatMap(([key, field]) => [`${prefix}${key}`, ...schemaPaths(field, `${prefix}${key}.`)])
}
