import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names in lower case; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: string;
  /** Everything the server wrote, status line to last byte. */
  raw: string;
}

/**
 * HTTP/1.1 over a bare socket, for what fetch refuses to send: control
 * characters in headers, malformed request lines, bodies that trickle in.
 */
export class RawConnection {
  private received = Buffer.alloc(0);
  private readonly closedAt: Promise<void>;
  private readonly waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.waiters.splice(0).forEach((wake) => wake());
    });
    socket.on('error', () => undefined);
    this.closedAt = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static open(baseUrl: string): Promise<RawConnection> {
    const { hostname, port } = new URL(baseUrl);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Resolves when the server has closed the connection. */
  closed(): Promise<void> {
    return this.closedAt;
  }

  get isClosed(): boolean {
    return this.socket.destroyed || this.socket.readableEnded;
  }

  /** The next complete response on this connection (Content-Length or chunked bodies). */
  async response(timeoutMs = 5000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseResponse(this.received);
      if (parsed) {
        this.received = this.received.subarray(parsed.length);
        return parsed.response;
      }
      if (this.isClosed)
        throw new Error(`connection closed mid-response: ${JSON.stringify(this.received.toString('latin1'))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no complete response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
        void this.closedAt.then(resolve);
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One request on its own connection, closed afterwards. */
export async function rawRequest(baseUrl: string, request: string | Buffer): Promise<RawResponse> {
  const connection = await RawConnection.open(baseUrl);
  try {
    connection.write(request);
    return await connection.response();
  } finally {
    connection.close();
  }
}

/** Every response a connection gets before it closes, and how it ended. */
export interface Outcome {
  responses: RawResponse[];
  /** The connection was reset or closed before all its answers came. */
  cut: boolean;
}

/** A connection opened and written to at once: resolves once its bytes are in the kernel (they have reached the server). */
export function sendOnNewConnection(baseUrl: string, request: string): Promise<Socket> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    socket.once('error', reject);
    socket.write(request, 'latin1', () => resolve(socket));
  });
}

/** Reads `expected` responses from a socket, or as many as come before it closes. */
export function collect(socket: Socket, expected: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    const responses: RawResponse[] = [];
    const done = (cut: boolean) => {
      socket.destroy();
      resolve({ responses, cut });
    };
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      for (let parsed = parseResponse(data); parsed; parsed = parseResponse(data)) {
        responses.push(parsed.response);
        data = data.subarray(parsed.length);
      }
      if (responses.length >= expected) done(false);
    });
    socket.on('error', () => done(true));
    socket.on('close', () => done(responses.length < expected));
  });
}

/** The answers' statuses and the cut connections, counted: `200×58 cut×2`. */
export function statuses(outcomes: Outcome[]): string {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) {
    const keys = outcome.responses.map((response) => String(response.status));
    if (outcome.cut) keys.push('cut');
    for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([status, n]) => `${status}×${n}`).join(' ');
}

function parseResponse(data: Buffer): { response: RawResponse; length: number } | undefined {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const [statusLine, ...lines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  let offset = headEnd + 4;
  let body: Buffer;
  if (headers['transfer-encoding'] === 'chunked') {
    const chunks: Buffer[] = [];
    for (;;) {
      const lineEnd = data.indexOf('\r\n', offset);
      if (lineEnd < 0) return undefined;
      const size = parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
      if (data.length < lineEnd + 2 + size + 2) return undefined;
      chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
      offset = lineEnd + 2 + size + 2;
      if (size === 0) break;
    }
    body = Buffer.concat(chunks);
  } else {
    const length = Number(headers['content-length'] ?? 0);
    if (data.length < offset + length) return undefined;
    body = data.subarray(offset, offset + length);
    offset += length;
  }
  return {
    response: {
      status,
      headers,
      body: body.toString('utf8'),
      raw: data.subarray(0, offset).toString('latin1'),
    },
    length: offset,
  };
}
