import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

// Ports for servers that tests start later (often seconds later, in a child process). A port the
// kernel hands out for listen(0) comes from the ephemeral range, where any outgoing connection of a
// concurrently running test may take it as its local port before the server binds it (EADDRINUSE).
// So ports are picked at random below that range, checked free, and never given twice by this process.

const EPHEMERAL_LOW = (() => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
})();
const LOW = 20_000;
const handedOut = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago, outside the kernel's ephemeral range. */
export async function freePort(): Promise<number> {
  if (EPHEMERAL_LOW - LOW >= 1000) {
    for (let tries = 0; tries < 50; tries++) {
      const port = LOW + Math.floor(Math.random() * (EPHEMERAL_LOW - LOW));
      if (handedOut.has(port)) continue;
      if (await bindable(port)) {
        handedOut.add(port);
        return port;
      }
    }
  }
  return kernelPort();
}
