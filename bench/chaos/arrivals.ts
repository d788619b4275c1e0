/** The callers: seeded open-loop arrivals, the same for every strategy, some carrying a long conversation. */
import { seededRandom } from '../../tools/fake-bedrock/fake-bedrock.js'
import type { Arrival, RateStep, Turn, Workload } from './types.js'

/** A prior conversation of `turns` messages, alternating user / assistant, starting with the user. */
function historyOf(id: number, turns: number): Turn[] {
  const question = (i: number): string =>
    `earlier question ${i / 2 + 1} about order A-${1000 + id}: when does it ship, and can I change the address?`
  return Array.from({ length: turns }, (_, i): Turn => (i % 2 === 0
    ? { role: 'user', content: question(i) }
    : { role: 'assistant', content: 'It ships within two days; the address can be changed until it does. '.repeat(3) }))
}

/** The rate multiplier at `tMs`, and the next time it may change (Infinity: never again). */
function factorAt(profile: readonly RateStep[], tMs: number): { factor: number; untilMs: number } {
  const s = tMs / 1000
  const current = profile.find((p) => p.fromS <= s && s < p.toS)
  const starts = profile.map((p) => p.fromS * 1000).filter((at) => at > tMs)
  const untilMs = Math.min(current ? current.toS * 1000 : Infinity, ...starts)
  return { factor: current?.factor ?? 1, untilMs }
}

/**
 * The time of the next arrival after `t`, given `e` (an Exp(1) draw): time-changed, so `e` is spent at the profile's
 * rate piece by piece. Without a profile this is `t + e / rate * 1000`, the draw-for-draw sequence of before profiles.
 */
function nextAt(t: number, e: number, rate: number, profile: readonly RateStep[]): number {
  let at = t
  let left = e
  for (;;) {
    const { factor, untilMs } = factorAt(profile, at)
    const r = rate * factor
    const need = r > 0 ? left / r * 1000 : Infinity
    if (at + need <= untilMs) return at + need
    if (untilMs === Infinity) return Infinity
    left -= (untilMs - at) / 1000 * r
    at = untilMs
  }
}

/**
 * Open-loop Poisson arrivals at `rate` per second (times the scenario's profile), from a seeded source: identical for
 * every strategy. Which arrivals carry a long history is rolled per id from its own seed, so the arrival times do not
 * depend on the workload.
 */
export function arrivals(rate: number, durationS: number, random: () => number, workload: Workload = {},
  profile: readonly RateStep[] = []): Arrival[] {
  const out: Arrival[] = []
  const gap = (): number => -Math.log(1 - random())
  for (let t = nextAt(0, gap(), rate, profile); t < durationS * 1000; t = nextAt(t, gap(), rate, profile)) {
    const id = out.length + 1
    const long = (workload.longShare ?? 0) > 0 && seededRandom(id * 7919)() < (workload.longShare ?? 0)
    const prompt = `chaos request #${id}: where is my order A-${1000 + id}?`
    out.push(long ? { id, atMs: t, prompt, history: historyOf(id, workload.historyTurns ?? 12) } : { id, atMs: t, prompt })
  }
  return out
}
