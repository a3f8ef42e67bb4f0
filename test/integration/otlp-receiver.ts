/**
 * A real OTLP gRPC metrics receiver for the tests: @grpc/grpc-js serving
 * opentelemetry.proto.collector.metrics.v1.MetricsService/Export, decoding with the protobufjs root
 * generated from the OTLP protos (shipped in @opentelemetry/otlp-transformer 0.57, aliased as
 * otlp-transformer-protos). Listens on 127.0.0.1 only; plaintext, TLS or mutual TLS.
 */
import { Server, ServerCredentials, type ServerUnaryCall, type ServiceError, type sendUnaryData, type status } from "@grpc/grpc-js";
// Generated JavaScript; its .d.ts types the namespaces, which are used untyped here.
import root from "otlp-transformer-protos/build/src/generated/root.js";
import type { Sample } from "./history-helpers.ts";

const v1 = (root as any).opentelemetry.proto.collector.metrics.v1;
const Request = v1.ExportMetricsServiceRequest;
const Response = v1.ExportMetricsServiceResponse;

export interface PushedMetric {
  name: string;
  description: string;
  unit: string;
  kind: "gauge" | "sum";
  /** For sums: monotonic and cumulative (aggregationTemporality 2). */
  monotonic?: boolean;
  temporality?: number;
  points: Array<{ attributes: Record<string, string>; value: number; startNs: bigint; timeNs: bigint }>;
}

export interface Push {
  metadata: Record<string, string>;
  resource: Record<string, string>;
  scope: { name: string; version: string };
  metrics: PushedMetric[];
  /** When the receiver got it (ms since the epoch). */
  at: number;
}

export interface ReceiverOptions {
  port?: number;
  tls?: { cert: string; key: string; ca?: string; requireClientCert?: boolean };
  /** Answer every push with this gRPC status instead of OK. */
  failWith?: status;
}

export interface Receiver {
  port: number;
  pushes: Push[];
  stop(): Promise<void>;
}

const attrs = (list: any[] | undefined): Record<string, string> =>
  Object.fromEntries(
    (list ?? []).map((a) => [a.key, String(a.value?.stringValue ?? a.value?.intValue ?? a.value?.doubleValue ?? a.value?.boolValue)]),
  );

function decode(request: any, metadata: Record<string, string>): Push[] {
  return (request.resourceMetrics ?? []).map((rm: any) => {
    const scope = rm.scopeMetrics?.[0]?.scope ?? {};
    const metrics = (rm.scopeMetrics ?? []).flatMap((sm: any) =>
      (sm.metrics ?? []).map((m: any): PushedMetric => {
        const data = m.gauge ?? m.sum;
        return {
          name: m.name,
          description: m.description,
          unit: m.unit,
          kind: m.gauge ? "gauge" : "sum",
          monotonic: m.sum?.isMonotonic,
          temporality: m.sum?.aggregationTemporality,
          points: (data?.dataPoints ?? []).map((p: any) => ({
            attributes: attrs(p.attributes),
            value: p.asDouble ?? Number(p.asInt),
            startNs: BigInt(p.startTimeUnixNano ?? 0),
            timeNs: BigInt(p.timeUnixNano ?? 0),
          })),
        };
      }),
    );
    return {
      metadata,
      resource: attrs(rm.resource?.attributes),
      scope: { name: scope.name, version: scope.version },
      metrics,
      at: Date.now(),
    };
  });
}

const asBuffer = (text: string) => Buffer.from(text);

export async function startReceiver(opts: ReceiverOptions = {}): Promise<Receiver> {
  const pushes: Push[] = [];
  const server = new Server();
  const service = {
    Export: {
      path: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
      requestStream: false,
      responseStream: false,
      requestSerialize: (m: unknown) => Buffer.from(Request.encode(m).finish()),
      requestDeserialize: (b: Buffer) => Request.toObject(Request.decode(b), { longs: String, defaults: false }),
      responseSerialize: (m: unknown) => Buffer.from(Response.encode(m).finish()),
      responseDeserialize: (b: Buffer) => Response.decode(b),
    },
  };
  server.addService(service, {
    Export: (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      if (opts.failWith !== undefined) {
        callback({ code: opts.failWith, details: "refused by the test receiver" } as ServiceError, null);
        return;
      }
      const metadata = Object.fromEntries(Object.entries(call.metadata.getMap()).map(([k, v]) => [k, String(v)]));
      pushes.push(...decode(call.request, metadata));
      callback(null, {});
    },
  });
  const credentials = opts.tls
    ? ServerCredentials.createSsl(
        opts.tls.ca ? asBuffer(opts.tls.ca) : null,
        [{ cert_chain: asBuffer(opts.tls.cert), private_key: asBuffer(opts.tls.key) }],
        opts.tls.requireClientCert ?? false,
      )
    : ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${opts.port ?? 0}`, credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    pushes,
    stop: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}

/** The pushed data points as samples, comparable with parseMetrics() of /metrics. */
export function pushedSamples(push: Push): Sample[] {
  return push.metrics.flatMap((m) => m.points.map((p) => ({ name: m.name, labels: p.attributes, value: p.value })));
}
