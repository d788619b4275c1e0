// Worker entry for a chaos-bench instance: registers tsx (workers do not inherit the parent's loader, and Jest's
// parent has none), then loads the TypeScript worker named in workerData.entry.
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
await import(workerData.entry)
