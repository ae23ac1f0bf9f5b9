/**
 * The frontend's HTTP health endpoint for the load balancer (GET /health): 200 while the SMTP
 * listeners serve, 503 once shutdown began, so the NLB stops sending connections before the task
 * goes. A separate port: TCP checks on the SMTP ports would open an SMTP session per check.
 * Never throws into the process; a bind failure rejects start-up.
 */
import { createServer, type Server } from 'node:http';

export async function startHealthServer(port: number, host: string, healthy: () => boolean): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/health') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const ok = healthy();
    res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'stopping\n');
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
