import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/index.ts";
import { createExporter, type Exporter } from "../../src/context.ts";
import { createAuthenticator, FAILED_LIFETIME_MS, FAILED_REMEMBERED } from "../../src/http/auth.ts";
import { MAX_URL_LENGTH } from "../../src/http/guard.ts";
import { silentLogger } from "../../src/log.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { KEY } from "../cls/harness.ts";

const PASSWORD = "correct horse battery staple";
const TOKEN = "scrape-token-0123456789";
const HASH = Bun.password.hashSync(PASSWORD, { algorithm: "bcrypt", cost: 4 });
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

let sim: Simulator;
beforeAll(() => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
});
afterAll(() => sim.stop());

function exporterWith(web: string | undefined, env: Record<string, string> = {}): Exporter {
  const files: Record<string, string> = web === undefined ? {} : { "/web.yml": web };
  const config = loadConfig({
    env: {
      NVIDIA_API_KEY: KEY,
      NVIDIA_ORG_NAME: "lic-example",
      NVIDIA_API_BASE_URL: sim.url,
      LISTEN_ADDRESS: "127.0.0.1:0",
      ...(web === undefined ? {} : { WEB_CONFIG_FILE: "/web.yml" }),
      ...env,
    },
    argv: [],
    readFile: (p) => {
      if (p in files) return files[p]!;
      throw Object.assign(new Error("nope"), { code: "ENOENT" });
    },
  });
  return createExporter(config, {
    fetch: (u, i) => fetch(u, i),
    now: Date.now,
    log: silentLogger,
    build: { version: "t", revision: "t", bunVersion: "t" },
  });
}

