// A test server whose every database connection passes a TCP proxy, so a test can count what the
// server asks of MariaDB (round trips and commands) on the wire.
import { TEST_DATABASE_SERVER_URL } from './database.js';
import { startTestServer, type TestServer, type TestServerOptions } from './server.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

export async function startProxiedServer(
  options: Pick<TestServerOptions, 'app'> = {},
): Promise<{ proxy: TcpProxy; t: TestServer }> {
  const target = new URL(TEST_DATABASE_SERVER_URL);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 3306) });
  const t = await startTestServer({
    ...options,
    // The search index's rounds (a few round trips a second, whatever the sends) are not the send
    // path's: one runs at start, before anything is counted, and no other within a test.
    env: { AUTH_RATE_LIMIT_PER_IP: '1000', SEARCH_INDEX_INTERVAL_MS: '3600000' },
    databaseUrl: (url) => {
      const proxied = new URL(url);
      proxied.hostname = proxy.host;
      proxied.port = String(proxy.port);
      return proxied.toString();
    },
  });
  return { proxy, t };
}
