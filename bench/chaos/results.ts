/**
 * What a chaos run is asked for and what it writes to chaos-results.json: read by the HTML report and the Markdown
 * tables as well as the runner, so it lives here rather than in run.ts (which imports both: no import circle).
 */
import type { ChaosScenario } from './scenarios.js'
import type { Series, Summary } from './summary.js'
import type { StrategyName } from './types.js'

export interface ChaosOptions {
  readonly scenarios: readonly string[]
  readonly instances: number
  /** Arrivals per second. */
  readonly rate: number
  /** Overrides every scenario's length, seconds (after scaling). */
  readonly durationS?: number
  /** Multiplies every scripted time and duration (0.25 = four times faster); the Lambda timeout is not scaled. */
  readonly scale: number
  readonly timeoutMs: number
  readonly halfOpenAfterMs: number
  readonly outDir: string
  readonly seed: number
  readonly log?: (line: string) => void
}

export interface ScenarioResult {
  readonly scenario: ChaosScenario
  readonly strategies: Record<StrategyName, { readonly summary: Summary; readonly series: Series }>
}

export interface ChaosResults {
  readonly command: string
  readonly options: Omit<ChaosOptions, 'log' | 'outDir'>
  readonly results: readonly ScenarioResult[]
}
