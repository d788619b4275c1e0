/**
 * The queue path through a full outage, every part on a real wire: the request function and the worker (the real
 * breakwater() stack, Powertools batch and idempotency) against the fake Bedrock over HTTP/2, the shared breaker,
 * the results and the idempotency records on DynamoDB Local, the request queue and its DLQ on fauxqs (SQS), and an
 * event-source mapping that long-polls the queue as Lambda's does (MaximumConcurrency 2).
 *
 * Every region answers 503 for OUTAGE_S while requests arrive; each is accepted (202) and queued. The worker
 * waits for the breaker: records come back when it next reopens. When Bedrock returns, the probe ramp lets them
 * through. Nothing is lost, Bedrock answers each request exactly once, and the DLQ stays empty although the queue's
 * maxReceiveCount (5) is far below the dozen reopens of a 60 s outage: a record received 3 times is requeued as a
 * fresh copy. Every result comes in after the recovery; how soon is not asserted here (a shared, noisy machine):
 * `npm run bench:queue` measures it (the target: within two probe intervals of the fleet cooldown, 10 s).
 */
import { describe, expect, it, jest } from '@jest/globals'
import type { FakeBedrock } from '../../tools/fake-bedrock/fake-bedrock.js'
import { startQueueRig } from '../../bench/queue/rig.js'
import { useFakeBedrockServer } from '../support/fake-bedrock-server.js'
import { useTable, type TableFixture } from '../support/dynamodb-table.js'
import { httpApiEvent } from '../support/events.js'
import { at, countdown, EAST, pause, WEST } from '../support/scenario.js'

/** The numbers: a 60 s outage, 200 requests accepted during it. */
const OUTAGE_S = Number(process.env.QUEUE_OUTAGE_S ?? 60)
const REQUESTS = Number(process.env.QUEUE_REQUESTS ?? 200)

let server!: FakeBedrock
useFakeBedrockServer((s) => { server = s })
let fx!: TableFixture
useTable(0, (f) => { fx = f })

describe('accept and queue through a full outage', () => {
  jest.setTimeout((OUTAGE_S + 90) * 1000)

  it(`${REQUESTS} requests in a ${OUTAGE_S} s outage: none lost, each paid once, DLQ empty, all served soon after recovery`, async () => {
    const rig = await startQueueRig({ bedrock: server, dynamo: fx.db, route: { default: [at(EAST), at(WEST)] } })
    server.plan([{ kind: 'unavailable' }])
    const outageEndsAt = Date.now() + OUTAGE_S * 1000
    const recover = setTimeout(() => server.plan([]), OUTAGE_S * 1000)
    rig.mapping.start()
    const ids: string[] = []
    try {
      // Arrivals over the first two thirds of the outage, on schedule, each answered in its own time.
      const spacing = (OUTAGE_S * 1000 * 2) / 3 / REQUESTS
      const replies = await Promise.all(Array.from({ length: REQUESTS }, async (_, i) => {
        await pause(i * spacing)
        const event = { ...httpApiEvent(), body: JSON.stringify({ prompt: `question #${i}` }) }
        return (await rig.front(event, countdown(10_000).context)) as { statusCode: number; body: string }
      }))
      expect(replies.map((r) => r.statusCode)).toEqual(replies.map(() => 202))
      expect(Date.now()).toBeLessThan(outageEndsAt)
      ids.push(...replies.map((r) => (JSON.parse(r.body) as { requestId: string }).requestId))
      // Polls until every result is in; gives up long after any plausible drain (the timing is bench:queue's).
      const giveUpAt = outageEndsAt + 45_000
      let pending = ids
      while (pending.length > 0 && Date.now() < giveUpAt) {
        await pause(250)
        const read = async (id: string) => JSON.parse((await rig.status({ pathParameters: { id } })).body) as { status: string }
        const outcomes = await Promise.all(pending.map(read))
        pending = pending.filter((_, i) => outcomes[i]?.status !== 'done')
      }
      expect(pending).toEqual([])
    } finally {
      clearTimeout(recover)
      await rig.mapping.stop()
    }
    // Paid once per request: one answered Converse call per request, whatever was retried or redelivered.
    const answered = server.calls.filter((c) => c.status === 200)
    expect(answered).toHaveLength(REQUESTS)
    expect(new Set(answered.map((c) => JSON.stringify(c.body))).size).toBe(REQUESTS)
    expect(await rig.depth()).toEqual({ queue: 0, dlq: 0 })
    await rig.stop()
  })
})
