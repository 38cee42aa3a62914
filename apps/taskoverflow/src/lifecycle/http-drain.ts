import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** The listener stays open until no connection has come for this long: the kernel's accept queue is empty. */
const ACCEPT_QUIET_MS = 50;
/** ... but not longer than this, under a steady stream of new connections. */
const ACCEPT_MAX_MS = 1000;
/** A connection with no request in progress for this long is closed. */
const IDLE_MS = 1000;

interface Tracked {
  /** Requests received and not yet answered, oldest first (pipelined requests queue up). */
  inFlight: Set<ServerResponse>;
  /** When the connection was accepted, last finished an answer or was last seen to have read bytes. */
  lastActivity: number;
  /** socket.bytesRead when last looked at: the HTTP parser reads the socket natively, with no 'data' events. */
  bytesRead: number;
}

/**
 * Stopping the HTTP server without losing a request that reached it. Node's
 * own close() resets the connections still in the kernel's accept queue and
 * closes every connection with no request in progress, even one whose request
 * bytes are waiting to be read; Fastify then answers 503 to requests read
 * during its close. Here instead: the listener stays open until the accept
 * queue is empty; every request already sent, or arriving on an open
 * connection (pipelined ones too), gets its normal answer, the last one on
 * its connection with `Connection: close`; a connection is closed only once
 * it has been idle for a moment. Fastify must not close connections itself
 * (forceCloseConnections: false, return503OnClosing: false).
 */
export class HttpDrain {
  private readonly connections = new Map<Socket, Tracked>();
  private lastConnectionAt = 0;
  private draining = false;

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      const tracked: Tracked = { inFlight: new Set(), lastActivity: Date.now(), bytesRead: 0 };
      this.lastConnectionAt = tracked.lastActivity;
      this.connections.set(socket, tracked);
      socket.once('close', () => this.connections.delete(socket));
    });
    // Before the application's own listener, so that even an answer written at once is counted.
    server.prependListener('request', (request: IncomingMessage, response: ServerResponse) =>
      this.onRequest(request, response),
    );
  }

  private onRequest(request: IncomingMessage, response: ServerResponse): void {
    const tracked = this.connections.get(request.socket);
    if (tracked === undefined) return;
    tracked.inFlight.add(response);
    if (this.draining) this.closeAfter(response, tracked);
    response.once('close', () => {
      tracked.inFlight.delete(response);
      tracked.lastActivity = Date.now();
    });
  }

  /** While draining, the last answer on a connection tells the client to send no more requests on it. */
  private closeAfter(response: ServerResponse, tracked: Tracked): void {
    const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => ServerResponse;
    response.writeHead = (...args: unknown[]) => {
      if (tracked.inFlight.size <= 1 && !response.headersSent) response.setHeader('Connection', 'close');
      return writeHead(...args);
    };
  }

  /**
   * Waits until no connection has come for a moment since the signal: the
   * kernel's accept queue is empty, and (in a cluster) the connections the
   * primary accepted have been handed over. Then the caller stops listening
   * (server.close(), from the application's close), and from that moment
   * each connection's last answer says `Connection: close`.
   */
  async stopAccepting(): Promise<void> {
    const started = Date.now();
    const quietFor = () => Date.now() - Math.max(this.lastConnectionAt, started);
    do {
      await sleep(ACCEPT_QUIET_MS / 5);
      // A timer runs before the loop polls for I/O: after a stall (a busy CPU), connections waiting
      // to be accepted are only seen once the poll phase has run, which setImmediate waits for.
      await new Promise((resolve) => setImmediate(resolve));
    } while (quietFor() < ACCEPT_QUIET_MS && Date.now() - started < ACCEPT_MAX_MS);
    // Node's close() closes every connection between two requests, even one whose next request is
    // already on its way; closeIdleConnections() below closes a connection only once it is idle.
    this.server.closeIdleConnections = () => undefined;
    // Clients are told to leave their connections only once the listener is closed: told
    // earlier, they would reconnect at once, and a connection still in the accept queue when
    // the listener closes is reset, not refused.
    const close = this.server.close.bind(this.server);
    this.server.close = (callback?: (error?: Error) => void) => {
      const closed = close(callback);
      this.startDraining();
      return closed;
    };
  }

  private startDraining(): void {
    this.draining = true;
    for (const tracked of this.connections.values()) {
      for (const response of tracked.inFlight) if (!response.headersSent) this.closeAfter(response, tracked);
    }
  }

  /** Closes, now and then, the connections that have been idle for a moment; stops when all are closed. */
  async closeIdleConnections(signal: AbortSignal): Promise<void> {
    while (this.connections.size > 0 && !signal.aborted) {
      await sleep(IDLE_MS / 2);
      // As in stopAccepting: bytes that came during a stall are read before a connection is judged idle.
      await new Promise((resolve) => setImmediate(resolve));
      const now = Date.now();
      for (const [socket, tracked] of this.connections) {
        if (socket.bytesRead !== tracked.bytesRead) {
          tracked.bytesRead = socket.bytesRead;
          tracked.lastActivity = now;
        }
        if (tracked.inFlight.size === 0 && now - tracked.lastActivity >= IDLE_MS) socket.destroySoon();
      }
    }
  }

  /** The deadline: every connection still open is closed. */
  closeAll(): void {
    for (const socket of this.connections.keys()) socket.destroy();
  }
}
