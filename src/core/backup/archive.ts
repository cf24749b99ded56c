/**
 * One `.tar` file per backup, optionally encrypted with age (`.tar.age`). Everything streams:
 * tar → age → file on the way out, file → age → tar extraction on the way in, so memory does not
 * grow with the snapshot's size. Extraction accepts only the snapshot layout's own names and plain
 * files, on top of `tar`'s refusal of absolute paths, `..` and links.
 */
import { createReadStream, createWriteStream, promises as fs } from 'node:fs'
import path from 'node:path'
import { Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { create as createTar, extract as extractTar } from 'tar'
import { DecryptionError, decryptStream, encryptStream, isAgeFile, type DecryptionKeys, type EncryptionKeys } from './encryption.js'
import { isLayoutPath } from './layout.js'

export class ArchiveError extends Error {
  override name = 'ArchiveError'
}

/** Writes `files` (relative to `dir`) to `archivePath`, encrypted when `keys` are given. */
export async function writeArchive(dir: string, files: string[], archivePath: string, keys?: EncryptionKeys): Promise<void> {
  const tmp = `${archivePath}.partial`
  const pack = Readable.from(createTar({ cwd: dir, portable: true, noDirRecurse: true }, files))
  const source: Readable = keys === undefined ? pack : Readable.fromWeb((await encryptStream(toWeb(pack), keys)) as WebReadableStream<Uint8Array>)
  await pipeline(source, createWriteStream(tmp))
  await fs.rename(tmp, archivePath)
}

/**
 * Extracts an archive (decrypting an age file first) into `targetDir`. An encrypted archive needs
 * `keys`; a wrong key fails before anything is written.
 */
export async function extractArchive(archivePath: string, targetDir: string, keys?: DecryptionKeys): Promise<void> {
  await fs.mkdir(targetDir, { recursive: true })
  const encrypted = await isAgeFile(archivePath)
  let source: Readable = createReadStream(archivePath)
  if (encrypted) {
    if (keys === undefined) {
      throw new ArchiveError(`${archivePath} is encrypted with age; set 'decrypt-identity' or 'encrypt-passphrase' to open it.`)
    }
    source = Readable.fromWeb((await decryptStream(toWeb(source), keys, archivePath)) as WebReadableStream<Uint8Array>)
  }
  const refused: string[] = []
  const unpack = extractTar({
    cwd: targetDir,
    strict: true,
    preservePaths: false,
    filter: (entryPath, entry) => {
      const relative = entryPath.replace(/^\.\//, '')
      const type = 'type' in entry ? entry.type : entry.isDirectory() ? 'Directory' : 'File'
      const allowed = isLayoutPath(relative) && (type === 'File' || type === 'OldFile' || type === 'Directory')
      if (!allowed) refused.push(entryPath)
      return allowed
    }
  })
  try {
    await pipeline(source, unpack as unknown as Writable)
  } catch (error: unknown) {
    if (error instanceof DecryptionError) throw error
    throw new ArchiveError(`${archivePath} could not be read (${(error as Error).message}): the archive is corrupted, truncated or altered.`)
  }
  if (refused.length > 0) {
    throw new ArchiveError(
      `${archivePath} contains entries outside the snapshot layout (${refused.slice(0, 3).join(', ')}); refusing to use it.`
    )
  }
}

function toWeb(stream: Readable): ReadableStream<Uint8Array> {
  return Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>
}

export function defaultArchivePath(dir: string, encrypted: boolean): string {
  return `${path.resolve(dir)}.tar${encrypted ? '.age' : ''}`
}
