/** A request the HTTP layer refuses before it reaches the replica: answered as `text/plain`. */
export class HttpError extends Error {
  override name = 'HttpError'
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}
