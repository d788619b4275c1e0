/**
 * Keeps the chaos bench from rotting: a run of a few seconds (four scenarios, two instances each) completes and writes its
 * JSON results and HTML report. No timing or rate is asserted: the bench measures, the suite does not.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runChaos } from '../../bench/chaos/run.js'

describe('chaos bench smoke run', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'chaos-smoke-'))
  afterAll(() => rmSync(outDir, { recursive: true, force: true }))

  it('completes and writes the JSON results and the HTML report', async () => {
    const { json, html } = await runChaos({
      // malformed-output and dynamodb-down too: the JSON workload (responseSchema, JSON.parse) and the DynamoDB switch;
      // quota-cut: the fake's quotas changed by the script, and the capacity table.
      scenarios: ['regional-outage', 'malformed-output', 'dynamodb-down', 'quota-cut'],
      instances: 2, rate: 4, scale: 0.05, timeoutMs: 3_000, halfOpenAfterMs: 500,
      outDir, seed: 1,
    })
    expect(existsSync(json)).toBe(true)
    expect(existsSync(html)).toBe(true)
    const results = JSON.parse(readFileSync(json, 'utf8')) as { results: { strategies: Record<string, unknown> }[] }
    expect(results.results).toHaveLength(4)
    for (const r of results.results) {
      expect(Object.keys(r.strategies).sort()).toEqual(['breakwater', 'cockatiel', 'dynamodb-lww', 'naive', 'sdk-adaptive', 'textbook'])
    }
    expect(readFileSync(html, 'utf8')).toContain('<svg')
    expect(readFileSync(html, 'utf8')).toContain('goodput ceiling')
    // A guard against a hang, not a timing check: the run takes ~26 s alone, longer on a loaded machine.
  }, 120_000)
})
