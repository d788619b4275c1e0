/**
 * The adaptive throttle fed by the fleet, on the real DynamoDB protocol: simulated Lambda containers, each a
 * circuitBreaker() part over its own DynamoDBBreakerStore and client, share one table; time is a FakeClock, the
 * requests are real HTTP and race for real. Each call goes the way the cascade sends it: sync, admit, breaker.run.
 */
import { describe, expect, it } from '@jest/globals'
import { DynamoDBBreakerStore } from '../../../src/aws/dynamodb/store.js'
import { MIN_REQUESTS, type AdaptiveThrottle } from '../../../src/core/admission/adaptive-throttle.js'
import { REPORT_INTERVAL_MS } from '../../../src/core/admission/fleet-feed.js'
import type { CircuitBreaker } from '../../../src/core/breaker/circuit-breaker.js'
import type { Clock } from '../../../src/core/clock.js'
import { breakerPart } from '../../../src/middlewares/circuit-breaker.js'
import { seededRandom } from '../../../tools/fake-bedrock/fake-bedrock.js'
import type { TestDynamoDB } from '../../../tools/dynamodb-local/dynamodb.js'
import { useTable } from '../../support/dynamodb-table.js'
import type { FakeClock } from '../../support/fake-clock.js'

const T0 = 1_700_000_000_250
const KEY = 'anthropic.claude-3-haiku-20240307-v1:0@us-east-1'
let db!: TestDynamoDB
let table!: string
let clock!: FakeClock
useTable(T0, (f) => ({ db, table, clock } = f))

interface Container {
  readonly dynamo: DynamoDBBreakerStore
  readonly breaker: CircuitBreaker
  readonly throttle: AdaptiveThrottle
  readonly random: () => number
  shed: number
}

function container(i: number, fleet: boolean): Container {
  const c: Clock = clock
  // A generous budget: DynamoDB Local on a loaded test host is slower than the table; the budget is tested elsewhere.
  const dynamo = new DynamoDBBreakerStore({ tableName: table, client: db.client(), clock: c, operationTimeoutMs: 5_000 })
  const part = breakerPart({ store: dynamo, clock: c, admission: { fleet } })
  return { dynamo, breaker: part.breaker, throttle: part.admission as AdaptiveThrottle, random: seededRandom(100 + i), shed: 0 }
}

/** One call the way the cascade makes it; `throttled` says whether the target answers it with a 429. */
async function call(x: Container, key: string, throttled: (x: Container) => boolean): Promise<'shed' | '429' | 'ok' | 'refused'> {
  let now = clock.now()
  const syncing = x.throttle.sync(key, now)
  if (syncing !== undefined) now = await syncing.then(() => clock.now())
  if (!x.throttle.admit(key, now, x.random)) {
    x.shed++
    return 'shed'
  }
  return x.breaker.run<'429' | 'ok' | 'refused'>(key, async () => {
    if (throttled(x)) {
      x.throttle.throttled(key, clock.now())
      return { verdict: 'release', value: '429' }
    }
    x.throttle.accepted(key, clock.now())
    return { verdict: 'success', value: 'ok' }
  }, () => {
    x.throttle.refused(key, now)
    return 'refused'
  }, now)
}

/** `calls` rounds of traffic: every container calls every `everyMs`, all at once (real races on the table). */
async function traffic(fleet: readonly Container[], key: string, calls: number, everyMs: number, throttled: (x: Container) => boolean) {
  for (let round = 0; round < calls; round++) {
    await Promise.all(fleet.map((x) => call(x, key, throttled)))
    await clock.advance(everyMs)
  }
}

describe('a fleet of quiet containers against a throttling target', () => {
  it('10 containers at 3 calls/s, 70 % throttled: fed, each sheds a share within 3 s; alone none (9 calls < MIN_REQUESTS)', async () => {
    expect(3 * 3).toBeLessThan(MIN_REQUESTS)
    const seventyPercent = (x: Container): boolean => x.random() < 0.7
    const alone = Array.from({ length: 10 }, (_, i) => container(i, false))
    await traffic(alone, `alone-${KEY}`, 9, 333, seventyPercent)
    expect(alone.map((x) => x.shed)).toEqual(Array(10).fill(0))
    expect(alone.every((x) => x.throttle.sheddingRate(`alone-${KEY}`, clock.now()) === 0)).toBe(true)
    expect(alone.every((x) => x.dynamo.admissionFeed.usage.reports === 0)).toBe(true)

    const started = clock.now()
    const fed = Array.from({ length: 10 }, (_, i) => container(i, true))
    await traffic(fed, KEY, 9, 333, seventyPercent)
    // Every container judges the target by the fleet's window, so every one sheds a share of its calls (in this
    // run: 15 of 90 calls, rates 0.16 to 0.40 at the end; the 9 alone shed nothing at rate 0).
    const rates = fed.map((x) => x.throttle.sheddingRate(KEY, clock.now()))
    expect(rates.every((p) => p >= 0.1)).toBe(true)
    const shed = fed.reduce((n, x) => n + x.shed, 0)
    expect(shed).toBeGreaterThanOrEqual(9)
    // The cost: at most one exchange (a Query, and an UpdateItem with something to add) per container-second.
    const seconds = Math.ceil((clock.now() - started) / REPORT_INTERVAL_MS)
    for (const x of fed) {
      expect(x.dynamo.admissionFeed.usage.reports).toBeLessThanOrEqual(seconds)
      expect(x.dynamo.admissionFeed.usage.queries).toBe(x.dynamo.admissionFeed.usage.reports)
      expect(x.dynamo.admissionFeed.usage.updates).toBeLessThanOrEqual(x.dynamo.admissionFeed.usage.reports)
    }
  }, 60_000)
})

describe('the happy path', () => {
  it('no 429: not one DynamoDB request more than with admission: { fleet: false }; after one 429, a window of exchanges', async () => {
    const fed = Array.from({ length: 4 }, (_, i) => container(i, true))
    const alone = Array.from({ length: 4 }, (_, i) => container(i, false))
    const never = (): boolean => false
    // 20 s at 3 calls/s, the two fleets side by side on two targets: every breaker read and flush is the same.
    for (let t = 0; t < 20_000; t += 333) {
      await Promise.all([...fed.map((x) => call(x, KEY, never)), ...alone.map((x) => call(x, `alone-${KEY}`, never))])
      await clock.advance(333)
    }
    expect(fed.map((x) => x.dynamo.usage)).toEqual(alone.map((x) => x.dynamo.usage))
    expect(fed.every((x) => x.dynamo.admissionFeed.usage.reports === 0)).toBe(true)

    // One 429 to container 0: it exchanges at most once a second for a window (5 s), then stops; the others never do.
    const one = fed[0] as Container
    await call(one, KEY, () => true)
    const from = clock.now()
    for (let t = 0; t < 10_000; t += 100) {
      await Promise.all(fed.map((x) => call(x, KEY, never)))
      await clock.advance(100)
    }
    expect(one.dynamo.admissionFeed.usage.reports).toBeGreaterThanOrEqual(4)
    expect(one.dynamo.admissionFeed.usage.reports).toBeLessThanOrEqual(5)
    expect(fed.slice(1).every((x) => x.dynamo.admissionFeed.usage.reports === 0)).toBe(true)
    expect(clock.now() - from).toBeGreaterThanOrEqual(2 * one.throttle.policy.windowMs)
  }, 60_000)
})
