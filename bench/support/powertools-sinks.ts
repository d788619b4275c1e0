/**
 * Powertools Logger and Metrics that hand their output to a function instead of stdout: the demo reads the log lines
 * back to tell the story of each invocation, and the overhead bench throws them away so 20 000 invocations do not
 * flood the terminal. Everything up to the final write (level filtering, log item building, JSON/EMF serialisation)
 * is the real Powertools code path.
 */
import { Logger, type LogItem } from '@aws-lambda-powertools/logger'
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types'
import { Metrics } from '@aws-lambda-powertools/metrics'
import type { EmfOutput, MetricsOptions } from '@aws-lambda-powertools/metrics/types'

/** One structured log line as Powertools would print it. */
export type LogEntry = Readonly<Record<string, unknown>> & { readonly level: string; readonly message: string }

/** A Logger whose printed lines go to `sink` (already JSON-serialised, as in Lambda). */
export class SinkLogger extends Logger {
  // A field initialiser would run after super(), which may already print buffered init-time warnings.
  declare private sink: ((entry: LogEntry, json: string) => void) | undefined

  constructor(sink: (entry: LogEntry, json: string) => void, options: ConstructorOptions = {}) {
    super(options)
    this.sink = sink
  }

  protected override printLog(_level: number, log: LogItem): void {
    log.prepareForPrint()
    const attributes = log.getAttributes()
    const json = JSON.stringify(attributes)
    this.sink?.(JSON.parse(json) as LogEntry, json)
  }
}

/** A Metrics whose EMF blobs go to `sink` at each flush, instead of stdout. */
export class SinkMetrics extends Metrics {
  declare private sink: ((emf: EmfOutput, json: string) => void) | undefined

  constructor(sink: (emf: EmfOutput, json: string) => void, options: MetricsOptions = {}) {
    super(options)
    this.sink = sink
  }

  override publishStoredMetrics(): this {
    try {
      if (this.hasStoredMetrics()) {
        const emf = this.serializeMetrics()
        this.sink?.(emf, JSON.stringify(emf))
      }
    } finally {
      this.clearMetrics()
      this.clearDimensions()
      this.clearMetadata()
    }
    return this
  }
}

/** Metric name → values, read back from an EMF blob. */
export function metricValues(emf: EmfOutput): Map<string, number[]> {
  const values = new Map<string, number[]>()
  for (const directive of emf._aws.CloudWatchMetrics) {
    for (const { Name } of directive.Metrics) {
      const v = emf[Name]
      values.set(Name, Array.isArray(v) ? (v as number[]) : [Number(v)])
    }
  }
  return values
}
