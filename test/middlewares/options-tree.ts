/**
 * The option tree of the preset and the five middlewares, as the fuzz test (options-fuzz.test.ts) sees it: for
 * every field the values that must be accepted and the values that must be rejected naming that field, and the
 * cross-field rules. Written from the option tables in docs/, independently of the validators it checks.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import fc from 'fast-check'
import { MemoryBreakerStore } from '../../src/core/breaker/memory-store.js'

export interface Leaf {
  /** Values that must be accepted; absent = the fuzz test supplies the field itself, or it has no safe value. */
  readonly valid?: fc.Arbitrary<unknown>
  /** Values that must be rejected with a BreakwaterConfigError naming this field. */
  readonly invalid: fc.Arbitrary<unknown>
}

export interface CrossField {
  /** Set this (path within the tree, value) ... */
  readonly set: readonly [readonly string[], unknown]
  /** ... together with this, and the error must name `field`. */
  readonly with: readonly [readonly string[], unknown]
  readonly field: readonly string[]
}

export interface Tree {
  readonly fields: Readonly<Record<string, Leaf | Tree>>
  /** Fields every valid configuration of this group holds. */
  readonly always?: Readonly<Record<string, unknown>>
  /** Values of the group other than an object that are valid (`false` to leave a middleware out, `cache: true`). */
  readonly alsoValid?: fc.Arbitrary<unknown>
  /** Values of the group other than an object that must be rejected. Default: strings, numbers, arrays, ... */
  readonly notObject?: fc.Arbitrary<unknown>
  readonly crossField?: readonly CrossField[]
}

const NOT_NUMBERS = fc.constantFrom<unknown>(
  '5', 5n, null, {}, [], true, Symbol('n'), () => 5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY,
)
const num = (valid: fc.Arbitrary<number>, outOfRange: readonly number[]): Leaf =>
  ({ valid, invalid: outOfRange.length > 0 ? fc.oneof(NOT_NUMBERS, fc.constantFrom(...outOfRange)) : NOT_NUMBERS })
const int = (min: number, max: number, outOfRange: readonly number[]): Leaf => num(fc.integer({ min, max }), outOfRange)
const real = (min: number, max: number, outOfRange: readonly number[]): Leaf => num(fc.double({ min, max, noNaN: true }), outOfRange)
const bool: Leaf = { valid: fc.boolean(), invalid: fc.constantFrom<unknown>('yes', 1, 0, null, 1n, Symbol('b'), {}) }
const fn = (f: () => unknown): Leaf => ({ valid: fc.constant(f), invalid: fc.constantFrom<unknown>(5, 'f', null, {}, [], 5n, Symbol('f')) })
const onlyInvalid = (...values: unknown[]): Leaf => ({ invalid: fc.constantFrom(...values) })

const fakeLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }
const fakeMetrics = { addMetric: () => undefined }
const fakeTracer = { isTracingEnabled: () => false, getSegment: () => undefined, setSegment: () => undefined }
/** Every DynamoDB send is answered by aws-sdk-client-mock in the test: this client never reaches a network. */
const dynamodbClient = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } })

const observer = {
  logger: { valid: fc.constant(fakeLogger), invalid: fc.constantFrom<unknown>(5, 'log', {}, { warn: () => undefined }) },
  metrics: { valid: fc.constant(fakeMetrics), invalid: fc.constantFrom<unknown>(5, 'm', {}) },
  logErrorMessages: bool,
} satisfies Record<string, Leaf>
const CLOCK = onlyInvalid(5, 'now', {}, { now: () => 1 })

const dynamodbTree: Tree = {
  always: { client: dynamodbClient },
  fields: {
    client: onlyInvalid(5, 'client', {}, null),
    clientConfig: onlyInvalid(5, 'config', null, [], 5n),
    refreshMs: int(100, 60_000, [0, -1]),
    flushMs: int(100, 10_000, [0, -1]),
    operationTimeoutMs: int(50, 5_000, [0, -1]),
    // Set on breaker itself: under dynamodb they are always wrong.
    tableName: onlyInvalid('breaker-table', 'other'),
    clock: onlyInvalid({ now: () => 1 }),
  },
}

