/** The error thrown by the report modules (plot builders, renderer, HTML page) on bad input. */

/** Bad input to a report function; the message names the function and the offending field or row. */
export class ReportError extends Error {
  override name = 'ReportError';
}
