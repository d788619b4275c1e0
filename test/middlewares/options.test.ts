/**
 * Option checks at creation time: every middleware and the preset throw a BreakwaterConfigError whose `field` names
 * the bad option (and whose `source` names the middleware), before any request is served.
 */
import { BreakwaterConfigError } from '../../src/core/errors.js'
import { backoff } from '../../src/middlewares/backoff.js'
import { breakwater } from '../../src/middlewares/breakwater.js'
import { circuitBreaker } from '../../src/middlewares/circuit-breaker.js'
import { fallback } from '../../src/middlewares/fallback.js'
import { gracefulDegradation } from '../../src/middlewares/graceful-degradation.js'
import { router } from '../../src/middlewares/router.js'

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0'
const routes = { default: [`${HAIKU}@us-east-1`, `${HAIKU}@us-west-2`] }

/** The factories with their option types loosened: these tests pass what the types would reject. */
type Factory = (options?: unknown) => unknown
const make = {
  preset: breakwater as Factory,
  router: router as Factory,
  circuitBreaker: circuitBreaker as Factory,
  backoff: backoff as Factory,
  fallback: fallback as Factory,
  gracefulDegradation: gracefulDegradation as Factory,
}

/** `source` and `field` of the BreakwaterConfigError `fn` throws; fails the test if it throws anything else. */
function rejection(fn: () => unknown): { source: string; field: string } {
  try {
    fn()
  } catch (error) {
    if (!(error instanceof BreakwaterConfigError)) throw error
    expect(error.message).toContain(`option "${error.field}"`)
    return { source: error.source, field: error.field }
  }
  throw new Error('expected a BreakwaterConfigError, nothing was thrown')
}

const logger = { debug() {}, info() {}, warn() {}, error() {} }
const metrics = { addMetric() {} }

describe('unknown keys are rejected, naming the option', () => {
  it.each([
    ['preset top level', () => make.preset({ routes, retries: 3 }), 'breakwater', 'retries'],
    ['preset breaker', () => make.preset({ routes, breaker: { cooldown: 5 } }), 'breakwater/circuit-breaker', 'breaker.cooldown'],
    ['preset backoff', () => make.preset({ routes, backoff: { retries: 3 } }), 'breakwater/backoff', 'backoff.retries'],
    ['preset retry budget', () => make.preset({ routes, backoff: { retryBudget: { percent: 20 } } }),
      'breakwater/backoff', 'backoff.retryBudget.percent'],
    ['preset fallback', () => make.preset({ routes, fallback: { nextRegion: true } }), 'breakwater/fallback', 'fallback.nextRegion'],
    ['preset degradation', () => make.preset({ routes, degradation: { retryAfter: 5 } }),
      'breakwater/graceful-degradation', 'degradation.retryAfter'],
    ['router', () => make.router({ routes, weights: { default: 1 } }), 'breakwater/router', 'weights'],
    ['router route object', () => make.router({ routes: { chat: { targets: routes.default, weight: 2 } } }),
      'breakwater/router', 'routes.chat.weight'],
    ['router target', () => make.router({ routes: { chat: [{ model: HAIKU, region: 'us-east-1', tokens: 5 }] } }),
      'breakwater/router', 'routes.chat[0].tokens'],
    ['circuitBreaker', () => make.circuitBreaker({ threshold: 0.5 }), 'breakwater/circuit-breaker', 'breaker.threshold'],
    ['backoff', () => make.backoff({ maxRetries: 2 }), 'breakwater/backoff', 'backoff.maxRetries'],
    ['backoff retryBudget', () => make.backoff({ retryBudget: { ratio: 0.1, burst: 3 } }), 'breakwater/backoff', 'retryBudget.burst'],
    ['fallback', () => make.fallback({ maxTruncation: 1 }), 'breakwater/fallback', 'fallback.maxTruncation'],
    ['gracefulDegradation', () => make.gracefulDegradation({ mesage: 'typo' }), 'breakwater/graceful-degradation', 'mesage'],
  ])('%s', (_name, fn, source, field) => {
    expect(rejection(fn)).toEqual({ source, field })
  })
})

