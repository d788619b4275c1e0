/**
 * `npm run invoke -- <LogicalId> events/<file>.json [--scenario <fault>] [--template template.yaml] [--verbose]`
 *
 * The CLI entry of local invoke (the `sam local invoke` of this repository, without Docker). The CLI is
 * tools/local-invoke/invoke-cli.ts; the runner it drives, shared with the tests, is tools/local-invoke/invoke.ts.
 */
import { main } from '../tools/local-invoke/invoke-cli.js'

try {
  process.exitCode = await main(process.argv.slice(2))
} catch (error) {
  process.stderr.write(`invoke: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 2
}
