/**
 * Every operation, in the order the action's error message and the CLI's help list them. Adding
 * an operation is one module exporting an `OperationSpec` and one line here.
 */
import { remove } from './delete.js'
import { download } from './download.js'
import { list } from './list.js'
import { prune } from './prune.js'
import { rollback } from './rollback.js'
import { snapshot } from './snapshot.js'
import type { OperationSpec } from './types.js'
import { upload } from './upload.js'

export const OPERATIONS = [snapshot, rollback, list, remove, prune, download, upload] as const

/** The request of any registered operation, discriminated by `operation`. */
export type OperationRequest = (typeof OPERATIONS)[number] extends infer S ? (S extends OperationSpec<infer R> ? R : never) : never

export type OperationName = OperationRequest['operation']

export function findOperation(name: string): OperationSpec | undefined {
  const wanted = name.toLowerCase()
  return OPERATIONS.find((spec) => spec.name === wanted || (spec.aliases ?? []).includes(wanted)) as OperationSpec | undefined
}

/** Every accepted `operation` value, aliases right after their operation. */
export function operationNames(): string[] {
  return OPERATIONS.flatMap((spec) => [spec.name, ...((spec as OperationSpec).aliases ?? [])])
}
