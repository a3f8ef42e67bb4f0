/**
 * Small servers put in front of the CLS simulator by process tests, all on 127.0.0.1: a forward
 * proxy (plain forwarding and CONNECT) that records what went through it, and an HTTPS front.
 */
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import { join } from "node:path";

export interface ForwardProxy {
  url: string;
  /** One line per request: `GET http://…` or `CONNECT host:port`, with the ForwardProxy-Authorization it carried. */
  seen: { line: string; auth: string | undefined }[];
  stop: () => Promise<void>;
}

export function startProxy(): Promise<ForwardProxy> {
  const seen: ForwardProxy["seen"] = [];
  const server = http.createServer((req, res) => {
    seen.push({ line: `${req.method} ${req.url}`, auth: req.headers["proxy-authorization"] });
    const u = new URL(req.url ?? "");
    const up = http.request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on("error", () => res.writeHead(502).end());
    req.pipe(up);
  });
  server.on("connect", (req: http.IncomingMessage, sock: net.Socket, head: Buffer) => {
    seen.push({ line: `CONNECT ${req.url}`, auth: req.headers["proxy-authorization"] });
    const [host, port] = (req.url ?? "").split(":");
    const up = net.connect(Number(port), host, () => {
      sock.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      up.write(head);
      up.pipe(sock);
      sock.pipe(up);
    });
    up.on("error", () => sock.destroy());
    sock.on("error", () => up.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        seen,
        stop: () => new Promise<void>((done) => server.close(() => done())).then(() => server.closeAllConnections()),
      });
    }),
  );
}

const TLS_DIR = join(import.meta.dir, "..", "fixtures", "tls");
export const tlsFixture = (name: string) => join(TLS_DIR, name);

/** HTTPS on 127.0.0.1 with the fixture certificate (signed by fixtures/tls/ca.pem), forwarding to `target`. */
export function startHttpsFront(target: string): { url: string; stop: () => Promise<void> } {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: readFileSync(tlsFixture("server.pem"), "utf8"), key: readFileSync(tlsFixture("server-key.pem"), "utf8") },
    fetch: (req) => {
      const u = new URL(req.url);
      return fetch(`${target}${u.pathname}${u.search}`, { headers: req.headers, proxy: false });
    },
  });
  return { url: `https://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}

export interface KeyFront {
  url: string;
  /** The key the front accepts from now on (as CLS would after the key was rotated there). */
  accept: (key: string) => void;
  /** Every key that came with a call answered 200. */
  accepted: Set<string>;
  stop: () => Promise<void>;
}

/** Checks x-api-key against a key the test can change, then calls `target` with its own key. */
export function startKeyFront(target: string, targetKey: string, first: string): KeyFront {
  let key = first;
  const accepted = new Set<string>();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) => {
      if (req.headers.get("x-api-key") !== key) return Response.json({ message: "invalid x-api-key" }, { status: 401 });
      accepted.add(key);
      const u = new URL(req.url);
      const headers = new Headers(req.headers);
      headers.set("x-api-key", targetKey);
      return fetch(`${target}${u.pathname}${u.search}`, { headers, proxy: false });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, accept: (k) => (key = k), accepted, stop: () => server.stop(true) };
}
