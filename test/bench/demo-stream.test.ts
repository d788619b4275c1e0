/** The streaming demo tells each fault the way it ends: the whole answer from the next target, or the typed error. */
import { describe, expect, it } from '@jest/globals'
import { runStreamDemo, STREAM_SCENARIOS } from '../../bench/demo-stream.js'

const quiet = { write: (): void => undefined }

describe('npm run demo -- stream-*', () => {
  it('knows its scenarios', () => {
    const names = ['stream-healthy', 'stream-stall', 'stream-cut', 'stream-continue', 'stream-fail']
    expect([...STREAM_SCENARIOS.keys()]).toEqual(expect.arrayContaining(names))
  })

  it.each([
    ['stream-healthy', /^whole answer \(end_turn\) from claude-3-5-sonnet@us-east-1, degraded: false$/],
    ['stream-cut', /^whole answer \(end_turn\) from claude-3-5-sonnet@us-west-2, degraded: fallback-target$/],
    ['stream-continue', /^whole answer \(end_turn\) from claude-3-5-sonnet@us-west-2/],
    ['stream-fail', /^StreamInterruptedError \(cut\), partial text: ".+"$/],
  ])('%s', async (name, told) => {
    expect(await runStreamDemo(name, quiet)).toMatch(told)
  })
})
