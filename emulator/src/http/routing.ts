/**
 * What the boundary node answers when it cannot route a request: ic-boundary's client-facing errors
 * (dfinity/ic rs/boundary_node/ic_boundary/src/errors.rs, `ErrorClientFacing`): the status, an
 * `x-ic-error-cause` header and the body `error: <cause>\ndetails: <details>`.
 */
import { HttpError } from './errors.js'

function boundaryError(status: number, cause: string, details: string): HttpError {
  return new HttpError(status, `error: ${cause}\ndetails: ${details}`, { 'x-ic-error-cause': cause })
}

/** The effective canister id is in no subnet's range (this includes `aaaaa-aa`). */
export function boundaryCanisterNotFound(): HttpError {
  return boundaryError(400, 'canister_not_found', 'The specified canister does not exist.')
}

/** `/api/v3/subnet/<sid>/…` names no subnet of the network. */
export function boundarySubnetNotFound(): HttpError {
  return boundaryError(400, 'subnet_not_found', 'The specified subnet cannot be found.')
}
