import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of PostgreSQL that can go silent, as a network
 * partition or a failed-over host does: connections stay open, nothing
 * arrives, nobody is told. (TcpProxy's cut() closes them: an honest failure.)
 * What was sent while frozen is delivered on thaw, as TCP would retransmit it.
 */
export class FreezableRelay {
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private frozen = false;

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
  ) {}

  static async start(target: string): Promise<FreezableRelay> {
    const server = createServer();
    const relay = new FreezableRelay(server, new URL(target));
    server.on('connection', (client) => relay.relay(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  /** The target URL with its host and port replaced by the relay's. */
  url(): string {
    const url = new URL(this.target);
    url.hostname = '127.0.0.1';
    url.port = String((this.server.address() as { port: number }).port);
    return url.toString();
  }

  /** From now on nothing passes, in either direction, on old or new connections. */
  freeze(): void {
    this.frozen = true;
    for (const { client, upstream } of this.pairs) {
      client.pause();
      upstream.pause();
    }
  }

  thaw(): void {
    this.frozen = false;
    for (const { client, upstream } of this.pairs) {
      client.resume();
      upstream.resume();
    }
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise((resolve) => this.server.close(resolve));
  }

  private relay(client: Socket): void {
    const upstream = connect(Number(this.target.port), this.target.hostname);
    const pair = { client, upstream };
    this.pairs.add(pair);
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      });
    }
    // Not pipe(): a drained destination would resume a frozen source.
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => client.write(chunk));
    if (this.frozen) {
      client.pause();
      upstream.pause();
    }
  }
}
