/**
 * HTTP status codes and their reason phrases (RFC 9110 §15), and the framework's two error shapes:
 * `HttpError`, which a handler throws, and `ParseError`, why the parser refused a message. WeApRous's Python
 * original spelled each status line out by hand inside `response.py`; here they live in one table so every
 * part of the daemon writes the same line.
 */

export const STATUS_TEXT: Readonly<Record<number, string>> = {
  100: 'Continue',
  101: 'Switching Protocols',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  206: 'Partial Content',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

/** The reason phrase for `status`, or a generic one for codes not in the table. */
export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? (status < 400 ? 'OK' : status < 500 ? 'Client Error' : 'Server Error');
}

/** What an `HttpError` sends besides its status and message. */
export interface HttpErrorOptions {
  /** Added to the error response, e.g. `{ 'Retry-After': '1' }`. */
  headers?: Record<string, string>;
  /** Whether the message reaches the client; by default for a 4xx only (http-errors' `expose`). */
  expose?: boolean;
}

/**
 * An error a handler throws to answer with a status: `throw new HttpError(404, 'No such peer')`.
 * The message reaches the client only for 4xx (`expose`); a 5xx sends the generic reason phrase, so internal
 * details never leak, unless the sentence is meant for the client:
 * `new HttpError(503, 'Busy; try again', { headers: { 'Retry-After': '1' }, expose: true })`.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly expose: boolean;
  readonly headers: Record<string, string>;

  constructor(status: number, message?: string, options: HttpErrorOptions = {}) {
    super(message ?? statusText(status));
    const { headers = {}, expose = status < 500 } = options;
    this.name = 'HttpError';
    this.status = status;
    this.expose = expose;
    this.headers = headers;
  }
}

/**
 * Why a message was refused: the status to answer, a stable code for tests and logs (like llhttp's
 * `HPE_HEADER_OVERFLOW`), and a sentence for the person who sent it.
 */
export interface ParseError {
  status: 400 | 408 | 413 | 417 | 431 | 501 | 505;
  code: string;
  reason: string;
}

/** What every parsing function returns instead of a result when it refuses the bytes. */
export type Refusal = { kind: 'error'; error: ParseError };

/** `refuse(400, 'INVALID_METHOD', '"G(T" is not a valid method.')` → `{ kind: 'error', error: { ... } }`. */
export function refuse(status: ParseError['status'], code: string, reason: string): Refusal {
  return { kind: 'error', error: { status, code, reason } };
}
