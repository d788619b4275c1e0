/** What each stop reason makes of a reply (pure), and the cascade's verdict on an intervention. */
import { describe, expect, it, jest } from '@jest/globals'
import { StopReason } from '@aws-sdk/client-bedrock-runtime'
import { ContextWindowExceededError, MalformedOutputError } from '../../src/core/errors.js'
import { classify } from '../../src/core/failure.js'
import { runCascade } from '../../src/core/invoker/cascade.js'
import type { CallFn } from '../../src/core/invoker/types.js'
import { converseStopReason, interventionOf, stopFailure } from '../../src/core/stop-reason.js'
import { targetKey } from '../../src/core/targets.js'
import { EAST, WEST, setup, type Input } from './invoker/harness.js'

const ANSWERS = [StopReason.END_TURN, StopReason.TOOL_USE, StopReason.STOP_SEQUENCE, undefined, 'a_reason_of_2030']

describe('stop reasons', () => {
  it('uses the SDK\'s own values', () => {
    expect(Object.values(StopReason).sort()).toEqual([
      'content_filtered', 'end_turn', 'guardrail_intervened', 'malformed_model_output', 'malformed_tool_use', 'max_tokens',
      'model_context_window_exceeded', 'stop_sequence', 'tool_use',
    ])
  })

  it('guardrail_intervened and content_filtered are interventions, not failures', () => {
    expect(interventionOf(StopReason.GUARDRAIL_INTERVENED)).toBe('guardrail')
    expect(interventionOf(StopReason.CONTENT_FILTERED)).toBe('content-filter')
    expect(stopFailure(StopReason.GUARDRAIL_INTERVENED, true)).toBeUndefined()
    expect(converseStopReason.structured({ stopReason: StopReason.CONTENT_FILTERED })).toBe('content-filter')
  })

  it('model_context_window_exceeded is context overflow', () => {
    const failure = stopFailure(StopReason.MODEL_CONTEXT_WINDOW_EXCEEDED, false)
    expect(failure).toBeInstanceOf(ContextWindowExceededError)
    expect(classify(failure)).toEqual({ failureClass: 'context-overflow', errorName: 'model_context_window_exceeded' })
  })

  it.each([StopReason.MALFORMED_MODEL_OUTPUT, StopReason.MALFORMED_TOOL_USE])('%s is malformed output, not re-asked', (reason) => {
    const failure = stopFailure(reason, false)
    expect(failure).toBeInstanceOf(MalformedOutputError)
    expect(failure).toMatchObject({ reaskable: false, stopReason: reason, output: '' })
    expect(classify(failure)).toEqual({ failureClass: 'malformed-output', errorName: reason })
  })

  it('max_tokens is malformed only when the reply must be schema-valid JSON', () => {
    expect(stopFailure(StopReason.MAX_TOKENS, false)).toBeUndefined()
    expect(stopFailure(StopReason.MAX_TOKENS, true)).toMatchObject({ name: 'MalformedOutputError', reaskable: false })
    expect(() => converseStopReason.structured({ stopReason: StopReason.MAX_TOKENS })).toThrow(MalformedOutputError)
    expect(converseStopReason.plain({ stopReason: StopReason.MAX_TOKENS })).toBeUndefined()
  })

  it.each(ANSWERS)('%s is an answer', (reason) => {
    expect(interventionOf(reason)).toBeUndefined()
    expect(stopFailure(reason, true)).toBeUndefined()
  })
})

describe('the cascade on an intervention', () => {
  it('serves it flagged, once, without validating it, and gives the breaker no verdict', async () => {
    const env = setup()
    const { clock, request, policies } = env
    const breaker = policies.breaker!
    const success = jest.spyOn(breaker, 'onSuccess')
    const failure = jest.spyOn(breaker, 'onFailure')
    const release = jest.spyOn(breaker, 'release')
    const validate = jest.fn()
    const intervened = jest.fn()
    const sent: string[] = []
    const call: CallFn<Input, string> = async (target) => {
      sent.push(target.region)
      return 'blocked'
    }
    const result = await clock.run(runCascade(request(call, {
      targets: [EAST, WEST], validate, stopReason: () => 'guardrail', listener: { intervened },
    })))

    expect(result.served).toMatchObject({ region: 'us-east-1', attempts: 1, degraded: false, intervened: 'guardrail' })
    expect(result.attempts.map((a) => a.outcome)).toEqual(['intervened'])
    expect(sent).toEqual(['us-east-1'])
    expect(validate).not.toHaveBeenCalled()
    expect(intervened).toHaveBeenCalledWith(EAST, 'guardrail', 'default')
    expect(success).not.toHaveBeenCalled()
    expect(failure).not.toHaveBeenCalled()
    expect(release).toHaveBeenCalledTimes(1) // a success without a permit would only have been counted in the window
    expect((await breaker.read(targetKey(EAST))).state).toBe('closed')
  })
})
