/**
 * `canister-snapshot`: the same commands as the action, from a terminal or any CI system. Options
 * are turned into the action's input names and validated by the same `parseInputs`. The identity
 * PEM comes from a file, an environment variable or stdin, never from argv (visible in `ps`).
 */
import { readFile } from 'node:fs/promises'
import { Command, CommanderError, Option } from 'commander'
import { Inputs } from '../constants.js'
import { runCommand, type CommandResult } from '../core/commands/index.js'
import { Deadline } from '../core/deadline.js'
import { getErrorMessage, InputError } from '../core/errors.js'
import { parseIdentity } from '../core/identity.js'
import { createStreamLogger } from '../core/logger.js'
import { failureMessage, formatBytes, toJson } from '../core/report.js'
import { connect } from '../core/session.js'
import { MemoryStateStore } from '../core/state.js'
import { parseInputs, toPrincipals, toRequest } from '../inputs.js'

export const IDENTITY_ENV = 'CANISTER_SNAPSHOT_IDENTITY'
export const PASSWORD_ENV = 'CANISTER_SNAPSHOT_IDENTITY_PASSWORD'

export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  env: NodeJS.ProcessEnv
  readStdin: () => Promise<string>
}

interface CliOptions {
  network?: string
  rootKey?: string
  identityFile?: string
  identityStdin?: boolean
  identityPasswordFile?: string
  snapshotId?: string
  replace?: string
  stop: boolean
  safetySnapshot: boolean
  timeout?: string
  stopTimeout?: string
  concurrency?: string
  dryRun?: boolean
  json?: boolean
  verbose?: boolean
}

