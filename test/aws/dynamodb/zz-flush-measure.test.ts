import { it } from '@jest/globals'
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import { seededRandom } from '../../../tools/fake-bedrock/seeded-random.js'
import { calls, ddb, KEY, store, T0 } from './mocked-store.js'

it('measures', async () => {
  for (const seed of [1, 2, 3]) {
    ddb.reset()
    ddb.on(GetItemCommand).resolves({})
    ddb.on(UpdateItemCommand).resolves({})
    const random = seededRandom(seed)
    const exp = (mean: number) => -Math.log(1 - random()) * mean
    const s = store()
    let touched = 0
    let t = T0
    const n = 6000
    for (let i = 0; i < n; i++) {
      t += exp(70)
      const before = calls()
      await s.read(KEY, Math.round(t))
      const latency = Math.min(300, exp(30))
      t += latency
      await s.recordOutcome(KEY, 'success', Math.round(t), 60_000, 0)
      if (calls() > before) touched++
    }
    const gets = ddb.commandCalls(GetItemCommand).length
    const ups = ddb.commandCalls(UpdateItemCommand).length
    console.log(`seed ${seed}: ${touched} of ${n} touched, ${(100 * (n - touched) / n).toFixed(2)} % without; gets ${gets} updates ${ups} over ${((t - T0) / 1000).toFixed(0)} s`)
  }
})