describe('routes', () => {
  it.each([
    ['missing', {}, 'routes'],
    ['empty', { routes: {} }, 'routes'],
    ['an empty cascade', { routes: { default: [] } }, 'routes.default'],
    ['a target without region', { routes: { default: [HAIKU] } }, 'routes.default[0]'],
    ['a bad region', { routes: { default: [`${HAIKU}@mars-1`] } }, 'routes.default[0].region'],
    ['a zero maxTokens', { routes: { default: [{ model: HAIKU, region: 'us-east-1', maxTokens: 0 }] } }, 'routes.default[0].maxTokens'],
    ['a defaultRoute naming a missing route', { routes, defaultRoute: 'chat' }, 'defaultRoute'],
  ])('router and preset reject %s', (_name, options, field) => {
    expect(rejection(() => make.router(options))).toEqual({ source: 'breakwater/router', field })
    expect(rejection(() => make.preset(options))).toEqual({ source: 'breakwater/router', field })
  })

  it('rejects an invokeModel route mixing model families at creation', () => {
    const mixed = { raw: { targets: [`${HAIKU}@us-east-1`, 'amazon.nova-micro-v1:0@us-east-1'], invokeModel: true } }
    expect(rejection(() => make.router({ routes: mixed }))).toEqual({ source: 'breakwater/router', field: 'routes.raw.targets' })
  })
})

describe('numbers out of range', () => {
  it.each([
    ['negative cooldownMs', { cooldownMs: -1 }, 'breaker.cooldownMs'],
    ['negative windowMs', { windowMs: -60_000 }, 'breaker.windowMs'],
    ['threshold 0', { failureRateThreshold: 0 }, 'breaker.failureRateThreshold'],
    ['threshold above 1', { failureRateThreshold: 1.01 }, 'breaker.failureRateThreshold'],
    ['threshold as a percentage', { failureRateThreshold: 50 }, 'breaker.failureRateThreshold'],
    ['probe stages not increasing', { probeStages: [1, 5, 5] }, 'breaker.probeStages'],
    ['probe stages decreasing', { probeStages: [10, 5, 1] }, 'breaker.probeStages'],
    ['empty probe stages', { probeStages: [] }, 'breaker.probeStages'],
    ['maxCooldownMs below cooldownMs', { cooldownMs: 60_000, maxCooldownMs: 30_000 }, 'breaker.maxCooldownMs'],
    ['fractional consecutiveFailures', { consecutiveFailures: 2.5 }, 'breaker.consecutiveFailures'],
    ['an uncountable failure class', { failureClasses: ['caller-fault'] }, 'breaker.failureClasses'],
  ])('circuitBreaker: %s', (_name, options, field) => {
    expect(rejection(() => make.circuitBreaker(options))).toEqual({ source: 'breakwater/circuit-breaker', field })
  })

  it.each([
    ['negative baseMs', { baseMs: -100 }, 'backoff.baseMs'],
    ['negative throttleBaseMs', { throttleBaseMs: -1 }, 'backoff.throttleBaseMs'],
    ['negative reserveMs', { reserveMs: -300 }, 'backoff.reserveMs'],
    ['reserveMs over a minute', { reserveMs: 60_001 }, 'backoff.reserveMs'],
    ['reserveMs in the wrong unit (15 min)', { reserveMs: 900_000 }, 'backoff.reserveMs'],
    ['capMs past Lambda\'s 900 s', { capMs: 900_001 }, 'backoff.capMs'],
    ['zero attemptTimeoutMs', { attemptTimeoutMs: 0 }, 'backoff.attemptTimeoutMs'],
    ['maxAttempts 0', { maxAttempts: 0 }, 'backoff.maxAttempts'],
    ['NaN minAttemptMs', { minAttemptMs: Number.NaN }, 'backoff.minAttemptMs'],
    ['budget ratio above 10', { retryBudget: { ratio: 11 } }, 'retryBudget.ratio'],
    ['budget window not whole seconds', { retryBudget: { windowMs: 1_500 } }, 'retryBudget.windowMs'],
  ])('backoff: %s', (_name, options, field) => {
    expect(rejection(() => make.backoff(options))).toEqual({ source: 'breakwater/backoff', field })
  })

  it('accepts the boundaries: reserveMs 60 000, threshold 1, a single probe stage', () => {
    expect(() => make.backoff({ reserveMs: 60_000, baseMs: 0 })).not.toThrow()
    expect(() => make.circuitBreaker({ failureRateThreshold: 1, probeStages: [1], cooldownMs: 0 })).not.toThrow()
  })

  it.each([
    ['factor 0', { timeoutMaxTokensFactor: 0 }, 'fallback.timeoutMaxTokensFactor'],
    ['factor above 1', { timeoutMaxTokensFactor: 1.5 }, 'fallback.timeoutMaxTokensFactor'],
    ['negative malformedRetries', { malformedRetries: -1 }, 'fallback.malformedRetries'],
    ['nextTarget as a string', { nextTarget: 'yes' }, 'fallback.nextTarget'],
  ])('fallback: %s', (_name, options, field) => {
    expect(rejection(() => make.fallback(options))).toEqual({ source: 'breakwater/fallback', field })
  })

  it.each([
    ['negative retryAfterSeconds', { retryAfterSeconds: -1 }, 'retryAfterSeconds'],
    ['fractional retryAfterSeconds', { retryAfterSeconds: 2.5 }, 'retryAfterSeconds'],
    ['blank message', { message: '   ' }, 'message'],
    ['reply not a function', { reply: 'busy' }, 'reply'],
  ])('gracefulDegradation: %s', (_name, options, field) => {
    expect(rejection(() => make.gracefulDegradation(options))).toEqual({ source: 'breakwater/graceful-degradation', field })
  })
})

