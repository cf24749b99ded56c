/**
 * `canister-snapshot`: the same operations as the action, from a terminal or any CI system. Each
 * subcommand and its flags are built from the operation's spec (`--<input>` for every input it
 * declares), and the values go through the same parser and flow as the action's. Secrets (the
 * identity PEM, its password, age keys) come from a file, an environment variable or stdin, never
 * from argv (visible in `ps`).
 */
import { readFile } from 'node:fs/promises'
import { Command, CommanderError, Option } from 'commander'
import { Inputs, TOOL } from '../constants.js'
import type { CommandResult } from '../core/commands/types.js'
import { getErrorMessage, InputError } from '../core/errors.js'
import { runFlow } from '../core/flow.js'
import { COMMON_INPUTS } from '../core/inputs/common.js'
import type { ReadInput } from '../core/inputs/values.js'
import { restartPending } from '../core/phases/lifecycle.js'
import { createStreamLogger } from '../core/logger.js'
import { OPERATIONS } from '../core/operations/registry.js'
import type { InputDecl, OperationResult, OperationSpec } from '../core/operations/types.js'
import { formatBytes, toJson } from '../core/report.js'
import { MemoryStateStore } from '../core/state.js'

export const IDENTITY_ENV = 'CANISTER_SNAPSHOT_IDENTITY'
export const PASSWORD_ENV = 'CANISTER_SNAPSHOT_IDENTITY_PASSWORD'
export const PASSPHRASE_ENV = 'CANISTER_SNAPSHOT_PASSPHRASE'
export const DECRYPT_IDENTITY_ENV = 'CANISTER_SNAPSHOT_DECRYPT_IDENTITY'

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

/** Where each secret input comes from on the CLI, instead of a flag taking its value. */
export const SECRET_SOURCES: Record<string, { file: string; env: string }> = {
  [Inputs.Identity]: { file: 'identity-file', env: IDENTITY_ENV },
  [Inputs.IdentityPassword]: { file: 'identity-password-file', env: PASSWORD_ENV },
  [Inputs.EncryptPassphrase]: { file: 'encrypt-passphrase-file', env: PASSPHRASE_ENV },
  [Inputs.DecryptIdentity]: { file: 'decrypt-identity-file', env: DECRYPT_IDENTITY_ENV }
}

/** Either key decrypts an upload; a file given for one means the other's variable is not meant for this run. */
const ALTERNATIVE_SECRETS: readonly string[] = [Inputs.DecryptIdentity, Inputs.EncryptPassphrase]

const SHORT_FLAGS: Record<string, string> = { [Inputs.Network]: '-n', [Inputs.RootKey]: '-k' }

/** The subcommand and argument stand for these. */
const NOT_FLAGS: readonly string[] = [Inputs.Operation, Inputs.Canister]

type CliOptions = Record<string, string | boolean | undefined>

/** A parsed command line: the operation, its canisters, and each flag's value by input name. */
export interface CliCommand {
  spec: OperationSpec
  canisters: string[]
  opts: CliOptions
  /** Input name → commander's attribute for its flag. */
  flags: Map<string, string>
}

/** Runs the CLI and returns the exit code: 0 success, 1 operation failed, 2 bad input. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const parsed = await parseArgv(argv, io)
  return typeof parsed === 'number' ? parsed : execute(parsed, io)
}

/** Commander's part: the subcommand and its flags (usage errors print help and exit 2). */
export async function parseArgv(argv: string[], io: Pick<CliIo, 'stdout' | 'stderr'>): Promise<CliCommand | number> {
  let parsed: CliCommand | undefined
  const program = new Command('canister-snapshot')
    .description('Snapshot, roll back, list and delete Internet Computer canister snapshots safely.')
    .version(TOOL.version, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError()
  const canister = COMMON_INPUTS.find((d) => d.name === Inputs.Canister) as InputDecl
  for (const spec of OPERATIONS as readonly OperationSpec[]) {
    const cmd = program.command(spec.name).description(spec.summary).argument('<canister...>', canister.description)
    for (const alias of spec.aliases ?? []) cmd.alias(alias)
    const flags = new Map<string, string>()
    for (const decl of [...COMMON_INPUTS, ...spec.inputs]) addFlags(cmd, decl, flags)
    cmd.option('--json', 'print the result as JSON').option('-v, --verbose', 'debug output')
    cmd.action((canisters: string[], opts: CliOptions) => {
      parsed = { spec, canisters, opts, flags }
    })
  }
  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (error: unknown) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2
    throw error
  }
  return parsed ?? 0
}

function addFlags(cmd: Command, decl: InputDecl, flags: Map<string, string>): void {
  if (NOT_FLAGS.includes(decl.name)) return
  const secret = SECRET_SOURCES[decl.name]
  if (decl.secret === true && secret !== undefined) {
    cmd.option(`--${secret.file} <path>`, `file holding the ${decl.description} (or set ${secret.env})`)
    if (decl.name === Inputs.Identity) cmd.option('--identity-stdin', `read the ${decl.description} from stdin`)
    return
  }
  const short = SHORT_FLAGS[decl.name]
  const long = decl.type === 'boolean' ? (decl.default === 'true' ? `--no-${decl.name}` : `--${decl.name}`) : `--${decl.name} <${decl.value ?? 'value'}>`
  const option = new Option(short === undefined ? long : `${short}, ${long}`, decl.description)
  if (decl.type !== 'boolean' && decl.default !== undefined) option.default(decl.default)
  if (decl.required === true) option.makeOptionMandatory()
  cmd.addOption(option)
  flags.set(decl.name, option.attributeName())
}

