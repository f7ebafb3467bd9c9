/**
 * Prometheus metrics (own registry per worker) and the worker's operations server: GET /metrics,
 * GET /healthz, plus routes the worker adds (/intake/… answers where the intake moved: the intake
 * has its own server, worker/intake.ts serveIntake).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export class Metrics {
  readonly registry = new Registry();
  readonly seen = new Counter({
    name: "verity_requests_seen_total",
    help: "InferenceRequested events recorded",
    registers: [this.registry],
  });
  readonly served = new Counter({
    name: "verity_requests_served_total",
    help: "Results confirmed on-chain for this operator",
    registers: [this.registry],
  });
  readonly skipped = new Counter({
    name: "verity_requests_skipped_total",
    help: "Requests not served (policy, already fulfilled by another operator)",
    labelNames: ["reason"],
    registers: [this.registry],
  });
  readonly failed = new Counter({
    name: "verity_requests_failed_total",
    help: "Requests that failed, by reason",
    labelNames: ["reason"],
    registers: [this.registry],
  });
  readonly expired = new Counter({
    name: "verity_requests_expired_total",
    help: "Requests past their deadline before they could be served",
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: "verity_request_latency_seconds",
    help: "Request block time to confirmed result",
    buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  readonly inference = new Histogram({
    name: "verity_inference_seconds",
    help: "Model execution time per batch",
    labelNames: ["model"],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly gasSpent = new Counter({
    name: "verity_gas_spent_total",
    help: "Gas used by this worker's fulfil transactions",
    registers: [this.registry],
  });
  readonly feesSpent = new Counter({
    name: "verity_fees_spent_wei_total",
    help: "Native currency spent on gas (wei, as float)",
    registers: [this.registry],
  });
  readonly earnings = new Counter({
    name: "verity_earnings_total",
    help: "Operator earnings credited (payment token units, as float)",
    registers: [this.registry],
  });
  readonly proving = new Histogram({
    name: "verity_zk_proving_seconds",
    help: "Groth16 proving time per ZK result (witness + proof, in a prover thread)",
    labelNames: ["circuit"],
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly intake = new Counter({
    name: "verity_private_inputs_total",
    help: "Private inputs posted to the intake endpoint, by HTTP status",
    labelNames: ["status"],
    registers: [this.registry],
  });
  readonly modelFetches = new Counter({
    name: "verity_model_fetches_total",
    help: "Model files fetched by their registry uri, by outcome (fetched, hash-mismatch, too-large, ...)",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  readonly txs = new Counter({
    name: "verity_transactions_total",
    help: "Transactions sent, by kind",
    labelNames: ["kind"],
    registers: [this.registry],
  });

  constructor(defaults = false) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }
}

export interface MetricsServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Extra route: returns true when it took the request (and answers it). */
export type Route = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

/**
 * Serve GET /metrics and GET /healthz (200 with `health()` when ok, 503 otherwise), and `routes`.
 * Unknown paths: 404 with a JSON error.
 */
export async function serveMetrics(
  metrics: Metrics,
  host: string,
  port: number,
  health: () => { ok: boolean } & Record<string, unknown>,
  routes: readonly Route[] = [],
): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0]!;
    if (routes.some((r) => r(req, res, url))) return;
    if (req.method === "GET" && url === "/metrics") {
      metrics.registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { "content-type": metrics.registry.contentType });
          res.end(body);
        })
        .catch((err: Error) => {
          res.writeHead(500).end(err.message);
        });
    } else if (req.method === "GET" && url === "/healthz") {
      const h = health();
      res.writeHead(h.ok ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify(h));
    } else {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: `no route ${req.method} ${url}: use GET /metrics or GET /healthz (private inputs and job status are on intake.port)`,
        }),
      );
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