describe('logger, metrics, clock and store must have the right shape', () => {
  it.each([
    ['router logger without debug', () => make.router({ routes, logger: { info() {}, warn() {} } }), 'breakwater/router', 'logger'],
    ['router metrics as a string', () => make.router({ routes, metrics: 'cloudwatch' }), 'breakwater/router', 'metrics'],
    ['router clock without sleep', () => make.router({ routes, clock: { now: () => 0 } }), 'breakwater/router', 'clock'],
    ['preset logger = console.log', () => make.preset({ routes, logger: console.log }), 'breakwater/router', 'logger'],
    ['preset metrics without addMetric', () => make.preset({ routes, metrics: { putMetric() {} } }), 'breakwater/router', 'metrics'],
    ['circuitBreaker logger', () => make.circuitBreaker({ logger: {} }), 'breakwater/circuit-breaker', 'logger'],
    ['circuitBreaker metrics', () => make.circuitBreaker({ metrics: { addMetric: true } }), 'breakwater/circuit-breaker', 'metrics'],
    ['circuitBreaker store', () => make.circuitBreaker({ store: { read() {} } }), 'breakwater/circuit-breaker', 'store'],
    ['backoff clock', () => make.backoff({ clock: Date }), 'breakwater/backoff', 'clock'],
    ['gracefulDegradation logger without warn', () => make.gracefulDegradation({ logger: { error() {} } }),
      'breakwater/graceful-degradation', 'logger'],
    ['gracefulDegradation metrics', () => make.gracefulDegradation({ metrics: null }), 'breakwater/graceful-degradation', 'metrics'],
  ])('%s', (_name, fn, source, field) => {
    expect(rejection(fn)).toEqual({ source, field })
  })

  it('accepts duck-typed loggers and metrics everywhere, and every middleware can be left out of the preset', () => {
    const stack = make.preset({ routes, logger, metrics, breaker: false, backoff: false, fallback: false, degradation: false })
    // The preset compiles its engine at creation: one `before` that opens the invocation, plus the onError reply.
    expect((stack as { name?: string }[]).map((m) => m.name)).toEqual(['breakwater'])
    const full = make.preset({ routes, logger, metrics }) as { name?: string }[]
    expect(full.map((m) => m.name)).toEqual(['breakwater', 'breakwater-graceful-degradation'])
  })

  it('rejects options that are not an object', () => {
    expect(rejection(() => make.preset(null))).toEqual({ source: 'breakwater', field: 'options' })
    expect(rejection(() => make.router(['default']))).toEqual({ source: 'breakwater/router', field: 'options' })
    expect(rejection(() => make.backoff({ retryBudget: 0.2 }))).toEqual({ source: 'breakwater/backoff', field: 'retryBudget' })
  })
})

