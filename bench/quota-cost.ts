/**
 * Quota lease cost: what a fleet of containers leasing one target's per-minute quota asks of its store, per
 * container-minute, and how much of the quota it serves. Simulated clock, in-process store (each take and give is
 * one DynamoDB UpdateItem with DynamoDBQuotaStore; a take that loses a conditional race costs one more each time).
 * Calls arrive at `rate` per second per container, each costing 1 request and 1 500 tokens, refunding 700.
 * Run: npm run bench:quota-cost
 */
import { QuotaBook } from '../src/core/admission/quota-book.js'
import { MemoryQuotaStore, type Amount, type QuotaLimit, type QuotaStore } from '../src/core/admission/quota.js'

const KEY = 'model@us-east-1'
const MINUTES = 3

interface Row { containers: number; rate: number; limit: QuotaLimit }
const ROWS: Row[] = [
  { containers: 1, rate: 1, limit: { requests: 100_000, tokens: 100_000_000 } },
  { containers: 1, rate: 10, limit: { requests: 100_000, tokens: 100_000_000 } },
  { containers: 10, rate: 1, limit: { requests: 100_000, tokens: 100_000_000 } },
  { containers: 10, rate: 10, limit: { requests: 100_000, tokens: 100_000_000 } },
  { containers: 100, rate: 1, limit: { requests: 100_000, tokens: 100_000_000 } },
  // Over the quota: 10 containers × 10/s = 6 000 calls a minute against 3 000.
  { containers: 10, rate: 10, limit: { requests: 3_000, tokens: 100_000_000 } },
  { containers: 10, rate: 10, limit: { requests: 100_000, tokens: 3_000_000 } },
]

class Counting implements QuotaStore {
  readonly inner = new MemoryQuotaStore()
  takes = 0
  gives = 0
  take(key: string, minute: number, want: Amount, limit: QuotaLimit): Promise<Amount> {
    this.takes++
    return this.inner.take(key, minute, want, limit)
  }
  give(key: string, minute: number, amount: Amount): Promise<void> {
    this.gives++
    return this.inner.give(key, minute, amount)
  }
}

const HEADER = ['containers', 'calls/s each', 'limit (RPM / TPM)', 'takes / container-min', 'gives / container-min',
  'writes / container-s', 'calls served', 'of the ceiling']
console.log(`| ${HEADER.join(' | ')} |`)
console.log(`|${'---|'.repeat(HEADER.length)}`)
for (const row of ROWS) {
  let t = Date.UTC(2026, 0, 1)
  const clock = { now: () => t }
  const store = new Counting()
  const books = Array.from({ length: row.containers }, () => new QuotaBook({ store, clock, limits: new Map([[KEY, row.limit]]) }))
  let served = 0
  let offered = 0
  const tickMs = 1_000 / row.rate
  for (let tick = 0; tick < MINUTES * 60 * row.rate; tick++) {
    for (const book of books) {
      offered++
      const got = await book.reserve(KEY, { requests: 1, tokens: 1_500 }, t)
      if (got === 'refused') continue
      served++
      book.settle(got, 800, t)
    }
    t += tickMs
  }
  await Promise.all(books.map((b) => b.release(t + 20_000)))
  // The ceiling: what the limits let through in MINUTES minutes (800 tokens kept per call), or the offered load.
  const byRequests = (row.limit.requests ?? Infinity) * MINUTES
  const byTokens = row.limit.tokens === undefined ? Infinity : Math.floor(((row.limit.tokens - 1_500) / 800 + 1) * MINUTES)
  const ceiling = Math.min(offered, byRequests, byTokens)
  const perMinute = (n: number): string => (n / row.containers / MINUTES).toFixed(1)
  const perSecond = ((store.takes + store.gives) / row.containers / (MINUTES * 60)).toFixed(3)
  const limit = `${row.limit.requests ?? '–'} / ${row.limit.tokens ?? '–'}`
  const share = `${((100 * served) / ceiling).toFixed(1)} %`
  const cells = [row.containers, row.rate, limit, perMinute(store.takes), perMinute(store.gives), perSecond, served, share]
  console.log(`| ${cells.join(' | ')} |`)
}