/** The inputs as the action would read them: flags by input name, secrets from files, env or stdin. */
export async function cliReader(command: CliCommand, io: Pick<CliIo, 'env' | 'readStdin'>): Promise<ReadInput> {
  const values = new Map<string, string>([
    [Inputs.Operation, command.spec.name],
    [Inputs.Canister, command.canisters.join(' ')]
  ])
  for (const [name, attribute] of command.flags) {
    const value = command.opts[attribute]
    if (value !== undefined && value !== false) values.set(name, String(value))
    // `--no-<name>` is the one way to say false; leaving a boolean off keeps its default.
    else if (value === false) values.set(name, 'false')
  }
  for (const [name, value] of await readSecrets(command, io)) values.set(name, value)
  return (name) => values.get(name) ?? ''
}

async function readSecrets(command: CliCommand, io: Pick<CliIo, 'env' | 'readStdin'>): Promise<Map<string, string>> {
  const declared = [...COMMON_INPUTS, ...command.spec.inputs].filter((d) => d.secret === true).map((d) => d.name)
  const file = (name: string): string | undefined => command.opts[camel(SECRET_SOURCES[name]?.file ?? '')] as string | undefined
  const env = (name: string): string | undefined => {
    const value = io.env[SECRET_SOURCES[name]?.env ?? '']
    return value === undefined || value.trim() === '' ? undefined : value
  }
  const secrets = new Map<string, string>()
  const identityFile = file(Inputs.Identity)
  const identityEnv = env(Inputs.Identity)
  if (identityFile !== undefined) secrets.set(Inputs.Identity, await readSecretFile(identityFile, Inputs.Identity))
  else if (command.opts.identityStdin === true) secrets.set(Inputs.Identity, await io.readStdin())
  else if (identityEnv !== undefined) secrets.set(Inputs.Identity, identityEnv)
  else throw new InputError(Inputs.Identity, `given with --identity-file <path>, --identity-stdin or the ${IDENTITY_ENV} environment variable`)
  // The password may be set to a value with surrounding spaces on purpose: the variable is taken as is.
  const passwordFile = file(Inputs.IdentityPassword)
  const password = passwordFile === undefined ? io.env[PASSWORD_ENV] : (await readSecretFile(passwordFile, Inputs.IdentityPassword)).replace(/\r?\n$/, '')
  if (password !== undefined) secrets.set(Inputs.IdentityPassword, password)

  // The age secrets are read only by an operation that declares them: a shell or CI job may
  // export the variables for other steps, and a secret an operation does not use must not fail (or reach) it.
  const alternatives = ALTERNATIVE_SECRETS.filter((name) => declared.includes(name))
  const fromFiles = alternatives.filter((name) => file(name) !== undefined)
  if (fromFiles.length > 0) {
    for (const name of fromFiles) secrets.set(name, (await readSecretFile(file(name) as string, name)).replace(/\r?\n$/, ''))
    return secrets
  }
  const fromEnv = alternatives.filter((name) => env(name) !== undefined)
  if (fromEnv.length > 1) {
    throw new InputError(
      Inputs.DecryptIdentity,
      `given once: both ${DECRYPT_IDENTITY_ENV} and ${PASSPHRASE_ENV} are set; unset the one the archive was not encrypted with, or choose with --decrypt-identity-file or --encrypt-passphrase-file`
    )
  }
  for (const name of fromEnv) secrets.set(name, env(name) as string)
  return secrets
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())
}

async function execute(command: CliCommand, io: CliIo): Promise<number> {
  const json = command.opts.json === true
  const logger = createStreamLogger({ write: (line) => io.stderr(`${line}\n`), verbose: command.opts.verbose === true })
  let result: OperationResult
  try {
    const state = new MemoryStateStore()
    result = await runFlow({
      read: await cliReader(command, io),
      projectRoot: process.cwd(),
      logger,
      state,
      guard: (client) =>
        io.onInterrupt?.(async () => {
          logger.warning('Interrupted: starting the canisters this run stopped before exiting.')
          const { failed } = await restartPending(client, logger, state)
          if (failed.length > 0) logger.error(`Still stopped: ${failed.join(', ')}; start them with \`icp canister start <id>\`.`)
        }) ?? (() => undefined)
    })
  } catch (error: unknown) {
    const message = getErrorMessage(error)
    if (json) io.stdout(`${JSON.stringify({ error: message })}\n`)
    io.stderr(`error: ${message}\n`)
    return error instanceof InputError ? 2 : 1
  }
  io.stdout(json ? `${JSON.stringify(toJson(result), null, 2)}\n` : humanReport(result))
  if (result.failure !== undefined) {
    io.stderr(`error: ${result.failure}\n`)
    return 1
  }
  return 0
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
      case 'copy':
        lines.push(r.outcome === 'ok' ? `Copied onto canister ${r.canisterId} ${r.note ?? ''}; running module ${r.moduleHash ?? ''}${r.safetySnapshotId === undefined ? '' : ` (safety snapshot ${r.safetySnapshotId})`}` : `${r.canisterId}: ${r.outcome}: ${r.note ?? ''}`)
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
