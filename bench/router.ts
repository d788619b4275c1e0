/**
 * Router bench: the measured blue/green split over 10 000 keys (5 / 20 / 50 %), and what choosing a route costs
 * per call (rules with input predicates + the split), median and p99 over 100 000 calls.
 * Run: npx tsx bench/router.ts
 */
import { CanaryMonitor } from '../src/core/routing/canary.js'
import { RouteChooser } from '../src/core/routing/chooser.js'
import { isGreen } from '../src/core/routing/hash.js'
import { defaultTier, defaultUserKey } from '../src/core/routing/request-keys.js'
import { compileRules } from '../src/core/routing/rules.js'

const KEYS = 10_000
const CALLS = 100_000

const SPLIT_KEYS = [
  ['user-<n>', (i: number) => `user-${i}`],
  ['uuid-like', (i: number) => `${(Math.imul(i, 2654435761) >>> 0).toString(16)}-4a51-9d3e-${i}`],
] as const
for (const [label, key] of SPLIT_KEYS) {
  for (const weight of [5, 20, 50]) {
    let green = 0
    for (let i = 0; i < KEYS; i++) if (isGreen(key(i), weight)) green++
    const share = (100 * green) / KEYS
    const error = (share - weight).toFixed(2)
    console.log(`split ${label.padEnd(9)} weight ${String(weight).padStart(2)} %: measured ${share.toFixed(2)} % (error ${error} points)`)
  }
}

const clock = { now: () => Date.now() }
const chooser = new RouteChooser({
  rules: compileRules([
    { route: 'vision', when: { has: 'images' } },
    { route: 'large', when: [{ tier: 'pro' }, { inputTokens: { min: 2_000 } }] },
    { route: 'small', when: { inputTokens: { max: 300 } } },
  ], ['default', 'small', 'large', 'vision'], 'bench'),
  defaultRoute: 'default', clock,
  splits: new Map([['small', { route: 'small#green', weight: 20, targetKeys: ['m@us-east-1'] }]]),
  tier: defaultTier, splitKey: defaultUserKey,
  monitor: new CanaryMonitor({ clock }),
})
const input = {
  messages: [{ role: 'user', content: [{ text: 'Hello! Could you tell me what the weather is usually like in Lisbon in May?' }] }],
}
const events = Array.from({ length: 1_000 }, (_, i) =>
  ({ headers: { 'x-user-id': `user-${i}`, 'x-user-tier': i % 3 === 0 ? 'pro' : 'free' } }))

async function measure(): Promise<number[]> {
  const samples: number[] = []
  for (let i = 0; i < CALLS; i++) {
    const started = process.hrtime.bigint()
    const routing = chooser.forRequest(events[i % events.length], {})
    await routing.chooseRoute(input) // no breaker passed: the cost of the choice itself
    samples.push(Number(process.hrtime.bigint() - started))
  }
  return samples.sort((a, b) => a - b)
}

await measure() // warm up the JIT
const ns = await measure()
const pick = (q: number): number => ns[Math.min(ns.length - 1, Math.floor(q * ns.length))] as number
console.log(
  `route choice per call (forRequest + chooseRoute, 3 rules, 20 % split), ${CALLS} calls: median ${pick(0.5)} ns, p99 ${pick(0.99)} ns`)
