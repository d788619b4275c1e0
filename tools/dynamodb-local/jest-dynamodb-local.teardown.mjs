/** Jest globalTeardown: stops the run's DynamoDB Local that jest-dynamodb-local.setup.mjs started. */
export default async function teardown() {
  const server = globalThis.breakwaterRunTableServer
  globalThis.breakwaterRunTableServer = undefined
  await server?.stop()
}
