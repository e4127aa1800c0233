/** Ports checked before anything slow starts, and the API's listen with the same sentence. */
import { createServer, type RequestListener, type Server } from 'node:http';
import { createApiServer, type HttpLimits } from '../api/http-server';
import { portInUse, type PortVariable } from './errors';

/** Binds and releases the port, so a taken one is named at once instead of after minutes. */
export async function assertPortFree(port: number, host: string, variable: PortVariable): Promise<void> {
  // Port 0 asks the system for any free port: nothing to check.
  if (port === 0) return;
  const server = createServer();
  await listenOn(server, port, host, variable);
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * Listens with the request handler, on the API's server (its timeouts and size limits,
 * api/http-server.ts); a port taken meanwhile gets the same sentence as above.
 */
export async function listenHttp(handler: RequestListener, port: number, host: string, limits?: HttpLimits): Promise<Server> {
  const server = createApiServer(handler, limits);
  await listenOn(server, port, host, 'PORT');
  return server;
}

function listenOn(server: Server, port: number, host: string, variable: PortVariable): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? portInUse(port, host, variable) : err));
    server.listen(port, host, () => resolve());
  });
}
