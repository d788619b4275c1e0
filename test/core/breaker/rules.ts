/**
 * The state machine's rules, checked on a log of committed writes: what each write may change, given what it
 * replaced and when. Used by the fleet property; kept apart so the rules read as one list.
 */
import { cooldownFor, stageSize } from '../../../src/core/breaker/machine.js'
import type { BreakerPolicy, BreakerRecord } from '../../../src/core/breaker/types.js'

/** One successful compare-and-set: the record it replaced, the record it wrote, and the clock then. */
export interface Commit { readonly before: BreakerRecord; readonly after: BreakerRecord; readonly now: number }

/**
 * Every rule a log of commits breaks, as readable lines; empty when all is legal. `strict`: no lease can expire and
 * nothing is released, so a stage may never grant more probes than its size.
 */
export function judge(policy: BreakerPolicy, commits: readonly Commit[], strict: boolean): string[] {
  const problems: string[] = []
  const last = policy.probeStages.length - 1
  let granted = 0 // probes granted in the current stage ...
  let freed = 0 // ... and slots given back without a success (release, or a lease that ran out)
  for (const { before, after, now } of commits) {
    const fail = (m: string) => problems.push(`v${after.version} at ${now}: ${m}`)
    if (after.version !== before.version + 1) fail('version did not step by one')
    const ids = new Set(before.permits.map((p) => p.id))
    const added = after.permits.filter((p) => !ids.has(p.id)).length
    const removed = before.permits.length - (after.permits.length - added)
    if (before.state === 'closed' && after.state !== 'open') fail(`closed went ${after.state}`)
    if (after.state === 'open') {
      if (before.state === 'open') fail('an open record was rewritten')
      if (before.state === 'half-open' && !before.permits.some((p) => p.expiresAt > now)) fail('reopened without a live probe')
      if (after.opens !== before.opens + 1) fail('opens did not count up')
      if (after.openUntil !== now + cooldownFor(before.opens, policy)) fail('wrong cooldown')
      if (after.openUntil - now > policy.maxCooldownMs) fail('cooldown over the cap')
    } else if (after.state === 'closed') {
      if (before.state !== 'half-open' || before.stage !== last || before.stageSuccesses + 1 !== stageSize(policy, last)) {
        fail(`closed from ${before.state} stage ${before.stage} with ${before.stageSuccesses} successes`)
      }
      if (after.opens !== 0 || after.permits.length !== 0) fail('close did not reset')
    } else {
      if (before.state === 'open') {
        if (now < before.openUntil) fail('half-open before openUntil')
        if (after.stage !== 0 || after.stageSuccesses !== 0) fail('half-open did not start at stage 0')
        granted = added
        freed = 0
      } else if (after.stage === before.stage + 1) {
        if (before.stageSuccesses + 1 !== stageSize(policy, before.stage)) fail('advanced before the stage passed')
        if (after.stageSuccesses !== 0 || after.permits.length !== 0) fail('new stage not empty')
        granted = 0
        freed = 0
      } else if (after.stage === before.stage) {
        const successes = after.stageSuccesses - before.stageSuccesses
        if (successes !== 0 && successes !== 1) fail(`stage successes moved by ${successes}`)
        granted += added
        freed += removed - successes
      } else fail(`stage jumped ${before.stage} -> ${after.stage}`)
      const live = after.permits.filter((p) => p.expiresAt > now).length
      if (live + after.stageSuccesses > stageSize(policy, after.stage)) fail('more live permits than the stage allows')
      if (granted - freed > stageSize(policy, after.stage)) fail(`stage granted ${granted} probes, freed ${freed}`)
      if (strict && freed !== 0) fail('a slot came free with no release and no expired lease')
    }
  }
  return problems
}
