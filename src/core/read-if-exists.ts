import { promises as fs } from 'node:fs'

/**
 * The file's text, or `undefined` when there is no such file: optional records (a backup's
 * manifest, a resume record) are absent in the normal case. Any other read error is thrown.
 */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8')
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
