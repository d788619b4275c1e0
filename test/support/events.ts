/**
 * Minimal but real-shaped Lambda events (trimmed from the samples in the AWS docs) and a Lambda context, for tests
 * that need to tell event sources apart.
 */
import type {
  ALBEvent,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  Context,
  LambdaFunctionURLEvent,
  SQSEvent,
  SQSRecord,
} from 'aws-lambda'

const body = JSON.stringify({ prompt: 'Summarise my last three orders' })

/** API Gateway REST API, Lambda proxy integration (payload 1.0). */
export function restEvent(): APIGatewayProxyEvent {
  return {
    resource: '/chat', path: '/chat', httpMethod: 'POST', body, isBase64Encoded: false,
    headers: { 'Content-Type': 'application/json', Host: 'abc123.execute-api.us-east-1.amazonaws.com' },
    multiValueHeaders: { 'Content-Type': ['application/json'], Host: ['abc123.execute-api.us-east-1.amazonaws.com'] },
    queryStringParameters: null, multiValueQueryStringParameters: null, pathParameters: null, stageVariables: null,
    requestContext: {
      accountId: '123456789012', apiId: 'abc123', authorizer: null, domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123', httpMethod: 'POST', path: '/prod/chat', protocol: 'HTTP/1.1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', requestTimeEpoch: 1428582896000, resourceId: 'a1b2c3',
      resourcePath: '/chat', stage: 'prod',
      identity: {
        accessKey: null, accountId: null, apiKey: null, apiKeyId: null, caller: null, clientCert: null,
        cognitoAuthenticationProvider: null, cognitoAuthenticationType: null, cognitoIdentityId: null,
        cognitoIdentityPoolId: null, principalOrgId: null, sourceIp: '203.0.113.7', user: null, userAgent: 'curl/8.5.0',
        userArn: null,
      },
    },
  }
}

function v2Event(domainName: string, apiId: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0', routeKey: '$default', rawPath: '/chat', rawQueryString: '', body, isBase64Encoded: false,
    headers: { 'content-type': 'application/json', host: domainName },
    requestContext: {
      accountId: '123456789012', apiId, domainName, domainPrefix: apiId, requestId: 'JKJaXmPLvHcESHA=',
      routeKey: '$default', stage: '$default', time: '10/Mar/2026:00:03:59 +0000', timeEpoch: 1773100000000,
      http: { method: 'POST', path: '/chat', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
    },
  }
}

/** API Gateway HTTP API, payload format 2.0. */
export function httpApiEvent(): APIGatewayProxyEventV2 {
  return v2Event('r3pmxmplak.execute-api.us-east-2.amazonaws.com', 'r3pmxmplak')
}

/** A Lambda function URL invocation. */
export function functionUrlEvent(): LambdaFunctionURLEvent {
  return v2Event('a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6.lambda-url.eu-west-1.on.aws', 'a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6')
}

/** An Application Load Balancer request; `multiValue` mimics a target group with multi-value headers on. */
export function albEvent(multiValue = false): ALBEvent {
  const event: ALBEvent = {
    requestContext: {
      elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/chat/6d0ecf831eec9f09' },
    },
    httpMethod: 'POST', path: '/chat', body, isBase64Encoded: false,
  }
  if (multiValue) {
    event.multiValueHeaders = { 'content-type': ['application/json'], host: ['chat-alb-123.us-east-1.elb.amazonaws.com'] }
    event.multiValueQueryStringParameters = {}
  } else {
    event.headers = { 'content-type': 'application/json', host: 'chat-alb-123.us-east-1.elb.amazonaws.com' }
    event.queryStringParameters = {}
  }
  return event
}

function sqsRecord(messageId: string): SQSRecord {
  return {
    messageId, receiptHandle: `AQEB${messageId}`, body,
    attributes: {
      ApproximateReceiveCount: '1', SentTimestamp: '1545082649183', SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: '1545082649185',
    },
    messageAttributes: {}, md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3', eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:chat-requests', awsRegion: 'us-east-1',
  }
}

/** An SQS event source mapping batch with the given message ids. */
export function sqsEvent(...messageIds: string[]): SQSEvent {
  return { Records: messageIds.map(sqsRecord) }
}

/** A direct invoke payload (SDK Invoke, Step Functions). */
export function directEvent(): { prompt: string; userId: string } {
  return { prompt: 'Summarise my last three orders', userId: 'u-42' }
}

/** A Lambda context with plenty of time left. */
export function lambdaContext(awsRequestId = '5b0d3f0a-1c2e-4a51-9d3e-1f2a3b4c5d6e'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true, functionName: 'chat', functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:chat', memoryLimitInMB: '1024',
    awsRequestId, logGroupName: '/aws/lambda/chat', logStreamName: '2026/03/10/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined, fail: () => undefined, succeed: () => undefined,
  }
}
