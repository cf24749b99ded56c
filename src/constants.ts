/** Recorded in backup manifests; kept equal to package.json's version by a test. */
export const TOOL = { name: 'canister-snapshot-action', version: '0.1.0' } as const

/** Input, output and state names, kebab-case exactly as in action.yml (kept in sync by a test). */
export const Inputs = {
  Canister: 'canister',
  Operation: 'operation',
  Network: 'network',
  RootKey: 'root-key',
  Identity: 'identity',
  IdentityPassword: 'identity-password',
  SnapshotId: 'snapshot-id',
  Replace: 'replace',
  Stop: 'stop',
  SafetySnapshot: 'safety-snapshot',
  Timeout: 'timeout',
  StopTimeout: 'stop-timeout',
  Concurrency: 'concurrency',
  DryRun: 'dry-run',
  CanisterIds: 'canister-ids',
  Keep: 'keep',
  MaxAge: 'max-age',
  Protect: 'protect',
  MinCycles: 'min-cycles',
  Consistent: 'consistent',
  Path: 'path',
  Archive: 'archive',
  EncryptRecipients: 'encrypt-recipients',
  EncryptPassphrase: 'encrypt-passphrase',
  DecryptIdentity: 'decrypt-identity',
  Load: 'load',
  Resume: 'resume',
  FromCanister: 'from-canister'
} as const

/** Inputs whose values are secrets: masked before anything else runs. */
export const SecretInputs = [Inputs.Identity, Inputs.IdentityPassword, Inputs.EncryptPassphrase, Inputs.DecryptIdentity] as const

export const Outputs = {
  SnapshotId: 'snapshot-id',
  SnapshotIds: 'snapshot-ids',
  Snapshots: 'snapshots',
  TakenAt: 'taken-at',
  TotalSize: 'total-size',
  ModuleHash: 'module-hash',
  Principal: 'principal',
  Path: 'path',
  Bytes: 'bytes',
  Sha256: 'sha256'
} as const
