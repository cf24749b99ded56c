/**
 * `canister-snapshot`: the same commands as the action, from a terminal or any CI system. Options
 * are turned into the action's input names and validated by the same `parseInputs`. The identity
 * PEM comes from a file, an environment variable or stdin, never from argv (visible in `ps`).
 */
import { readFile } from 'node:fs/promises'
import { Command, CommanderError, Option } from 'commander'
import { Inputs, TOOL } from '../constants.js'
import type { CommandResult } from '../core/commands/types.js'
import { runOperation, type OperationResult } from '../core/operation.js'
import { Deadline } from '../core/deadline.js'
import { describeNetwork } from '../core/network.js'
import { getErrorMessage, InputError } from '../core/errors.js'
import { parseIdentity } from '../core/identity.js'
import { createStreamLogger } from '../core/logger.js'
import { formatBytes, toJson } from '../core/report.js'
import { connect } from '../core/session.js'
import { restartPending } from '../core/lifecycle.js'
import { MemoryStateStore } from '../core/state.js'
import { resolveCanisterRefs, withNames } from '../canisters.js'
import { parseInputs, toRequest } from '../inputs.js'

export const IDENTITY_ENV = 'CANISTER_SNAPSHOT_IDENTITY'
export const PASSWORD_ENV = 'CANISTER_SNAPSHOT_IDENTITY_PASSWORD'

export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  env: NodeJS.ProcessEnv
  readStdin: () => Promise<string>
  /**
   * Registers what to do on Ctrl-C / SIGTERM (the CLI has no post step, so it restarts what it
   * stopped before exiting); returns the unregister function.
   */
  onInterrupt?: (handler: () => Promise<void>) => () => void
}

export const PASSPHRASE_ENV = 'CANISTER_SNAPSHOT_PASSPHRASE'
export const DECRYPT_IDENTITY_ENV = 'CANISTER_SNAPSHOT_DECRYPT_IDENTITY'

