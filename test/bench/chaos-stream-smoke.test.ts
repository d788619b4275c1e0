/**
 * The chaos bench's stream path, short: a few seconds of `stream-cuts` (30 % of streams end without messageStop).
 * Not a timing check, but a correctness one that can fail: Breakwater must deliver no truncated answer as a success,
 * and the naive baseline (which reads the SDK's iterator to its end) must be caught delivering some — proof that the
 * truncation is measured, not assumed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runChaos } from '../../bench/chaos/run.js'

describe('chaos bench stream smoke run', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'chaos-stream-smoke-'))
  afterAll(() => rmSync(outDir, { recursive: true, force: true }))

  it('counts truncated answers delivered as success: none for Breakwater, some for the naive baseline', async () => {
    const { results } = await runChaos({
      scenarios: ['stream-cuts'], instances: 3, rate: 5, scale: 1, durationS: 4, timeoutMs: 4_000, halfOpenAfterMs: 500,
      outDir, seed: 1,
    })
    const { strategies } = results.results[0]!
    const bw = strategies.breakwater.summary.stream!
    const naive = strategies.naive.summary.stream!
    expect(bw.truncatedAsSuccess).toBe(0)
    expect(bw.complete).toBeGreaterThan(0)
    expect(bw.ttftP50Ms).not.toBeNull()
    expect(naive.truncatedAsSuccess).toBeGreaterThan(0)
    expect(naive.complete + naive.truncatedAsSuccess).toBe(strategies.naive.summary.outcomes.ok)
    expect(readFileSync(join(outDir, 'chaos-tables.md'), 'utf8')).toContain('truncated answers as success')
    expect(readFileSync(join(outDir, 'chaos-report.html'), 'utf8')).toContain('TTFT p99 ms')
  }, 120_000)
})