const breakerPolicy: Record<string, Leaf | Tree> = {
  failureRateThreshold: real(0.05, 1, [0, -0.5, 1.5]),
  windowMs: int(60_000, 600_000, [0, -1, 1e300]),
  minimumCalls: int(1, 50, [0, 1.5]),
  consecutiveFailures: int(1, 50, [0, 2.5]),
  cooldownMs: int(0, 60_000, [-1, 1e300, 86_400_001]),
  cooldownMultiplier: real(1, 4, [0.5, 0]),
  maxCooldownMs: int(600_000, 86_400_000, [-1, 1e300, 86_400_001]),
  probeStages: {
    valid: fc.constantFrom([1, 5, 10], [1], [2, 4]),
    invalid: fc.constantFrom<unknown>([], [5, 1], [1, 1], [0], 'x', [1, 2.5], [1n], [Symbol('s')], 5, null),
  },
  permitLeaseMs: int(30_000, 60_000, [0, -1]),
  clockSkewMs: int(0, 60_000, [-1, 60_001]),
  slowCallMs: int(1, 60_000, [0, -1]),
  failureClasses: {
    valid: fc.constantFrom(['throttled'], ['unavailable', 'timed-out']),
    invalid: fc.constantFrom<unknown>([], ['caller-fault'], 'throttled', [5], [Symbol('c')], null, [1n]),
  },
  admission: {
    fields: {
      k: real(1, 100, [0.5, 0, 101]),
      windowMs: num(fc.integer({ min: 1, max: 600 }).map((s) => s * 1_000), [1_500, 0, 601_000]),
      fleet: bool,
    },
    alsoValid: fc.constant(false),
    notObject: fc.constantFrom<unknown>(true, 'on', 5, [], null, 5n),
  },
  tableName: onlyInvalid(5, '', '  ', 'ab', null, 5n, []),
  // Always with a table here, so a store of one's own is only ever wrong (see breakerCross for a good one).
  store: onlyInvalid(5, 'memory', {}, { read: () => undefined }, null),
  localFallbackMs: int(1, 60_000, [0, -1]),
  dynamodb: dynamodbTree,
}
const breakerCross: CrossField[] = [
  { set: [['maxCooldownMs'], 1_000], with: [['cooldownMs'], 60_000], field: ['maxCooldownMs'] },
  { set: [['dynamodb', 'flushMs'], 20_000], with: [['windowMs'], 60_000], field: ['dynamodb', 'flushMs'] },
  { set: [['store'], new MemoryBreakerStore()], with: [['tableName'], 'breaker-table'], field: ['store'] },
]

/**
 * The breaker group of the preset: always with a table, so the DynamoDB store and its fail-open path run. It takes
 * the shared collaborators too (the preset's own, given at its top level, win over them).
 */
const presetBreakerTree: Tree = {
  fields: { ...breakerPolicy, ...observer, clock: CLOCK },
  always: { tableName: 'breaker-table' }, crossField: breakerCross, alsoValid: fc.constant(false),
}
/** circuitBreaker() alone. */
export const breakerTree: Tree = {
  fields: { ...breakerPolicy, ...observer, clock: CLOCK },
  always: { tableName: 'breaker-table' }, crossField: breakerCross,
}

const backoffFields: Record<string, Leaf | Tree> = {
  baseMs: int(0, 1_000, [-1]),
  throttleBaseMs: int(0, 1_000, [-1]),
  capMs: int(0, 20_000, [-1, 900_001]),
  maxAttempts: int(1, 5, [0, 1.5]),
  reserveMs: int(0, 1_000, [-1, 60_001]),
  minAttemptMs: int(0, 2_000, [-1, 900_001]),
  attemptTimeoutMs: int(1, 30_000, [0, -1, 900_001]),
  honourRetryAfter: bool,
  reopenWaitMs: int(0, 5_000, [-1, 900_001]),
  retryBudget: {
    fields: {
      ratio: real(0, 10, [-1, 11]),
      minRetriesPerSecond: real(0, 10, [-1]),
      windowMs: num(fc.constantFrom(1_000, 10_000, 60_000), [999, 1_500, 61_000, 0]),
    },
  },
}
export const backoffTree: Tree = { fields: { ...backoffFields, clock: CLOCK } }

const fallbackFields: Record<string, Leaf | Tree> = {
  nextTarget: bool,
  maxTruncations: int(0, 5, [-1, 1.5]),
  timeoutMaxTokensFactor: real(0.01, 1, [0, 1.5]),
  timeoutMaxTokens: int(1, 4_096, [0, -1, 1.5]),
  timeoutShedsHistory: bool,
  malformedRetries: int(0, 3, [-1, 0.5]),
  cache: {
    fields: { maxEntries: int(1, 1_000, [0, 1.5]), ttlMs: int(1, 3_600_000, [0, -1]) },
    alsoValid: fc.boolean(),
    notObject: fc.constantFrom<unknown>('x', 5, 5n, [], () => 1, null, Symbol('c')),
  },
  hedge: {
    fields: { p95Factor: real(1, 20, [0.5, 21]), minDelayMs: int(0, 60_000, [-1, 60_001]), maxExtraShare: real(0.01, 1, [0, 1.5]) },
    alsoValid: fc.boolean(),
    notObject: fc.constantFrom<unknown>('x', 5, 5n, [], () => 1, null, Symbol('h')),
  },
  summarize: {
    fields: {
      targets: {
        valid: fc.constantFrom<unknown>(['amazon.nova-micro-v1:0@us-east-1'], [{ model: 'amazon.nova-micro-v1:0', region: 'us-west-2' }]),
        invalid: fc.constantFrom<unknown>([], 'amazon.nova-micro-v1:0@us-east-1', ['no-region'], [5], null,
          ['amazon.nova-micro-v1:0@us-east-1', 'amazon.nova-micro-v1:0@us-east-1']),
      },
      maxTokens: int(16, 8_192, [15, 8_193, 1.5]),
      timeoutMs: int(100, 60_000, [99, 60_001]),
    },
    // `targets` has no default: a summarize object always names its model.
    always: { targets: ['amazon.nova-micro-v1:0@us-east-1'] },
    alsoValid: fc.constant(false),
    notObject: fc.constantFrom<unknown>('x', 5, 5n, [], true, () => 1, null, Symbol('s')),
  },
}
export const fallbackTree: Tree = { fields: fallbackFields }

