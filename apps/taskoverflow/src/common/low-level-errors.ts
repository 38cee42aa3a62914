import type { ConnectionError, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ErrorBody } from './http-error.filter';

/*
 * Some requests are refused below Nest, where HttpErrorFilter never sees them.
 * Node and Fastify would answer those with bodies of their own shape (or none);
 * these handlers give them the API's `{"error": ...}` too.
 */

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

function clientErrorAnswer(code: string | undefined): { status: number; body: ErrorBody } {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, body: { error: 'The request was not received in time' } };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, body: { error: 'Request headers are too large' } };
    default:
      return { status: 400, body: { error: 'Malformed HTTP request' } };
  }
}

/**
 * Requests Node's HTTP parser refuses (control characters in a header,
 * headers over 16 KiB, request smuggling) or that are too slow (slowloris):
 * answered on the bare socket, which is then closed.
 */
export function answerClientError(error: ConnectionError, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, body } = clientErrorAnswer(error.code);
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        `Content-Type: ${JSON_CONTENT_TYPE}\r\n` +
        'X-Content-Type-Options: nosniff\r\n' +
        `Content-Length: ${Buffer.byteLength(text)}\r\n` +
        'Connection: close\r\n\r\n' +
        text,
    );
  }
  socket.destroy(error);
}

/**
 * URLs Fastify's router refuses before any hook runs: a malformed
 * percent-encoding, or a path parameter over 100 characters (which bounds
 * the router's work). Neither can be a valid id: 400, as the contract says.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const body: ErrorBody =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? {
          error: 'Invalid path parameter',
          details: [{ field: 'params', message: 'must NOT have more than 100 characters' }],
        }
      : { error: 'Malformed URL: invalid percent-encoding' };
  void reply
    .status(400)
    .header('Content-Type', JSON_CONTENT_TYPE)
    .header('X-Content-Type-Options', 'nosniff')
    .header('X-Request-Id', request.id)
    .send(JSON.stringify(body));
}

/** An `Expect` other than 100-continue: Node would answer a bare 417. */
export function answerUnmetExpectation(_request: IncomingMessage, response: ServerResponse): void {
  const text = JSON.stringify({ error: 'Unsupported Expect header' } satisfies ErrorBody);
  response.writeHead(417, {
    'Content-Type': JSON_CONTENT_TYPE,
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}
