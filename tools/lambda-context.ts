/** A Lambda context whose `getRemainingTimeInMillis()` counts down in real time from the function's timeout. */
import type { Context } from 'aws-lambda'

export function lambdaContext(options: { timeoutMs: number; requestId: string; functionName?: string }): Context {
  const functionName = options.functionName ?? 'breakwater-chat'
  const startedAt = Date.now()
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: options.requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2025/06/19/[$LATEST]2f1c8e0a9b7d4c3e8f6a5b4c3d2e1f0a',
    getRemainingTimeInMillis: () => Math.max(0, options.timeoutMs - (Date.now() - startedAt)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }
}