interface CliOptions {
  network?: string
  canisterIds?: string
  keep?: string
  maxAge?: string
  protect?: string
  minCycles?: string
  consistent?: boolean
  path?: string
  archive?: boolean
  encryptRecipients?: string
  encryptPassphraseFile?: string
  decryptIdentityFile?: string
  load?: boolean
  resume?: boolean
  rootKey?: string
  identityFile?: string
  identityStdin?: boolean
  identityPasswordFile?: string
  snapshotId?: string
  replace?: string
  stop?: boolean
  safetySnapshot?: boolean
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
    .version(TOOL.version, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError()

  const define = (name: string, description: string, alias?: string): Command => {
    const cmd = program.command(name).description(description).argument('<canister...>', "canister principals, project canister names, or 'all'")
    if (alias !== undefined) cmd.alias(alias)
    cmd
      .option('-n, --network <network>', "'ic', 'local' or a URL", 'ic')
      .option('--canister-ids <file>', 'resolve names from this ID file instead of the project files')
      .option('-k, --root-key <key>', "'mainnet', 'fetch' or the root key in hex")
      .option('--identity-file <path>', `PEM file of a controller identity (or set ${IDENTITY_ENV})`)
      .option('--identity-stdin', 'read the identity PEM from stdin')
      .option('--identity-password-file <path>', `password of an encrypted PEM (or set ${PASSWORD_ENV})`)
      .option('--timeout <seconds>', 'budget for the whole operation')
      .option('--concurrency <n>', 'canisters contacted at once (default 8); slices in flight for download/upload (default 16)')
      .option('--json', 'print the result as JSON')
      .option('-v, --verbose', 'debug output')
    return cmd
  }

  const execute = async (operation: string, canisters: string[], opts: CliOptions): Promise<void> => {
    exitCode = await executeCommand(operation, canisters, opts, io)
  }

  const retention = (cmd: Command): Command =>
    cmd
      .option('--keep <n>', 'keep at most n snapshots per canister (1-10)')
      .option('--max-age <duration>', 'delete snapshots older than this, e.g. 14d')
      .option('--protect <ids>', 'snapshot IDs never deleted or replaced')
  retention(
    define('snapshot', 'take a snapshot (stop, snapshot, start)')
      .option('--replace <id>', 'snapshot ID to replace')
      .option('--no-stop', 'snapshot while running (zero downtime; in-flight calls are not captured consistently)')
      .option('--no-consistent', 'stop, snapshot and start each canister on its own instead of one cut')
      .option('--min-cycles <cycles>', 'fail when a snapshot would leave less, e.g. 1.5T')
      .option('--stop-timeout <seconds>', 'budget for stopping')
      .option('--dry-run', 'check everything, change nothing')
  ).action((canisters: string[], opts: CliOptions) => execute('snapshot', canisters, opts))
  retention(define('prune', 'delete the snapshots a retention policy rotates out'))
    .option('--dry-run', 'print what would be deleted, change nothing')
    .action((canisters: string[], opts: CliOptions) => execute('prune', canisters, opts))
  define('download', 'download a snapshot into a directory (or an archive) that dfx and icp can read')
    .option('--snapshot-id <id>', "snapshot ID, 'latest' or 'new'", 'latest')
    .addOption(new Option('--path <dir>', 'directory to write').makeOptionMandatory())
    .option('--archive', 'write one .tar file')
    .option('--encrypt-recipients <keys>', 'age public keys to encrypt the archive to')
    .option('--encrypt-passphrase-file <path>', `file holding an age passphrase (or set ${PASSPHRASE_ENV})`)
    .option('--no-stop', "with 'new': snapshot while running")
    .option('--stop-timeout <seconds>', "with 'new': budget for stopping")
    .option('--resume', 'continue an interrupted download')
    .action((canisters: string[], opts: CliOptions) => execute('download', canisters, opts))
  define('upload', 'upload a downloaded snapshot (directory or archive) as a new snapshot')
    .addOption(new Option('--path <path>', 'backup directory or .tar / .tar.age archive').makeOptionMandatory())
    .option('--replace <id>', 'snapshot ID to replace')
    .option('--decrypt-identity-file <path>', `age identity file (or set ${DECRYPT_IDENTITY_ENV})`)
    .option('--encrypt-passphrase-file <path>', `file holding the archive's age passphrase (or set ${PASSPHRASE_ENV})`)
    .option('--load', 'load it right away (stop, load, start)')
    .option('--stop-timeout <seconds>', 'with --load: budget for stopping')
    .option('--resume', 'continue an interrupted upload')
    .action((canisters: string[], opts: CliOptions) => execute('upload', canisters, opts))
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
  let result: OperationResult
  try {
    const pem = await readIdentity(opts, io)
    const password = opts.identityPasswordFile === undefined ? io.env[PASSWORD_ENV] : (await readSecretFile(opts.identityPasswordFile, Inputs.IdentityPassword)).replace(/\r?\n$/, '')
    const backupSecrets = await readBackupSecrets(operation, opts, io)
    const flag = (value: boolean | undefined): string | undefined => (value === undefined ? undefined : String(value))
    const values: Record<string, string | undefined> = {
      [Inputs.CanisterIds]: opts.canisterIds,
      [Inputs.Keep]: opts.keep,
      [Inputs.MaxAge]: opts.maxAge,
      [Inputs.Protect]: opts.protect,
      [Inputs.MinCycles]: opts.minCycles,
      [Inputs.Consistent]: flag(opts.consistent),
      [Inputs.Path]: opts.path,
      [Inputs.Archive]: opts.archive === true ? 'true' : undefined,
      [Inputs.EncryptRecipients]: opts.encryptRecipients,
      [Inputs.EncryptPassphrase]: backupSecrets.passphrase,
      [Inputs.DecryptIdentity]: backupSecrets.decryptIdentity,
      [Inputs.Load]: opts.load === true ? 'true' : undefined,
      [Inputs.Resume]: opts.resume === true ? 'true' : undefined,
      [Inputs.Operation]: operation,
      [Inputs.Canister]: canisters.join(' '),
      [Inputs.Network]: opts.network,
      [Inputs.RootKey]: opts.rootKey,
      [Inputs.Identity]: pem,
      [Inputs.IdentityPassword]: password,
      [Inputs.SnapshotId]: opts.snapshotId,
      [Inputs.Replace]: opts.replace,
      [Inputs.Stop]: flag(opts.stop),
      [Inputs.SafetySnapshot]: flag(opts.safetySnapshot),
      [Inputs.Timeout]: opts.timeout,
      [Inputs.StopTimeout]: opts.stopTimeout,
      [Inputs.Concurrency]: opts.concurrency,
      [Inputs.DryRun]: opts.dryRun === true ? 'true' : undefined
    }
    const inputs = parseInputs((name) => values[name] ?? '')
    const resolved = await resolveCanisterRefs(inputs, process.cwd())
    const request = toRequest(inputs.command, resolved.map((r) => r.principal))
    const identity = parseIdentity(inputs.identityPem, inputs.identityPassword)
    const client = await connect({ network: inputs.network, identity })
    logger.info(`Identity ${identity.principal} on ${describeNetwork(inputs.network)}.`)
    const state = new MemoryStateStore()
    const ctx = { client, logger, state, deadline: new Deadline(inputs.timeoutSeconds), concurrency: inputs.concurrency }
    const unregister = io.onInterrupt?.(async () => {
      logger.warning('Interrupted: starting the canisters this run stopped before exiting.')
      const { failed } = await restartPending(client, logger, state)
      if (failed.length > 0) logger.error(`Still stopped: ${failed.join(', ')}; start them with \`icp canister start <id>\`.`)
    })
    try {
      result = withNames(await runOperation(ctx, request), resolved)
    } finally {
      unregister?.()
    }
  } catch (error: unknown) {
    const message = getErrorMessage(error)
    if (opts.json === true) io.stdout(`${JSON.stringify({ error: message })}\n`)
    io.stderr(`error: ${message}\n`)
    return error instanceof InputError ? 2 : 1
  }
  io.stdout(opts.json === true ? `${JSON.stringify(toJson(result), null, 2)}\n` : humanReport(result))
  if (result.failure !== undefined) {
    io.stderr(`error: ${result.failure}\n`)
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

interface BackupSecrets {
  passphrase?: string
  decryptIdentity?: string
}

/**
 * The age secrets, read only by the command that uses them: a shell or CI job may export both
 * variables for other steps, and a secret a command does not use must not fail (or reach) it.
 * A file given for one secret means the other's variable is not meant for this run.
 */
async function readBackupSecrets(operation: string, opts: CliOptions, io: CliIo): Promise<BackupSecrets> {
  const fromFile = async (file: string, input: string): Promise<string> => (await readSecretFile(file, input)).replace(/\r?\n$/, '')
  const fromEnv = (name: string): string | undefined => {
    const value = io.env[name]
    return value === undefined || value.trim() === '' ? undefined : value
  }
  if (operation === 'download') {
    return { passphrase: opts.encryptPassphraseFile === undefined ? fromEnv(PASSPHRASE_ENV) : await fromFile(opts.encryptPassphraseFile, Inputs.EncryptPassphrase) }
  }
  if (operation !== 'upload') return {}
  if (opts.decryptIdentityFile !== undefined || opts.encryptPassphraseFile !== undefined) {
    return {
      decryptIdentity: opts.decryptIdentityFile === undefined ? undefined : await fromFile(opts.decryptIdentityFile, Inputs.DecryptIdentity),
      passphrase: opts.encryptPassphraseFile === undefined ? undefined : await fromFile(opts.encryptPassphraseFile, Inputs.EncryptPassphrase)
    }
  }
  const decryptIdentity = fromEnv(DECRYPT_IDENTITY_ENV)
  const passphrase = fromEnv(PASSPHRASE_ENV)
  if (decryptIdentity !== undefined && passphrase !== undefined) {
    throw new InputError(
      Inputs.DecryptIdentity,
      `given once: both ${DECRYPT_IDENTITY_ENV} and ${PASSPHRASE_ENV} are set; unset the one the archive was not encrypted with, or choose with --decrypt-identity-file or --encrypt-passphrase-file`
    )
  }
  return { decryptIdentity, passphrase }
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
