/**
 * A request the allocator refuses, with the HTTP status that says why. The core throws these before changing any
 * state, so a refused request leaves everything as it was; the HTTP layer passes status and message through.
 */
export class AllocatorError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 410 | 422,
    message: string,
  ) {
    super(message);
    this.name = 'AllocatorError';
  }
}

export const badRequest = (message: string): AllocatorError => new AllocatorError(400, message);
export const notFound = (message: string): AllocatorError => new AllocatorError(404, message);
export const conflict = (message: string): AllocatorError => new AllocatorError(409, message);
export const gone = (message: string): AllocatorError => new AllocatorError(410, message);
