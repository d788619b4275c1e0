/** The callers: seeded open-loop arrivals, the same for every strategy, some carrying a long conversation. */
import { seededRandom } from '../../tools/fake-bedrock/fake-bedrock.js'
import type { Arrival, Turn, Workload } from './types.js'

/** A prior conversation of `turns` messages, alternating user / assistant, starting with the user. */
function historyOf(id: number, turns: number): Turn[] {
  const question = (i: number): string =>
    `earlier question ${i / 2 + 1} about order A-${1000 + id}: when does it ship, and can I change the address?`
  return Array.from({ length: turns }, (_, i): Turn => (i % 2 === 0
    ? { role: 'user', content: question(i) }
    : { role: 'assistant', content: 'It ships within two days; the address can be changed until it does. '.repeat(3) }))
}

/**
 * Open-loop Poisson arrivals at `rate` per second, from a seeded source: identical for every strategy. Which arrivals
 * carry a long history is rolled per id from its own seed, so the arrival times do not depend on the workload.
 */
export function arrivals(rate: number, durationS: number, random: () => number, workload: Workload = {}): Arrival[] {
  const out: Arrival[] = []
  for (let t = -Math.log(1 - random()) / rate * 1000; t < durationS * 1000; t += -Math.log(1 - random()) / rate * 1000) {
    const id = out.length + 1
    const long = (workload.longShare ?? 0) > 0 && seededRandom(id * 7919)() < (workload.longShare ?? 0)
    const prompt = `chaos request #${id}: where is my order A-${1000 + id}?`
    out.push(long ? { id, atMs: t, prompt, history: historyOf(id, workload.historyTurns ?? 12) } : { id, atMs: t, prompt })
  }
  return out
}