describe("basic auth and a bearer token", () => {
  let ex: Exporter;
  beforeAll(() => {
    ex = exporterWith(
      `basic_auth_users:\n  prometheus: ${HASH}\nhttp_server_config:\n  headers:\n    Strict-Transport-Security: max-age=600\n`,
      { AUTH_BEARER_TOKEN: TOKEN },
    );
  });
  afterAll(() => ex.stop());

  test.each([
    ["no credentials", undefined],
    ["a wrong password", basic("prometheus", "wrong")],
    ["an unknown user", basic("grafana", PASSWORD)],
    ["an empty password", basic("prometheus", "")],
    ["no colon", `Basic ${btoa("prometheus")}`],
    ["junk base64", "Basic !!!"],
    ["a wrong token", "Bearer nope"],
    ["the token under Basic", `Basic ${TOKEN}`],
    ["another scheme", `Digest ${TOKEN}`],
  ])("%s: 401 without detail, for /metrics, /history, / and unknown paths", async (_what, authorization) => {
    for (const path of ["/metrics", "/history?from=-1h", "/", "/nope"]) {
      const res = await ex.app.request(path, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Basic realm="nvidia-license-server-exporter"');
      expect(await res.text()).toBe("Unauthorized\n");
      expect(res.headers.get("strict-transport-security")).toBe("max-age=600");
    }
  });

  test("the right password or the right token: served, with the configured headers", async () => {
    for (const authorization of [basic("prometheus", PASSWORD), `Bearer ${TOKEN}`, `bearer ${TOKEN}`]) {
      const res = await ex.app.request("/metrics", { headers: { authorization } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("nvidia_cls_up");
      expect(res.headers.get("strict-transport-security")).toBe("max-age=600");
    }
    expect((await ex.app.request("/nope", { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    expect((await ex.app.request("/metrics", { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
  });

  test("/healthz stays open; the causes of failures only with credentials", async () => {
    const res = await ex.app.request("/healthz");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe("ok");
    const open = (await (await ex.app.request("/healthz")).json()) as Record<string, unknown>;
    expect(Object.keys(open).sort()).toEqual(["cls_up", "data_age_seconds", "status"]);
    const wrong = (await (await ex.app.request("/healthz", { headers: { authorization: "Bearer nope" } })).json()) as object;
    expect(Object.keys(wrong).sort()).toEqual(["cls_up", "data_age_seconds", "status"]);
    const full = (await (await ex.app.request("/healthz", { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as object;
    expect(Object.keys(full)).toContain("cls");
    expect(Object.keys(full)).toContain("history");
  });
});

describe("requests without a usable Host header (raw HTTP over a real socket)", () => {
  /** Sends `head` as is and returns the status line's code. */
  async function raw(port: number, head: string): Promise<number> {
    const { connect } = await import("node:net");
    return new Promise((resolve, reject) => {
      let text = "";
      const socket = connect({ host: "127.0.0.1", port }, () => socket.write(head));
      socket.on("data", (d) => {
        text += d.toString("latin1");
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
        if (m) {
          socket.destroy();
          resolve(Number(m[1]));
        }
      });
      socket.on("error", reject);
      socket.setTimeout(5_000, () => reject(new Error(`no answer to ${JSON.stringify(head)}`)));
    });
  }

  test("the /healthz exemption cannot be reached by paths the router reads otherwise; HTTP/1.0 health checks work", async () => {
    const ex = exporterWith(undefined, { AUTH_BEARER_TOKEN: TOKEN });
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: ex.app.fetch, development: false });
    try {
      const port = server.port!;
      expect(await raw(port, "GET /ab/?///healthz HTTP/1.0\r\n\r\n")).toBe(401);
      expect(await raw(port, "GET /:abc/metrics?///healthz HTTP/1.1\r\nHost: /\r\nConnection: close\r\n\r\n")).toBe(401);
      expect(await raw(port, "GET /:abc/history?///healthz HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n")).toBe(401);
      expect(await raw(port, "GET /metrics HTTP/1.0\r\n\r\n")).toBe(401);
      expect(await raw(port, "GET /healthz HTTP/1.0\r\n\r\n")).toBe(200);
      expect(await raw(port, `GET /metrics HTTP/1.0\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`)).toBe(200);
    } finally {
      server.stop(true);
      await ex.stop();
    }
  });
});

describe("a bearer token alone", () => {
  test("asks for Bearer, accepts only the token", async () => {
    const ex = exporterWith(undefined, { AUTH_BEARER_TOKEN: TOKEN });
    try {
      const res = await ex.app.request("/metrics");
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="nvidia-license-server-exporter"');
      expect((await ex.app.request("/metrics", { headers: { authorization: basic("prometheus", TOKEN) } })).status).toBe(401);
      expect((await ex.app.request("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    } finally {
      await ex.stop();
    }
  });
});

describe("the authenticator", () => {
  test("bcrypt runs once per user and password: a scrape with a remembered password is answered synchronously", async () => {
    let runs = 0;
    const auth = createAuthenticator({
      users: new Map([["prometheus", HASH]]),
      verify: (p, h) => {
        runs++;
        return Bun.password.verify(p, h);
      },
    })!;
    expect(await auth(basic("prometheus", PASSWORD))).toBe(true);
    expect(auth(basic("prometheus", PASSWORD))).toBe(true);
    expect(runs).toBe(1);
    // A wrong password is checked once, then answered from memory; an unknown user against a dummy hash.
    expect(await auth(basic("prometheus", "x"))).toBe(false);
    expect(await auth(basic("prometheus", "x"))).toBe(false);
    expect(await auth(basic("nobody", "x"))).toBe(false);
    expect(runs).toBe(3);
  });

  test("at most two bcrypt runs at once", async () => {
    let running = 0;
    let most = 0;
    const verify = async () => {
      most = Math.max(most, ++running);
      await Bun.sleep(5);
      running--;
      return false;
    };
    const auth = createAuthenticator({ users: new Map([["prometheus", HASH]]), verify })!;
    await Promise.all(Array.from({ length: 10 }, (_, i) => auth(basic("prometheus", `guess-${i}`))));
    expect(most).toBe(2);
  });

  /** A verify that answers only when released, so a test decides what is in flight. */
  function heldVerify() {
    const held: (() => void)[] = [];
    let runs = 0;
    const verify = (password: string, hash: string) => {
      runs++;
      return new Promise<boolean>((resolve) => held.push(() => resolve(Bun.password.verifySync(password, hash))));
    };
    /** Releases every check, those started by earlier releases too, until none is left. */
    const releaseAll = async () => {
      for (let idle = 0; idle < 5; idle++) {
        await Bun.sleep(0);
        while (held.length > 0) {
          held.shift()!();
          idle = 0;
          await Bun.sleep(0);
        }
      }
    };
    return { verify, releaseAll, runs: () => runs };
  }

  test("50 distinct wrong passwords in flight: the right one, sent next, is verified (a 401 never stands for a full queue)", async () => {
    const h = heldVerify();
    const auth = createAuthenticator({ users: new Map([["prometheus", HASH]]), verify: h.verify })!;
    const wrong = Array.from({ length: 50 }, (_, i) => auth(basic("prometheus", `guess-${i}`)));
    const right = auth(basic("prometheus", PASSWORD));
    await h.releaseAll();
    expect(await right).toBe(true);
    const answers = await Promise.all(wrong);
    // Each guess is refused: checked and wrong (false), or not checked because others were (busy).
    expect(answers.every((a) => a === false || a === "busy")).toBe(true);
    expect(answers.filter((a) => a === false).length).toBeGreaterThan(0);
    // The right password waited behind at most two running and two waiting checks of other credentials.
    expect(h.runs()).toBeLessThanOrEqual(5);
  });

  test("50 copies of one wrong password in flight share one bcrypt run; repeats are answered from memory", async () => {
    const h = heldVerify();
    const auth = createAuthenticator({ users: new Map([["prometheus", HASH]]), verify: h.verify })!;
    const wrong = Array.from({ length: 50 }, () => auth(basic("prometheus", "wrong")));
    const right = auth(basic("prometheus", PASSWORD));
    await h.releaseAll();
    expect(await right).toBe(true);
    expect(await Promise.all(wrong)).toEqual(Array(50).fill(false));
    expect(h.runs()).toBe(2);
    for (let i = 0; i < 20; i++) expect(auth(basic("prometheus", "wrong"))).toBe(false);
    expect(h.runs()).toBe(2);
  });

  /** A verify that answers at once, counting its runs (a stand-in for bcrypt where only counts matter). */
  function countingVerify() {
    let runs = 0;
    const verify = async (password: string) => {
      runs++;
      return password === PASSWORD;
    };
    return { verify, runs: () => runs };
  }

  test("failed credentials are forgotten after their lifetime; an unknown user's repeat costs no bcrypt run either", async () => {
    let t = 0;
    const c = countingVerify();
    const auth = createAuthenticator({ users: new Map([["prometheus", HASH]]), verify: c.verify, now: () => t })!;
    expect(await Promise.all([auth(basic("prometheus", "wrong")), auth(basic("nobody", "x"))])).toEqual([false, false]);
    expect([auth(basic("prometheus", "wrong")), auth(basic("nobody", "x"))]).toEqual([false, false]);
    expect(c.runs()).toBe(2);
    t += FAILED_LIFETIME_MS + 1;
    expect(await auth(basic("prometheus", "wrong"))).toBe(false);
    expect(c.runs()).toBe(3);
  });

  test("the memory of failures is bounded: the oldest is forgotten first", async () => {
    const c = countingVerify();
    const auth = createAuthenticator({ users: new Map([["prometheus", HASH]]), verify: c.verify })!;
    for (let i = 0; i <= FAILED_REMEMBERED; i++) expect(await auth(basic("prometheus", `g${i}`))).toBe(false);
    expect(c.runs()).toBe(FAILED_REMEMBERED + 1);
    expect(auth(basic("prometheus", `g${FAILED_REMEMBERED}`))).toBe(false);
    expect(await auth(basic("prometheus", "g0"))).toBe(false);
    expect(c.runs()).toBe(FAILED_REMEMBERED + 2);
  });

  test("a refusal for load is an HTTP 503 with Retry-After, not a 401", async () => {
    const h = heldVerify();
    const { guard } = await import("../../src/http/guard.ts");
    const auth = createAuthenticator({ users: new Map([["prometheus", HASH]]), verify: h.verify })!;
    const handler = guard({ gate: () => ({ auth, challenge: "Basic" }), open: new Set(), headers: {} }, () => new Response("ok"));
    const sent = Array.from({ length: 10 }, (_, i) =>
      handler(new Request("http://x/metrics", { headers: { authorization: basic("prometheus", `g${i}`) } })),
    );
    await h.releaseAll();
    const res = await Promise.all(sent);
    expect(res.map((r) => r.status).sort()).toEqual([401, 401, 401, 401, 503, 503, 503, 503, 503, 503]);
    const busy = res.find((r) => r.status === 503)!;
    expect(busy.headers.get("retry-after")).toBe("1");
    expect(busy.headers.get("www-authenticate")).toBeNull();
  });

  test("nothing configured: no authenticator", () => {
    expect(createAuthenticator({ users: new Map() })).toBeUndefined();
  });
});

describe("HTTP hygiene", () => {
  let ex: Exporter;
  beforeAll(() => {
    ex = exporterWith(undefined);
  });
  afterAll(() => ex.stop());

  test("a URL longer than the bound is refused with 414 before routing", async () => {
    const long = `/history?from=-1h&server_id=${"x".repeat(MAX_URL_LENGTH)}`;
    const res = await ex.app.request(long);
    expect(res.status).toBe(414);
    expect(await res.text()).toBe("URI too long\n");
  });

  test("unknown paths 404, other methods 405 with Allow, on every route", async () => {
    expect((await ex.app.request("/metrics/")).status).toBe(404);
    expect((await ex.app.request("/.env")).status).toBe(404);
    for (const path of ["/metrics", "/history", "/healthz", "/"]) {
      for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
        const res = await ex.app.request(path, { method });
        expect(res.status).toBe(405);
        expect(res.headers.get("allow")).toBe("GET, HEAD");
      }
    }
  });

  test("the HTML page carries security headers", async () => {
    const res = await ex.app.request("/");
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });
});

describe("server-side timeout of /history", () => {
  test("a store that never answers: 503 with Retry-After after the bound, logged", async () => {
    const { createApp } = await import("../../src/http/app.ts");
    const { createLogger } = await import("../../src/log.ts");
    const lines: string[] = [];
    const never = { query: () => new Promise(() => {}) } as unknown as NonNullable<Parameters<typeof createApp>[0]["history"]>;
    const app = createApp({
      orgName: "o",
      metricsPath: "/metrics",
      view: () => new Promise(() => {}),
      peek: () => undefined,
      current: () => ({}) as never,
      health: () => ({}) as never,
      renderer: {} as never,
      history: never,
      now: Date.now,
      log: createLogger({ write: (l) => lines.push(l) }),
      historyTimeoutMs: 50,
    });
    const res = await app.request("/history?from=-1h");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("30");
    expect(await res.text()).toBe("timed out\n");
    expect(lines.join()).toContain('msg="request timed out" path=/history timeout_ms=50');
  });
});