/** Runs the CLI and returns the exit code: 0 success, 1 operation failed, 2 bad input. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode = 0
  const program = new Command('canister-snapshot')
    .description('Snapshot, roll back, list and delete Internet Computer canister snapshots safely.')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError()

  const define = (name: string, description: string, alias?: string): Command => {
    const cmd = program.command(name).description(description).argument('<canister...>', 'canister principals')
    if (alias !== undefined) cmd.alias(alias)
    cmd
      .option('-n, --network <network>', "'ic', 'local' or a URL", 'ic')
      .option('-k, --root-key <key>', "'mainnet', 'fetch' or the root key in hex")
      .option('--identity-file <path>', `PEM file of a controller identity (or set ${IDENTITY_ENV})`)
      .option('--identity-stdin', 'read the identity PEM from stdin')
      .option('--identity-password-file <path>', `password of an encrypted PEM (or set ${PASSWORD_ENV})`)
      .option('--timeout <seconds>', 'budget for the whole operation')
      .option('--concurrency <n>', 'canisters contacted at once')
      .option('--json', 'print the result as JSON')
      .option('-v, --verbose', 'debug output')
    return cmd
  }

  const execute = async (operation: string, canisters: string[], opts: CliOptions): Promise<void> => {
    exitCode = await executeCommand(operation, canisters, opts, io)
  }

  define('snapshot', 'take a snapshot (stop, snapshot, start)')
    .option('--replace <id>', 'snapshot ID to replace')
    .option('--no-stop', 'snapshot while running (zero downtime; in-flight calls are not captured consistently)')
    .option('--stop-timeout <seconds>', 'budget for stopping')
    .option('--dry-run', 'check everything, change nothing')
    .action((canisters: string[], opts: CliOptions) => execute('snapshot', canisters, opts))
  define('rollback', 'load a snapshot (stop, safety snapshot, load, start)', 'restore')
    .addOption(new Option('--snapshot-id <id>', "snapshot ID or 'latest'").makeOptionMandatory())
    .option('--no-safety-snapshot', 'do not snapshot the current state first')
    .option('--stop-timeout <seconds>', 'budget for stopping')
    .option('--dry-run', 'check everything, change nothing')
    .action((canisters: string[], opts: CliOptions) => execute('rollback', canisters, opts))
  define('list', 'list snapshots').action((canisters: string[], opts: CliOptions) => execute('list', canisters, opts))
  define('delete', 'delete a snapshot')
    .addOption(new Option('--snapshot-id <id>', "snapshot ID or 'latest'").makeOptionMandatory())
    .option('--dry-run', 'check everything, change nothing')
    .action((canisters: string[], opts: CliOptions) => execute('delete', canisters, opts))

  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (error: unknown) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2
    throw error
  }
  return exitCode
}

async function executeCommand(operation: string, canisters: string[], opts: CliOptions, io: CliIo): Promise<number> {
  const logger = createStreamLogger({ write: (line) => io.stderr(`${line}\n`), verbose: opts.verbose === true })
  let result: CommandResult
  try {
    const pem = await readIdentity(opts, io)
    const password = opts.identityPasswordFile === undefined ? io.env[PASSWORD_ENV] : (await readSecretFile(opts.identityPasswordFile, Inputs.IdentityPassword)).replace(/\r?\n$/, '')
    const values: Record<string, string | undefined> = {
      [Inputs.Operation]: operation,
      [Inputs.Canister]: canisters.join(' '),
      [Inputs.Network]: opts.network,
      [Inputs.RootKey]: opts.rootKey,
      [Inputs.Identity]: pem,
      [Inputs.IdentityPassword]: password,
      [Inputs.SnapshotId]: opts.snapshotId,
      [Inputs.Replace]: opts.replace,
      [Inputs.Stop]: operation === 'snapshot' ? String(opts.stop) : undefined,
      [Inputs.SafetySnapshot]: operation === 'rollback' ? String(opts.safetySnapshot) : undefined,
      [Inputs.Timeout]: opts.timeout,
      [Inputs.StopTimeout]: opts.stopTimeout,
      [Inputs.Concurrency]: opts.concurrency,
      [Inputs.DryRun]: opts.dryRun === true ? 'true' : undefined
    }
    const inputs = parseInputs((name) => values[name] ?? '')
    const request = toRequest(inputs.command, toPrincipals(inputs.canisterRefs))
    const identity = parseIdentity(inputs.identityPem, inputs.identityPassword)
    const client = await connect({ network: inputs.network, identity })
    logger.info(`Identity ${identity.principal} on ${inputs.network.name} (${inputs.network.host}).`)
    const ctx = { client, logger, state: new MemoryStateStore(), deadline: new Deadline(inputs.timeoutSeconds), concurrency: inputs.concurrency }
    result = await runCommand(ctx, request)
  } catch (error: unknown) {
    const message = getErrorMessage(error)
    if (opts.json === true) io.stdout(`${JSON.stringify({ error: message })}\n`)
    io.stderr(`error: ${message}\n`)
    return error instanceof InputError ? 2 : 1
  }
  io.stdout(opts.json === true ? `${JSON.stringify(toJson(result), null, 2)}\n` : humanReport(result))
  const failure = failureMessage(result)
  if (failure !== undefined) {
    io.stderr(`error: ${failure}\n`)
    return 1
  }
  return 0
}

async function readIdentity(opts: CliOptions, io: CliIo): Promise<string> {
  if (opts.identityFile !== undefined) return readSecretFile(opts.identityFile, Inputs.Identity)
  if (opts.identityStdin === true) return io.readStdin()
  const fromEnv = io.env[IDENTITY_ENV]
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv
  throw new InputError(Inputs.Identity, `given with --identity-file <path>, --identity-stdin or the ${IDENTITY_ENV} environment variable`)
}

async function readSecretFile(path: string, input: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error: unknown) {
    const code = (error as { code?: unknown }).code
    throw new InputError(input, `a readable file path (${typeof code === 'string' ? code : 'unreadable'})`, path)
  }
}

/** Human output in the style of `icp canister snapshot`: one line per canister or snapshot. */
export function humanReport(result: CommandResult): string {
  const lines: string[] = []
  for (const r of result.results) {
    if (r.outcome === 'failed') {
      lines.push(`${r.canisterId}: failed: ${r.error ?? ''}`)
      continue
    }
    switch (r.operation) {
      case 'list':
        if ((r.snapshots ?? []).length === 0) lines.push(`No snapshots found for canister ${r.canisterId}`)
        else lines.push(`Snapshots for canister ${r.canisterId}:`)
        for (const s of r.snapshots ?? []) lines.push(`  ${s.id}: ${formatBytes(s.totalSize)}, taken at ${new Date(Number(s.takenAtNs / 1_000_000n)).toISOString()}`)
        break
      case 'snapshot':
        lines.push(r.outcome === 'ok' ? `Created snapshot ${r.snapshotId ?? ''} for canister ${r.canisterId} (${formatBytes(r.totalSize ?? 0n)}, downtime ${((r.downtimeMs ?? 0) / 1000).toFixed(1)} s)` : `${r.canisterId}: ${r.outcome}: ${r.note ?? ''}`)
        break
      case 'rollback':
        lines.push(r.outcome === 'ok' ? `Restored canister ${r.canisterId} from snapshot ${r.snapshotId ?? ''}; running module ${r.moduleHash ?? ''}${r.safetySnapshotId === undefined ? '' : ` (safety snapshot ${r.safetySnapshotId})`}` : `${r.canisterId}: ${r.outcome}: ${r.note ?? ''}`)
        break
      case 'delete':
        lines.push(r.outcome === 'ok' ? `Deleted snapshot ${r.snapshotId ?? ''} from canister ${r.canisterId}` : `${r.canisterId}: ${r.outcome}: ${r.note ?? ''}`)
        break
      default:
        lines.push(`${r.canisterId}: ${r.operation} ${r.outcome}${r.snapshotId === undefined ? '' : ` ${r.snapshotId}`}${r.note === undefined ? '' : `: ${r.note}`}`)
    }
  }
  return `${lines.join('\n')}\n`
}
