/**
 * The contract every operation meets: what it reads (declared, so the CLI's flags, its help and
 * the action.yml check come from one place), how it parses that, and how it runs. An operation
 * is one module exporting one `OperationSpec`, listed once in `registry.ts`.
 */
import type { Principal } from '@icp-sdk/core/principal'
import type { CommandContext, CommandResult } from '../commands/types.js'
import type { ReadInput } from '../inputs/values.js'

/** One input as action.yml declares it; the CLI turns it into a flag. */
export interface InputDecl {
  /** The action input's name (kebab-case); the CLI flag is `--<name>`. */
  name: string
  /** `boolean` inputs become `--<name>` (default false) or `--no-<name>` (default true) on the CLI. */
  type: 'string' | 'boolean'
  /** What an empty input means, as action.yml would state it; undefined when it depends. */
  default?: string
  /** One line for the CLI's help, in this operation's terms. */
  description: string
  /** The CLI's placeholder for the value (`--path <dir>`). */
  value?: string
  /** The operation cannot run without it: the CLI refuses to start without the flag. */
  required?: boolean
  /** A secret: never on argv, never echoed (the CLI reads it from a file or the environment). */
  secret?: boolean
}

/** What every operation shares, parsed before the operation's own inputs. */
export interface CommonInputs {
  /** `ic`, `local` or the URL: recorded in backup manifests. */
  networkName: string
}

/** An operation's request: its parsed inputs plus the canisters, resolved after parsing. */
export interface RequestBase<Name extends string> {
  operation: Name
  canisters: Principal[]
}

/** One canister reference (principal or project name) of `input`, resolved as `canister` is. */
export type ResolveRef = (ref: string, input: string) => Promise<Principal>

export interface OperationResult extends CommandResult {
  /** Outputs beyond the common ones (`path`, `bytes`, `sha256` for backups). */
  extraOutputs: Record<string, string>
  /** The step's one-line failure, or undefined on success. */
  failure: string | undefined
}

export interface OperationSpec<Req extends RequestBase<string> = RequestBase<string>> {
  name: Req['operation']
  /** Other names accepted for `operation` and as CLI subcommands (`restore`). */
  aliases?: readonly string[]
  /** One line for the CLI's help. */
  summary: string
  /** Download, upload and copy act on exactly one canister; the rest on one or more. */
  canisters: 'one' | 'many'
  /** Slices (download, upload, copy) or canisters (the rest) in flight by default. */
  defaultConcurrency: number
  /** The operation's own inputs, beyond the common ones. */
  inputs: readonly InputDecl[]
  /** The request without its canisters; each error is an `InputError` naming the input. */
  parse(read: ReadInput, common: CommonInputs): Omit<Req, 'canisters'>
  /**
   * Resolves inputs that name canisters besides `canister` (copy's `from-canister`), with the same
   * rules as `canister`: principals, or project names through the ID files.
   */
  resolve?(req: Omit<Req, 'canisters'>, resolveRef: ResolveRef): Promise<Omit<Req, 'canisters'>>
  /**
   * Checks of the parsed request that need a library loaded on demand (age-encryption's key
   * parser); run right after `parse`, before the canisters are resolved or anything is sent.
   */
  check?(req: Omit<Req, 'canisters'>): Promise<void>
  run(ctx: CommandContext, req: Req): Promise<OperationResult>
}
