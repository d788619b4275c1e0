/**
 * Quota leases on the real DynamoDB protocol: containers (each a QuotaBook over its own DynamoDBQuotaStore and
 * client) race their takes for one target's minute over real HTTP against one table. Time is a shared fake clock,
 * so only the interleaving of requests is left to chance; every assertion holds for any interleaving.
 */
import { describe, expect, it } from '@jest/globals'
import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { QuotaBook, IDLE_MS, type Ticket } from '../../../src/core/admission/quota-book.js'
import { minuteOf, type QuotaLimit } from '../../../src/core/admission/quota.js'
import { DynamoDBQuotaStore } from '../../../src/aws/dynamodb/quota-store.js'
import { quotaKey, quotaUsed } from '../../../src/aws/dynamodb/items.js'
import type { TestDynamoDB } from '../../../tools/dynamodb-local/dynamodb.js'
import { useTable } from '../../support/dynamodb-table.js'

const T0 = 1_700_000_000_000 + 5_000
const KEY = 'anthropic.claude-3-haiku-20240307-v1:0@us-east-1'
let db!: TestDynamoDB
let table!: string
useTable(T0, (f) => ({ db, table } = f))

function containers(n: number, limit: QuotaLimit, clock: { now(): number }) {
  return Array.from({ length: n }, () => {
    const store = new DynamoDBQuotaStore({ tableName: table, client: db.client() })
    return { store, book: new QuotaBook({ store, clock, limits: new Map([[KEY, limit]]) }) }
  })
}

async function stored(minute: number): Promise<{ requests: number; tokens: number }> {
  const out = await db.client().send(new GetItemCommand({ TableName: table, Key: quotaKey(KEY, minute), ConsistentRead: true }))
  return out.Item ? quotaUsed(out.Item) : { requests: 0, tokens: 0 }
}

describe('DynamoDBQuotaStore: containers racing for one minute', () => {
  it('8 containers × 20 concurrent calls against 100 requests/minute: the fleet gets exactly 100, never a write per call', async () => {
    let t = T0
    const clock = { now: () => t }
    const fleet = containers(8, { requests: 100 }, clock)
    const tickets: Ticket[][] = fleet.map(() => [])
    const refused = fleet.map(() => 0)
    await Promise.all(fleet.flatMap(({ book }, i) => Array.from({ length: 20 }, async () => {
      const got = await book.reserve(KEY, { requests: 1, tokens: 500 }, clock.now())
      if (got === 'refused') refused[i]!++
      else tickets[i]!.push(got)
    })))
    const left = fleet.map(({ book }) => book.left(KEY, t).requests)
    // Whoever raced, the fleet was granted exactly the minute's limit: no more (the condition), no less (partial grants).
    expect(await stored(minuteOf(T0))).toEqual({ requests: 100, tokens: 0 })
    expect(tickets.flat().length + left.reduce((a, b) => a + b, 0)).toBe(100)
    // A container that refused a call held nothing: what the others still hold is theirs, at most a block each (10).
    for (const [i, n] of refused.entries()) if (n > 0) expect(left[i]).toBe(0)
    expect(Math.max(...left)).toBeLessThanOrEqual(10)
    const writes = fleet.reduce((n, c) => n + c.store.usage.takes, 0)
    expect(writes).toBeLessThan(60)
    // Every call ends unsent; once idle, whatever a container holds goes back.
    for (const [i, { book }] of fleet.entries()) for (const ticket of tickets[i]!) book.settle(ticket, 'unsent', t)
    t += IDLE_MS
    await Promise.all(fleet.map(({ book }) => book.release(t)))
    expect(await stored(minuteOf(T0))).toEqual({ requests: 0, tokens: 0 })
  })

  it('tokens too: the reply refunds what it did not use, the block goes back when idle, and the item says what was used', async () => {
    let t = T0
    const clock = { now: () => t }
    const fleet = containers(4, { requests: 1_000, tokens: 50_000 }, clock)
    let kept = 0
    for (let round = 0; round < 5; round++) {
      await Promise.all(fleet.map(async ({ book }) => {
        const got = await book.reserve(KEY, { requests: 1, tokens: 2_000 }, clock.now())
        if (got === 'refused') return
        book.settle(got, 700, clock.now())
        kept += 700
      }))
      t += 200
    }
    t += IDLE_MS
    await Promise.all(fleet.map(({ book }) => book.release(t)))
    expect(await stored(minuteOf(T0))).toEqual({ requests: 20, tokens: kept })
  })

  it('a table that cannot be reached: calls go on under local limits, the error is told, none escapes', async () => {
    const clock = { now: () => T0 }
    const errors: string[] = []
    const store = new DynamoDBQuotaStore({
      tableName: table, operationTimeoutMs: 200,
      client: db.client({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }),
    })
    const book = new QuotaBook({ store, clock, limits: new Map([[KEY, { requests: 3 }]]), onStoreError: (_e, _k, op) => errors.push(op) })
    const results = []
    for (let i = 0; i < 5; i++) results.push(await book.reserve(KEY, { requests: 1, tokens: 1 }, clock.now()))
    expect(results.filter((r) => r !== 'refused')).toHaveLength(3)
    expect(errors).toEqual(['quota-take'])
  })
})
