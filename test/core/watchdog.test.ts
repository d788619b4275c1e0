/** The shared attempt timer: due entries fire in time order, cancelled ones never, and one timer serves them all. */
import { describe, expect, it } from '@jest/globals'
import { pendingTimers, schedule } from '../../src/core/watchdog.js'

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('watchdog', () => {
  it('fires each entry once when due, earliest first, whatever order they were scheduled in', async () => {
    const fired: string[] = []
    const before = pendingTimers()
    schedule(40, (name) => fired.push(name), 'late')
    schedule(10, (name) => fired.push(name), 'early')
    schedule(25, (name) => fired.push(name), 'middle')
    expect(pendingTimers()).toBe(before + 3)
    await wait(80)
    expect(fired).toEqual(['early', 'middle', 'late'])
    expect(pendingTimers()).toBe(before)
  })

  it('a cancelled entry never fires, cancelling twice is harmless, and a throwing one does not stop the rest', async () => {
    const fired: string[] = []
    const cancelled = schedule(10, () => fired.push('cancelled'), undefined)
    schedule(10, () => { throw new Error('boom') }, undefined)
    schedule(15, () => fired.push('kept'), undefined)
    cancelled.cancel()
    cancelled.cancel()
    await wait(50)
    expect(fired).toEqual(['kept'])
  })

  it('an entry scheduled by a firing one, earlier than the rest, is not pushed back by the re-arm', async () => {
    const fired: string[] = []
    schedule(5, () => schedule(5, () => fired.push('scheduled while firing'), undefined), undefined)
    schedule(200, () => fired.push('late'), undefined)
    await wait(60)
    expect(fired).toEqual(['scheduled while firing'])
    await wait(200)
    expect(fired).toEqual(['scheduled while firing', 'late'])
  })
})
