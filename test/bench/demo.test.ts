/** Keeps the demo from rotting: its core runs against the fake Bedrock and tells the expected outcome. */
import { runDemo } from '../../bench/demo.js'
import { UnknownScenarioError } from '../../tools/fake-bedrock/scenarios.js'

function stringSink(): { out: { write(text: string): void }; text(): string } {
  let text = ''
  return { out: { write: (chunk) => { text += chunk } }, text: () => text }
}

describe('demo', () => {
  it('healthy: every invocation is served by the primary target with a 200', async () => {
    const sink = stringSink()
    const { results } = await runDemo('healthy', 'events/apigw-http.json', { out: sink.out, invocations: 2 })
    const story = sink.text()
    expect(story).toContain('scenario "healthy"')
    expect(story).toContain('▶ invocation 2 of 2')
    expect(story).toContain('✓ claude-3-5-sonnet@us-east-1')
    expect(story).toContain('→ served by claude-3-5-sonnet@us-east-1 after 1 call(s)')
    expect(story.match(/⇐ 200 /g)).toHaveLength(2)
    expect(results).toEqual([expect.objectContaining({ statusCode: 200 }), expect.objectContaining({ statusCode: 200 })])
  })

  it('all-down: a 503 with Retry-After every time, and the breakers open so later calls are skipped', async () => {
    const sink = stringSink()
    const { results } = await runDemo('all-down', 'events/apigw-http.json', { out: sink.out, invocations: 4 })
    const story = sink.text()
    expect(story).not.toContain('⇐ 200')
    expect(story.match(/⇐ 503 Retry-After: \d+ /g)).toHaveLength(4)
    expect(story).toContain('HTTP 503 ServiceUnavailableException → unavailable')
    expect(story).toContain('closed → open')
    expect(story).toContain('skipped: breaker open, no call made')
    expect(story).toContain('503 AllTargetsFailedError')
    for (const result of results) {
      expect(result).toEqual(expect.objectContaining({ statusCode: 503, headers: expect.objectContaining({ 'retry-after': expect.stringMatching(/^\d+$/) }) }))
    }
  })

  it('names an unknown scenario instead of starting anything', async () => {
    await expect(runDemo('sunny', 'events/apigw-http.json', { out: stringSink().out })).rejects.toBeInstanceOf(UnknownScenarioError)
  })
})
