/** What reportError / reportableError let through: names, codes, statuses, frames and our own messages only. */
import { ValidationException } from '@aws-sdk/client-bedrock-runtime'
import { reportableError, reportError } from '../../src/core/error-report.js'
import { AllTargetsFailedError, BadRequestError, MalformedOutputError } from '../../src/core/errors.js'

const SECRET = 'USER-TEXT-3b9e'

describe('reportError', () => {
  it('keeps names, codes, statuses and request ids of an SDK error, not its message', () => {
    const e = new ValidationException({ message: `prompt ${SECRET} rejected`, $metadata: { httpStatusCode: 400, requestId: 'r-1' } })
    const report = reportError(e)
    expect(report).toMatchObject({ name: 'ValidationException', fault: 'client', httpStatusCode: 400, requestId: 'r-1' })
    expect(JSON.stringify(report)).not.toContain(SECRET)
  })

  it('a message with lines that look like stack frames does not get in through the stack', () => {
    const e = new Error(`bad prompt\n    at ${SECRET} (/var/task/index.js:1:1)`)
    expect(JSON.stringify(reportError(e))).not.toContain(SECRET)
    expect(String(reportError(e).stack)).toContain('error-report.test.ts') // the real frames stay
    const traced = reportableError(e)
    expect(`${traced.message}${traced.stack}`).not.toContain(SECRET)
  })

  it('a message changed after the stack was taken (the SDK appends a hint) does not leak its first text', () => {
    const e = new SyntaxError(`Unexpected token, "${SECRET}\nmore ${SECRET}" is not valid JSON`)
    e.message += '\n  Deserialization error: to see the raw response, inspect the hidden field'
    expect(JSON.stringify(reportError(e))).not.toContain(SECRET)
  })

  it('follows causes, keeps Breakwater\'s own messages, drops a malformed reply\'s reason', () => {
    const malformed = new MalformedOutputError(`not JSON: ${SECRET}`, SECRET)
    const all = new AllTargetsFailedError(
      'route "default": no target could serve the request',
      { attempts: [], lastClass: 'malformed-output', retryAfterSeconds: undefined, cause: malformed },
    )
    const report = reportError(new BadRequestError('The request body is not valid JSON', all))
    expect(report).toMatchObject({
      name: 'BadRequestError', message: 'The request body is not valid JSON', statusCode: 400,
      cause: { name: 'AllTargetsFailedError', cause: { name: 'MalformedOutputError' } },
    })
    expect(JSON.stringify(report)).not.toContain(SECRET)
    expect(JSON.stringify(reportError(malformed, { messages: true }))).toContain(SECRET)
  })
})
