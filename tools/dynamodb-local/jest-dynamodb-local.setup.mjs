/**
 * Jest globalSetup: one DynamoDB Local for the whole run (table-server.ts `startRunTableServer`), spawned without
 * waiting for it, so a run that needs no DynamoDB loses no time; the first suite that does waits until it answers.
 * Or, where Java is missing, the fallback to dynalite, said once here and again at the end (or, under CI, an error).
 *
 * Plain ESM loaded by Node, not by Jest's transform (which would turn it into CommonJS): tsx imports the TypeScript.
 */
import { tsImport } from 'tsx/esm/api'

export default async function setup() {
  const { startRunTableServer } = await tsImport('./table-server.ts', import.meta.url)
  globalThis.breakwaterRunTableServer = await startRunTableServer()
}
