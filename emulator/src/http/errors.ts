/** A request the HTTP layer refuses before it reaches the replica: answered as `text/plain`. */
export class HttpError extends Error {
  override name = 'HttpError'
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers (the boundary node names its error cause in one). */
    readonly headers: Readonly<Record<string, string>> = {}
  ) {
    super(message)
  }
}
