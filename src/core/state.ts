/**
 * What must survive the main step so the `post:` step can repair it. The action stores it with
 * `core.saveState` (the `GITHUB_STATE` file); the CLI keeps it in memory (a killed CLI process has
 * no post step; its restart guarantee is the `finally` in the sequences).
 */
export interface StateStore {
  get(key: string): string | undefined
  set(key: string, value: string): void
}

export class MemoryStateStore implements StateStore {
  private readonly values = new Map<string, string>()
  get(key: string): string | undefined {
    return this.values.get(key)
  }
  set(key: string, value: string): void {
    this.values.set(key, value)
  }
}

export const PENDING_RESTART_KEY = 'pending-restart'

/**
 * The canisters this run stopped and has not started again. Written before every stop and after
 * every start, so a run killed at any point leaves an accurate list for the post step.
 */
export class RestartLedger {
  private readonly pending = new Set<string>()
  private readonly store: StateStore

  constructor(store: StateStore) {
    this.store = store
    for (const id of readPendingRestarts(store)) this.pending.add(id)
  }

  markStopping(canisterId: string): void {
    this.pending.add(canisterId)
    this.flush()
  }

  markStarted(canisterId: string): void {
    this.pending.delete(canisterId)
    this.flush()
  }

  list(): string[] {
    return [...this.pending]
  }

  private flush(): void {
    this.store.set(PENDING_RESTART_KEY, JSON.stringify([...this.pending]))
  }
}

export function readPendingRestarts(store: StateStore): string[] {
  const raw = store.get(PENDING_RESTART_KEY)
  if (raw === undefined || raw === '') return []
  try {
    const parsed: unknown = JSON.parse(raw)
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : []
  } catch {
    return []
  }
}
