/**
 * File-tree helpers for the layer and example builds: walk, prune, pin modification times, measure, hash.
 * Everything walks in sorted order so two builds of one commit print the same hash.
 */
import { createHash } from 'node:crypto'
import { lstatSync, readdirSync, readFileSync, rmSync, rmdirSync, utimesSync } from 'node:fs'
import { join, relative, sep } from 'node:path'

/** Every build output gets this modification time (2000-01-01T00:00:00Z), so zips of it are byte-identical too. */
export const PINNED_MTIME = new Date('2000-01-01T00:00:00Z')

/** The files under `root` (no directories), sorted, as absolute paths. Symbolic links are listed as files. */
export function filesUnder(root: string): string[] {
  const out: string[] = []
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      if (lstatSync(path).isDirectory()) walk(path)
      else out.push(path)
    }
  }
  walk(root)
  return out
}

/** Deletes the files `drop` selects (by path relative to `root`, `/`-separated), then the directories left empty. */
export function prune(root: string, drop: (relativePath: string) => boolean): number {
  let removed = 0
  for (const file of filesUnder(root)) {
    if (drop(relative(root, file).split(sep).join('/'))) {
      rmSync(file)
      removed++
    }
  }
  removeEmptyDirs(root)
  return removed
}

function removeEmptyDirs(dir: string): boolean {
  let empty = true
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (lstatSync(path).isDirectory() && removeEmptyDirs(path)) rmdirSync(path)
    else empty = false
  }
  return empty
}

/** Sets every file's and directory's times to {@link PINNED_MTIME}. */
export function pinTimes(root: string): void {
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (lstatSync(path).isDirectory()) walk(path)
      if (!lstatSync(path).isSymbolicLink()) utimesSync(path, PINNED_MTIME, PINNED_MTIME)
    }
  }
  walk(root)
  utimesSync(root, PINNED_MTIME, PINNED_MTIME)
}

export interface TreeSummary {
  readonly files: number
  readonly bytes: number
  /** sha256 over every file's relative path, executable bit and content, in sorted order. */
  readonly sha256: string
}

/** Size, file count and a content hash of the tree under `root` (paths relative to it, so the location does not count). */
export function summarize(root: string): TreeSummary {
  const hash = createHash('sha256')
  let bytes = 0
  const files = filesUnder(root)
  for (const file of files) {
    const stat = lstatSync(file)
    const content = readFileSync(file)
    bytes += content.length
    const executable = (stat.mode & 0o111) !== 0 ? 'x' : '-'
    hash.update(`${relative(root, file).split(sep).join('/')}\0${executable}\0`)
    hash.update(createHash('sha256').update(content).digest('hex'))
    hash.update('\n')
  }
  return { files: files.length, bytes, sha256: hash.digest('hex') }
}

export const megabytes = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1)