describe('options that are missing or of the wrong kind', () => {
  it('circuitBreaker() checks its clock like router() and backoff() do', () => {
    expect(rejection(() => make.circuitBreaker({ clock: 5 }))).toEqual({ source: 'breakwater/circuit-breaker', field: 'clock' })
  })

  it('breakwater() with no options names routes', () => {
    expect(rejection(() => make.preset()).field).toBe('routes')
  })

  it('backoff(null), fallback(null) and circuitBreaker(null) are config errors like router(null)', () => {
    expect(rejection(() => make.backoff(null)).field).toBe('options')
    expect(rejection(() => make.fallback(null)).field).toBe('options')
    expect(rejection(() => make.circuitBreaker(null)).field).toBe('options')
  })

  it('names every option a circuitBreaker knows when a key is unknown', () => {
    expect(() => make.circuitBreaker({ stor: {} })).toThrow(/known: .*store, slowCallMs, failureClasses, admission, clock, logger, metrics/)
  })
})

describe('the invalid options issue 10 found accepted (each now names its field)', () => {
  const table = { tableName: 'breaker-table' }
  const cases: [string, unknown, string][] = [
    ['client: { clientconfig }', { routes, client: { clientconfig: {} } }, 'client.clientconfig'],
    ["client: 'bedrock'", { routes, client: 'bedrock' }, 'client'],
    ['client: { clientConfig: 5 }', { routes, client: { clientConfig: 5 } }, 'client.clientConfig'],
    ['dynamodb: { refreshMS }', { routes, breaker: { ...table, dynamodb: { refreshMS: 1000 } } }, 'breaker.dynamodb.refreshMS'],
    ["dynamodb: 'fast'", { routes, breaker: { ...table, dynamodb: 'fast' } }, 'breaker.dynamodb'],
    ['fallback: { toString: 5 }', { routes, fallback: { toString: 5 } }, 'fallback.toString'],
    ['a JSON-parsed __proto__ key', { routes, fallback: JSON.parse('{"__proto__": {"nextTarget": false}}') as unknown },
      'fallback.__proto__'],
    ['random: 5', { routes, random: 5 }, 'random'],
    ['a BigInt', { routes, breaker: { cooldownMs: 10n } }, 'breaker.cooldownMs'],
    ['a Symbol in probeStages', { routes, breaker: { probeStages: [1, Symbol('x')] } }, 'breaker.probeStages'],
    ['a BigInt rule route', { routes, rules: [{ route: 1n, when: { tier: 'a' } }] }, 'rules[0].route'],
    ['permitLeaseMs below the attempt timeout', { routes, breaker: { permitLeaseMs: 1_000 }, backoff: { attemptTimeoutMs: 30_000 } },
      'breaker.permitLeaseMs'],
    ['timeoutMaxTokens: 0', { routes, fallback: { timeoutMaxTokens: 0 } }, 'fallback.timeoutMaxTokens'],
    ['cooldownMs: 1e300', { routes, breaker: { cooldownMs: 1e300, maxCooldownMs: 1e300 } }, 'breaker.cooldownMs'],
  ]
  it.each(cases)('%s', (_name, options, field) => {
    expect(rejection(() => make.preset(options)).field).toBe(field)
  })

  it('a hand-composed stack checks the lease against the attempt timeout on its first invocation', async () => {
    const { default: middy } = await import('@middy/core')
    const handler = middy(async () => 'ok')
      .use(router({ routes }))
      .use(circuitBreaker({ permitLeaseMs: 1_000 }))
      .use(backoff({ attemptTimeoutMs: 30_000 }))
    await expect(handler({}, {} as never)).rejects.toMatchObject({ name: 'BreakwaterConfigError', field: 'breaker.permitLeaseMs' })
  })

  it('a lease left at its default grows with a longer attempt timeout in the preset', () => {
    expect(() => make.preset({ routes, backoff: { attemptTimeoutMs: 120_000 } })).not.toThrow()
  })
})
