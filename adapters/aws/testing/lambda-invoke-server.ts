/**
 * A local endpoint that speaks the Lambda Invoke API (POST /2015-03-31/functions/{name}/invocations)
 * so the real @aws-sdk/client-lambda can invoke handlers in this process; there is no Lambda
 * emulator among the stack's emulators. A handler that throws is reported the way Lambda does:
 * HTTP 200, `X-Amz-Function-Error: Unhandled`, and an errorMessage payload.
 */
import { createServer, type Server } from 'node:http';

export type InvokeHandler = (event: unknown) => Promise<unknown>;

export interface InvokeServer {
  readonly endpoint: string;
  register(name: string, handler: InvokeHandler): void;
  close(): Promise<void>;
}

export async function startInvokeServer(): Promise<InvokeServer> {
  const handlers = new Map<string, InvokeHandler>();
  const server: Server = createServer(async (req, res) => {
    const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const handler = m ? handlers.get(decodeURIComponent(m[1]!)) : undefined;
    if (req.method !== 'POST' || !handler) {
      res.writeHead(404, {
        'content-type': 'application/json',
        'x-amzn-errortype': 'ResourceNotFoundException',
      });
      res.end(JSON.stringify({ Type: 'User', message: `Function not found: ${m?.[1] ?? req.url}` }));
      return;
    }
    try {
      const result = await handler(JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'));
      res.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' });
      res.end(JSON.stringify(result ?? null));
    } catch (err) {
      res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
      res.end(
        JSON.stringify({
          errorType: 'Error',
          errorMessage: err instanceof Error ? err.message : String(err),
        }),
      );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    register: (name, handler) => handlers.set(name, handler),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