const degradationFields: Record<string, Leaf | Tree> = {
  message: { valid: fc.constant('Busy, please retry.'), invalid: fc.constantFrom<unknown>('', '  ', 5, null, 5n, Symbol('m')) },
  retryAfterSeconds: int(0, 86_400, [-1, 1.5, 86_401]),
  reply: onlyInvalid(5, 'reply', {}, null),
}
export const degradationTree: Tree = { fields: { ...degradationFields, ...observer } }

const routerFields: Record<string, Leaf | Tree> = {
  // Valid routes are the fuzz test's own (it always supplies them); these replace them.
  routes: onlyInvalid({}, [], 'default', null, 5n, { default: [] }, { default: ['no-region'] }, { default: { targets: [] } },
    { default: [{ model: 'm', region: 'us-east-1', temperature: 1 }] },
    // A target's quota: at least one of the two, positive integers, no other keys.
    { default: [{ model: 'm', region: 'us-east-1', quota: {} }] },
    { default: [{ model: 'm', region: 'us-east-1', quota: { requestsPerMinute: 0 } }] },
    { default: [{ model: 'm', region: 'us-east-1', quota: { tokensPerMinute: 2.5 } }] },
    { default: [{ model: 'm', region: 'us-east-1', quota: { requestsPerMinute: 5, rpm: 5 } }] },
    { default: [{ model: 'm', region: 'us-east-1', quota: 5 }] },
    { default: ['eu.anthropic.claude-3-haiku-20240307-v1:0@us-east-1'] }),
  defaultRoute: { valid: fc.constant('default'), invalid: fc.constantFrom<unknown>('nope', 5, null, 5n, Symbol('r')) },
  rules: {
    valid: fc.constant([{ route: 'default', when: { tier: 'gold' } }]),
    invalid: fc.constantFrom<unknown>(5, 'x', [5], [{ route: 'nope', when: { tier: 'x' } }], [{ route: 'default', when: {} }],
      [{ route: 'default', when: { tier: 5n } }], [{ route: 5n, when: { tier: 'x' } }],
      [{ route: 'default', when: { tier: 'x' }, toString: 1 }]),
  },
  tier: fn(() => 'gold'),
  splitKey: {
    valid: fc.constantFrom<unknown>('user', 'session', () => 'k'),
    invalid: fc.constantFrom<unknown>('users', 5, null, 5n, Symbol('k')),
  },
  canary: {
    fields: {
      maxFailureRateGap: real(0, 1, [-0.1, 1.5]),
      window: int(20, 100, [0, -1, 1.5]),
      minSamples: int(1, 20, [0, 2.5]),
      cooldownMs: int(1, 120_000, [0, -5, 1.5]),
    },
    crossField: [{ set: [['minSamples'], 50], with: [['window'], 20], field: ['minSamples'] }],
  },
  client: {
    fields: { factory: onlyInvalid(5, 'f', null, {}), clientConfig: onlyInvalid(5, 'config', null, [], 5n) },
    notObject: fc.constantFrom<unknown>('bedrock', 5, 5n, true, [], null, Symbol('c')),
  },
  tracer: { valid: fc.constant(fakeTracer), invalid: fc.constantFrom<unknown>(5, {}, 'x') },
  slowFactor: real(1, 5, [0.5, 0, -1]),
  latencyMetric: bool,
  random: fn(() => 0.5),
  ...observer,
}
export const routerTree: Tree = { fields: { ...routerFields, clock: CLOCK } }

export const presetTree: Tree = {
  fields: {
    ...routerFields,
    clock: CLOCK,
    breaker: presetBreakerTree,
    backoff: { fields: { ...backoffFields, clock: CLOCK }, alsoValid: fc.constant(false) },
    fallback: { fields: fallbackFields, alsoValid: fc.constant(false) },
    degradation: { fields: { ...degradationFields, ...observer }, alsoValid: fc.constant(false) },
  },
  crossField: [
    // A probe's permit must outlive its attempt, or every probe is cut short and the breaker never closes.
    { set: [['breaker', 'permitLeaseMs'], 1_000], with: [['backoff', 'attemptTimeoutMs'], 30_000], field: ['breaker', 'permitLeaseMs'] },
  ],
}
