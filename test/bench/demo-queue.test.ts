/** The queue demo's story holds: accepted during the outage, answered at the status URL after it, once each. */
import { describe, expect, it, jest } from '@jest/globals'
import { runQueueDemo } from '../../bench/demo-queue.js'

describe('npm run demo -- queue-when-open', () => {
  jest.setTimeout(60_000)

  it('accepts every request during the outage (202), serves each once after it, leaves the DLQ empty', async () => {
    const lines: string[] = []
    const result = await runQueueDemo({ outageMs: 3_000, requests: 2, out: { write: (t: string) => lines.push(t) } })
    expect(result.accepted).toEqual([202, 202])
    expect(result.final.map((f) => f.status)).toEqual(['done', 'done'])
    expect(result.answered).toBe(2)
    expect(result.dlq).toBe(0)
    const story = lines.join('')
    expect(story).toMatch(/worker: not now \(every target open\)/)
    expect(story).toMatch(/Bedrock is back/)
  })
})
