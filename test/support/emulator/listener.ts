// An HTTP listener that can be closed and reopened on the same port, to simulate an outage.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class Listener {
  private server: http.Server | null = null;
  port = 0;

  constructor(private readonly handler: http.RequestListener) {}

  get online(): boolean {
    return this.server !== null;
  }

  async open(port = this.port): Promise<void> {
    if (this.server) return;
    const server = http.createServer(this.handler);
    // Parts are 5 MiB; a slow client must not be cut off by Node's default request timeout.
    server.requestTimeout = 0;
    // Like a cloud load balancer (60 s). With Node's 5 s default, the server closing an idle connection races
    // undici reusing it (its own limit is the server's hint minus 1 s), which shows up as stray ECONNRESETs when the
    // process is busy.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops accepting and drops every open connection, mid-request ones included. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }
}
