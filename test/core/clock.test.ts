import { systemClock } from '../../src/core/clock.js'

describe('systemClock.sleep', () => {
  it('rejects with the abort reason when aborted first', async () => {
    const ac = new AbortController()
    const p = systemClock.sleep(10_000, ac.signal)
    ac.abort(new Error('stop'))
    await expect(p).rejects.toThrow('stop')
  })
})
