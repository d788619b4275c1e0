/**
 * Scenarios on capacity: the fake throttles on quotas (requests and tokens per minute per model and region, token
 * buckets shared by the whole fleet), not on a coin flip, so a 429 means "no room now" and retrying harder cannot
 * create room. Quotas are stated for the nominal rate (NOMINAL_RATE requests/s) and scaled with `--rate` by
 * `atRate`, so the shape of each scenario — where the ceiling is — stays the same at any rate.
 */
import type { QuotaRule } from '../../tools/fake-bedrock/fake-bedrock.js'
import { PRIMARY_MODEL, SMALL_MODEL } from '../../tools/fake-bedrock/scenarios.js'
import type { ChaosScenario } from './types.js'

/** The `--rate` the quotas below are written for. */
export const NOMINAL_RATE = 10

/**
 * Seconds of refill a full bucket holds: a short burst, so the ceiling is about the rate over the scenario's windows
 * (15–60 s), not a minute's savings. Not scaled by `--scale`.
 */
const BURST_S = 2
/** Tokens a TPM bucket holds at least, whatever `--rate`: two calls' reservations (~50 in + 1024 out each). */
const MIN_TOKENS_HELD = 2_200
/**
 * Tokens a request of the bench keeps after the refund: ~50 in (the sample handler's system prompt and a one-line
 * question) and ~27 out (the fake's echo). It only sizes the secondary region's TPM so that tokens, not requests,
 * bind there; the ceiling itself is computed call by call (`ceiling.ts`).
 */
const TOKENS_PER_REQUEST = 80

const perSecond = (requests: number): number => requests * 60

/**
 * Normal capacity at 10 requests/s offered: the primary model in the primary region has room for 20/s; the same model
 * in the secondary region for 60 requests/s but 30/s of tokens (so TPM binds there); the smaller model for 20/s.
 */
function capacity(primaryRegion: string, secondaryRegion: string, primaryPerSecond = 20): QuotaRule[] {
  return [
    { model: PRIMARY_MODEL, region: primaryRegion, requestsPerMinute: perSecond(primaryPerSecond), burstSeconds: BURST_S },
    {
      model: PRIMARY_MODEL, region: secondaryRegion, requestsPerMinute: perSecond(60),
      tokensPerMinute: perSecond(30) * TOKENS_PER_REQUEST, burstSeconds: BURST_S,
    },
    { model: SMALL_MODEL, requestsPerMinute: perSecond(20), burstSeconds: BURST_S },
  ]
}

/** The capacity scenarios; the regions are passed in, as this module is loaded by scenarios.ts. */
export function quotaScenarios(primaryRegion: string, secondaryRegion: string): ChaosScenario[] {
  const normal = capacity(primaryRegion, secondaryRegion)
  return [
    {
      name: 'demand-spike',
      summary: `offered load rises 10× for 60 s (the 9 am Monday) against fixed quotas, in multiples of the normal load: ` +
        `${primaryRegion}'s primary 2×, ${secondaryRegion}'s 3× (TPM-bound), the small model 2×`,
      durationS: 100, fault: { fromS: 20, toS: 80 }, rateProfile: [{ fromS: 20, toS: 80, factor: 10 }],
      script: [{ atS: 0, rules: [], quotas: normal, label: 'quotas' }],
    },
    {
      name: 'quota-cut',
      summary: `${primaryRegion}'s primary quota drops to 30 % (0.6× the offered load) for 30 s; ${secondaryRegion} has room`,
      durationS: 60, fault: { fromS: 15, toS: 45 },
      script: [
        { atS: 0, rules: [], quotas: normal, label: 'quotas' },
        { atS: 15, rules: [], quotas: capacity(primaryRegion, secondaryRegion, 6), label: 'quota-cut' },
        { atS: 45, rules: [], quotas: normal, label: 'restored' },
      ],
    },
    {
      name: 'throttling-storm',
      summary: 'the account\'s other callers take the quota: every model and region has room for 0.2× the offered load for 15 s',
      durationS: 40, fault: { fromS: 10, toS: 25 },
      script: [
        { atS: 0, rules: [], quotas: normal, label: 'quotas' },
        { atS: 10, rules: [], quotas: [{ requestsPerMinute: perSecond(2), burstSeconds: BURST_S }], label: 'throttling-storm' },
        { atS: 25, rules: [], quotas: normal, label: 'recovered' },
      ],
    },
  ]
}

/**
 * The scenario's quotas scaled from NOMINAL_RATE to `rate` requests/s. Bursts stay in seconds, except that a TPM
 * bucket is always let hold MIN_TOKENS_HELD: at a low rate two seconds of tokens would be less than one call reserves.
 */
export function atRate(s: ChaosScenario, rate: number): ChaosScenario {
  const k = rate / NOMINAL_RATE
  const scale = (q: QuotaRule): QuotaRule => {
    const out: { -readonly [K in keyof QuotaRule]: QuotaRule[K] } = { ...q }
    if (q.requestsPerMinute !== undefined) out.requestsPerMinute = q.requestsPerMinute * k
    if (q.tokensPerMinute === undefined) return out
    out.tokensPerMinute = q.tokensPerMinute * k
    const burst = q.burstSeconds ?? 60
    if ((out.tokensPerMinute / 60) * burst < MIN_TOKENS_HELD) out.burstSeconds = MIN_TOKENS_HELD / (out.tokensPerMinute / 60)
    return out
  }
  if (k === 1 || !s.script.some((step) => step.quotas)) return s
  return { ...s, script: s.script.map((step) => (step.quotas ? { ...step, quotas: step.quotas.map(scale) } : step)) }
}
