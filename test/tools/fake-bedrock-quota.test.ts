/** The fake's quota arithmetic on a fake clock: refill, charge, refund, capacity changes, never below zero. */
import fc from 'fast-check'
import { Bucket, QuotaBook, type Admission, type QuotaCharge } from '../../tools/fake-bedrock/fake-bedrock-quota.js'

const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0'
const EAST = 'us-east-1'
const WEST = 'us-west-2'

function book(): { quotas: QuotaBook; advance: (ms: number) => void } {
  let now = 1_000_000
  return { quotas: new QuotaBook(() => now), advance: (ms) => { now += ms } }
}

const call = (over: Partial<QuotaCharge> = {}): QuotaCharge => ({ model: MODEL, region: EAST, inputTokens: 10, maxTokens: 90, ...over })
const admitted = (a: Admission): boolean => a.admitted

describe('Bucket', () => {
  it('starts full, refills continuously and never goes above capacity', () => {
    const b = new Bucket(60, 60, 0) // 1 a second, 60 held
    expect(b.levelAt(0)).toBe(60)
    b.take(60, 0)
    expect(b.levelAt(500)).toBeCloseTo(0.5)
    expect(b.levelAt(10_000)).toBeCloseTo(10)
    expect(b.levelAt(1_000_000)).toBe(60)
  })

  it('burstSeconds sets the capacity; requests keep room for one call however short the burst', () => {
    expect(new Bucket(600, 5, 0).levelAt(0)).toBeCloseTo(50)
    expect(new Bucket(6, 1, 0, 1).levelAt(0)).toBe(1)
  })

  it('never goes below zero or above capacity, whatever is taken, given and resized', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('take' as const), n: fc.double({ min: 0, max: 500, noNaN: true }) }),
      fc.record({ kind: fc.constant('give' as const), n: fc.double({ min: 0, max: 500, noNaN: true }) }),
      fc.record({ kind: fc.constant('resize' as const), n: fc.double({ min: 0, max: 1000, noNaN: true }) }),
    )
    fc.assert(fc.property(fc.array(fc.tuple(op, fc.nat(5_000))), (ops) => {
      const b = new Bucket(120, 30, 0)
      let now = 0
      let capacity = 60
      for (const [o, dt] of ops) {
        now += dt
        if (o.kind === 'take') b.take(o.n, now)
        if (o.kind === 'give') b.give(o.n, now)
        if (o.kind === 'resize') { b.resize(o.n, 30, now); capacity = (o.n / 60) * 30 }
        const level = b.levelAt(now)
        expect(level).toBeGreaterThanOrEqual(0)
        expect(level).toBeLessThanOrEqual(capacity + 1e-9)
      }
    }))
  })
})

