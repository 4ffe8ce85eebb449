/**
 * A request the broker cannot even parse: a truncated field, a negative length, an array that
 * claims more elements than bytes remain. Kafka answers these by closing the connection (it cannot
 * trust the correlation id of a request it could not parse); so does strata, with a log line.
 */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}
