import { FakeClock } from './fake-clock.js'

describe('FakeClock', () => {
  it('moves only when advanced and wakes sleepers in deadline order at their own time', async () => {
    const clock = new FakeClock(1000)
    const woke: Array<[string, number]> = []
    void clock.sleep(300).then(() => woke.push(['b', clock.now()]))
    void clock.sleep(100).then(() => woke.push(['a', clock.now()]))
    void clock.sleep(500).then(() => woke.push(['c', clock.now()]))
    expect(clock.pending).toBe(3)
    await clock.advance(299)
    expect(woke).toEqual([['a', 1100]])
    expect(clock.now()).toBe(1299)
    await clock.advance(1000)
    expect(woke).toEqual([['a', 1100], ['b', 1300], ['c', 1500]])
    expect(clock.now()).toBe(2299)
    expect(clock.pending).toBe(0)
  })

  it('runs chained sleeps that fall due within one advance', async () => {
    const clock = new FakeClock()
    const times: number[] = []
    const loop = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(100)
        times.push(clock.now())
      }
    }
    const done = loop()
    await clock.advance(250)
    expect(times).toEqual([100, 200])
    await clock.advance(50)
    await done
    expect(times).toEqual([100, 200, 300])
  })

  it('rejects with the abort reason, before or during the sleep, and forgets the sleeper', async () => {
    const clock = new FakeClock()
    const ac = new AbortController()
    const sleeping = clock.sleep(1000, ac.signal)
    ac.abort(new Error('stop'))
    await expect(sleeping).rejects.toThrow('stop')
    expect(clock.pending).toBe(0)
    await expect(clock.sleep(10, ac.signal)).rejects.toThrow('stop')
  })

  it('resolves a zero sleep without an advance and refuses to go backwards', async () => {
    const clock = new FakeClock(5)
    await expect(clock.sleep(0)).resolves.toBeUndefined()
    await expect(clock.advance(-1)).rejects.toThrow(RangeError)
    await clock.advanceTo(50)
    expect(clock.now()).toBe(50)
  })
})
