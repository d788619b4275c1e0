/**
 * The stream scenarios: the callers stream (ConverseStream), and a share of streams go wrong after the 200 — late
 * first token in the primary region, silence mid-stream, or a clean end without `messageStop` — rolled per call with
 * the fake's seeded random, so a fleet sees a mix of whole and broken streams. Every stream is paced (an event every
 * PACE_MS), as a model writes, so a stall or cut lands mid-answer. The fault lasts the whole run.
 */
import type { FaultRule } from '../../tools/fake-bedrock/fake-bedrock.js'
import { PRIMARY_MODEL } from '../../tools/fake-bedrock/scenarios.js'
import type { ChaosScenario } from './types.js'

const PACE_MS = 10
const PACED: FaultRule = { kind: 'paced', eventDelayMs: PACE_MS }
/** Events before a stall or a cut: messageStart and 7 words, of about 45 events. */
const AFTER = 8
const FIRST_TOKEN_DELAY_MS = 3_000

const slow = (region: string, probability: number): FaultRule =>
  ({ kind: 'slow-first-token', region, model: PRIMARY_MODEL, probability, firstTokenDelayMs: FIRST_TOKEN_DELAY_MS, eventDelayMs: PACE_MS })
const stall = (probability: number): FaultRule => ({ kind: 'stall', probability, afterEvents: AFTER, eventDelayMs: PACE_MS })
const cut = (probability: number): FaultRule => ({ kind: 'cut', probability, afterEvents: AFTER, eventDelayMs: PACE_MS })

/** The stream scenarios; `primaryRegion` passed in, as this module is loaded by scenarios.ts. */
export function streamScenarios(primaryRegion: string): ChaosScenario[] {
  const streaming = (name: string, summary: string, rules: readonly FaultRule[]): ChaosScenario => ({
    name, summary, durationS: 20, fault: { fromS: 0, toS: 20 }, workload: { stream: true },
    script: [{ atS: 0, rules: [...rules, PACED], label: name }],
  })
  return [
    streaming('stream-healthy', `every stream is whole (an event every ${PACE_MS} ms)`, []),
    streaming('stream-slow-first-token',
      `half of the primary model's streams in ${primaryRegion} wait ${FIRST_TOKEN_DELAY_MS / 1000} s for their first token`,
      [slow(primaryRegion, 0.5)]),
    streaming('stream-stalls', `20 % of streams (every region and model) go silent after ${AFTER} events, left open`, [stall(0.2)]),
    streaming('stream-cuts', `30 % of streams (every region and model) end cleanly after ${AFTER} events, without messageStop`,
      [cut(0.3)]),
    streaming('stream-mix',
      `in ${primaryRegion} 30 % slow first tokens (${FIRST_TOKEN_DELAY_MS / 1000} s); everywhere 10 % stalls and 20 % cuts`,
      [slow(primaryRegion, 0.3), stall(0.1), cut(0.2)]),
  ]
}