describe('QuotaBook', () => {
  it('admits every call no quota matches', () => {
    const { quotas } = book()
    quotas.replace([{ region: WEST, requestsPerMinute: 0 }])
    for (let i = 0; i < 100; i++) expect(admitted(quotas.admit(call()))).toBe(true)
    expect(quotas.headroom(MODEL, EAST)).toBeUndefined()
  })

  it('throttles by requests per minute, then admits again as the bucket refills', () => {
    const { quotas, advance } = book()
    quotas.replace([{ requestsPerMinute: 6, burstSeconds: 30 }]) // 1 every 10 s, 3 held
    expect([1, 2, 3, 4].map(() => quotas.admit(call()))).toEqual([
      expect.objectContaining({ admitted: true }), expect.objectContaining({ admitted: true }),
      expect.objectContaining({ admitted: true }), { admitted: false, bound: 'requests' },
    ])
    advance(9_999)
    expect(quotas.admit(call())).toEqual({ admitted: false, bound: 'requests' })
    advance(1)
    expect(admitted(quotas.admit(call()))).toBe(true)
    expect(quotas.headroom(MODEL, EAST)).toEqual({ requests: 0, tokens: undefined })
  })

  it('charges input + maxTokens at admission and refunds the unused output when the call settles', () => {
    const { quotas } = book()
    quotas.replace([{ tokensPerMinute: 600 }]) // 600 held
    const a = quotas.admit(call({ inputTokens: 100, maxTokens: 400 }))
    expect(quotas.headroom(MODEL, EAST)?.tokens).toBe(100)
    expect(quotas.admit(call({ inputTokens: 1, maxTokens: 100 }))).toEqual({ admitted: false, bound: 'tokens' })
    if (!a.admitted) throw new Error('expected an admission')
    a.settle(50)
    expect(quotas.headroom(MODEL, EAST)?.tokens).toBe(450)
    a.settle(0) // settled once only
    expect(quotas.headroom(MODEL, EAST)?.tokens).toBe(450)
  })

  it('a throttled call is charged nothing, in either bucket', () => {
    const { quotas } = book()
    quotas.replace([{ requestsPerMinute: 60, tokensPerMinute: 300 }])
    expect(quotas.admit(call({ inputTokens: 200, maxTokens: 200 }))).toEqual({ admitted: false, bound: 'tokens' })
    expect(quotas.headroom(MODEL, EAST)).toEqual({ requests: 60, tokens: 300 })
  })

  it('keeps one pair of buckets per model and region, even under a rule that matches all of them', () => {
    const { quotas } = book()
    quotas.replace([{ requestsPerMinute: 1 }])
    expect(admitted(quotas.admit(call()))).toBe(true)
    expect(admitted(quotas.admit(call()))).toBe(false)
    expect(admitted(quotas.admit(call({ region: WEST })))).toBe(true)
    expect(admitted(quotas.admit(call({ model: 'other' })))).toBe(true)
  })

  it('takes the first rule that matches', () => {
    const { quotas } = book()
    quotas.replace([{ region: EAST, requestsPerMinute: 1 }, { requestsPerMinute: 100 }])
    expect(quotas.headroom(MODEL, EAST)?.requests).toBe(1)
    expect(quotas.headroom(MODEL, WEST)?.requests).toBe(100)
  })

  it('a capacity change mid-run keeps the level (clamped) and refills at the new rate from then on', () => {
    const { quotas, advance } = book()
    quotas.replace([{ requestsPerMinute: 60 }]) // 60 held, 1 a second
    for (let i = 0; i < 40; i++) quotas.admit(call())
    advance(10_000) // 20 + 10
    quotas.replace([{ requestsPerMinute: 18 }]) // a cut to 30 %: 18 held, 0.3 a second
    expect(quotas.headroom(MODEL, EAST)?.requests).toBeCloseTo(18)
    for (let i = 0; i < 18; i++) expect(admitted(quotas.admit(call()))).toBe(true)
    expect(quotas.admit(call())).toEqual({ admitted: false, bound: 'requests' })
    advance(10_000)
    expect(quotas.headroom(MODEL, EAST)?.requests).toBeCloseTo(3)
    quotas.replace([{ requestsPerMinute: 60 }]) // restored: the level carries over, the faster refill starts now
    expect(quotas.headroom(MODEL, EAST)?.requests).toBeCloseTo(3)
    advance(10_000)
    expect(quotas.headroom(MODEL, EAST)?.requests).toBeCloseTo(13)
  })

  it('forgets the buckets of a model and region no rule limits any more; they start full when limited again', () => {
    const { quotas } = book()
    quotas.replace([{ requestsPerMinute: 2 }])
    quotas.admit(call())
    quotas.admit(call())
    quotas.replace([])
    expect(quotas.headroom(MODEL, EAST)).toBeUndefined()
    quotas.replace([{ requestsPerMinute: 2 }])
    expect(quotas.headroom(MODEL, EAST)?.requests).toBe(2)
  })

  it('a refund after a cut is clamped to the new capacity', () => {
    const { quotas } = book()
    quotas.replace([{ tokensPerMinute: 1000 }])
    const a = quotas.admit(call({ inputTokens: 0, maxTokens: 1000 }))
    quotas.replace([{ tokensPerMinute: 300 }])
    if (a.admitted) a.settle(0)
    expect(quotas.headroom(MODEL, EAST)?.tokens).toBe(300)
  })

  it('rejects a negative or non-finite rate, and a burst that is not positive', () => {
    const { quotas } = book()
    expect(() => quotas.replace([{ requestsPerMinute: -1 }])).toThrow(/requestsPerMinute/)
    expect(() => quotas.replace([{ tokensPerMinute: Number.NaN }])).toThrow(/tokensPerMinute/)
    expect(() => quotas.replace([{ requestsPerMinute: 1, burstSeconds: 0 }])).toThrow(/burstSeconds/)
  })
})
