/** A ValidationException refusing the tier or latency asked for is a refusal of that target only. */
import { classify } from '../../src/core/failure.js'
import { callerFault, isPerTargetFault } from '../../src/core/invoker/attempt.js'

const validation = (message: string): Error =>
  Object.assign(new Error(message), { name: 'ValidationException', $fault: 'client', $metadata: { httpStatusCode: 400 } })

describe('classify: unsupported service tiers and latency modes', () => {
  it.each([
    "The provided model doesn't support the requested service tier in this region.",
    'The provided model does not support the priority service tier.',
    'Reservation not found.',
    'The service tier flex is not supported for this model.',
    "The provided model doesn't support latency-optimized inference in this region.",
    'Latency optimized inference isn’t supported for the model in this Region.',
    'service tier provided is invalid',
  ])('%s → a caller fault of this target only', (message) => {
    const c = classify(validation(message))
    expect(c).toEqual({ failureClass: 'caller-fault', errorName: 'ValidationException', unsupportedTier: true })
    expect(isPerTargetFault(c!)).toBe(true)
  })

  it.each([
    'Malformed input request, please reformat your input and try again.',
    'Invocation of model ID amazon.nova-micro-v1:0 with on-demand throughput isn’t supported.',
    'This model does not support assistant message prefill. The conversation must end with a user message.',
  ])('%s → the request\'s own fault, refused everywhere', (message) => {
    const c = classify(validation(message))
    expect(c).toEqual({ failureClass: 'caller-fault', errorName: 'ValidationException' })
    expect(isPerTargetFault(c!)).toBe(false)
  })

  it('an overflowing prompt stays a context overflow', () => {
    expect(classify(validation('Input is too long for requested model.'))?.failureClass).toBe('context-overflow')
  })

  it("the caller's reply says what was refused, without Bedrock's text", () => {
    const c = classify(validation('Reservation not found.'))!
    const fault = callerFault(c, undefined)
    expect(fault.statusCode).toBe(400)
    expect(fault.message).toBe('The model does not offer the service tier or latency asked for. (ValidationException)')
  })

  it('access and availability stay per-target faults; other caller faults do not', () => {
    expect(isPerTargetFault({ failureClass: 'caller-fault', errorName: 'AccessDeniedException' })).toBe(true)
    expect(isPerTargetFault({ failureClass: 'caller-fault', errorName: 'ResourceNotFoundException' })).toBe(true)
    expect(isPerTargetFault({ failureClass: 'caller-fault', errorName: 'ConflictException' })).toBe(false)
  })
})
