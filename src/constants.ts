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
  DryRun: 'dry-run'
} as const

export const Outputs = {
  SnapshotId: 'snapshot-id',
  SnapshotIds: 'snapshot-ids',
  Snapshots: 'snapshots',
  TakenAt: 'taken-at',
  TotalSize: 'total-size',
  ModuleHash: 'module-hash',
  Principal: 'principal'
} as const
