/**
 * Private-input intake: `POST /intake/<requestId>` on the intake's own HTTP server (intake.port,
 * apart from /metrics on httpPort so that only it need face browsers and the internet), body
 * JSON `{"input": "0x<model-encoded bytes>", "salt": "0x<32 bytes>"}` (sdk/private.ts
 * sendPrivateInput). The input is accepted only for an open private-input request this worker can
 * serve, and only if it opens the request's on-chain commitment for its mode:
 *   TEE  inputHash = the field-tree root of sdk/src/fields/record.ts when the model's manifest
 *        declares a field record (input.fields), the same root a ZK request carries; else
 *        keccak256(abi.encode(bytes input, bytes32 salt)) (raw tensors)
 *   ZK   inputHash = the field-tree root of sdk/src/fields/record.ts (from the model's circuit descriptor)
 * It is then written to the job store (before the answer) and the worker is woken.
 *
 * Answers (JSON; errors as {"error": "..."} naming the problem and the fix):
 *   202 accepted · 400 bad path / body · 404 unknown request · 405 not POST · 409 not private,
 *   settled, assigned elsewhere, past its deadline or not servable here · 413 too large ·
 *   422 does not open the commitment · 503 chain unreachable.
 * The input and salt are never logged: only the request id, the sizes and the outcome.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import type { JsonRpcProvider } from "ethers";
import type { Logger } from "pino";

import { commitmentFor, isSettled, Mode, modeName, RequestStatus, statusName, type Request } from "@verity-ai/sdk";
import { shortError } from "./chain/rpc.ts";
import { FINAL_STATES, type JobStore } from "./store.ts";
import { jobStatus } from "./jobstatus.ts";
import { coordinatorInterface, type EventSource } from "./events.ts";
import type { ExecuteStage } from "./stages/execute.ts";
import type { Metrics, MetricsServer, Route } from "./metrics.ts";

/** JSON and hex-encoding overhead allowed on top of 2 × policy.maxInputBytes. */
export const INTAKE_BODY_OVERHEAD = 1024;

const ID = /^0x[0-9a-fA-F]{64}$/;
const HEX_BYTES = /^0x(?:[0-9a-fA-F]{2})+$/;
const SALT = /^0x[0-9a-fA-F]{64}$/;

export interface IntakeOptions {
  store: JobStore;
  events: EventSource;
  provider: JsonRpcProvider;
  execute: ExecuteStage;
  coordinator: string;
  operator: string;
  maxInputBytes: number;
  deadlineMarginSec: number;
  /** Current time (unix seconds): the later of the local clock and the chain's. */
  clock: () => number;
  /** Wake the worker's loop (a job can run now). */
  wake: () => void;
  metrics: Metrics;
  log: Logger;
}

/** A refusal: HTTP status, the message for the sender, a short code for logs and metrics. */
class Refusal extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  if (res.headersSent) return;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (close) headers.connection = "close";
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
}

export class Intake {
  readonly #o: IntakeOptions;
  readonly bodyLimit: number;

  constructor(o: IntakeOptions) {
    this.#o = o;
    this.bodyLimit = 2 * o.maxInputBytes + INTAKE_BODY_OVERHEAD;
  }

  /** The route for serveMetrics: takes /intake and /intake/… paths. */
  route(): Route {
    return (req, res, path) => {
      if (path !== "/intake" && !path.startsWith("/intake/")) return false;
      const id = path.slice("/intake/".length);
      this.#handle(req, res, id).catch((err: unknown) => {
        // Not expected (refusals are answered inside): keep the server up and say so.
        this.#o.log.error({ err: shortError(err) }, "intake handler failed");
        send(res, 500, { error: `internal error in the intake endpoint: ${shortError(err)}` });
      });
      return true;
    };
  }

  /** GET /jobs/<requestId>: the job's state and, when it stopped, why (worker/jobstatus.ts). */
  jobsRoute(): Route {
    return (req, res, path) => {
      if (path !== "/jobs" && !path.startsWith("/jobs/")) return false;
      req.resume();
      const id = path.slice("/jobs/".length);
      if (req.method !== "GET") {
        send(res, 405, { error: `use GET /jobs/<requestId>, not ${req.method}` });
      } else if (!ID.test(id)) {
        send(res, 400, {
          error:
            "the request id in the path must be 0x followed by 64 hex digits (the requestId of InferenceRequested): GET /jobs/0x<64 hex>",
        });
      } else {
        const job = this.#o.store.get(id.toLowerCase());
        if (job === undefined)
          send(res, 404, {
            error: `this operator has no job for request ${id.toLowerCase()}: it has not seen the request yet (retry once the request transaction is mined and a few seconds have passed), or the id is wrong`,
          });
        else send(res, 200, jobStatus(job));
      }
      return true;
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const { log, metrics } = this.#o;
    const requestId = ID.test(id) ? id.toLowerCase() : undefined;
    let bytes: number | undefined;
    try {
      if (req.method !== "POST") {
        req.resume();
        throw new Refusal(
          405,
          "method",
          `use POST /intake/<requestId> with a JSON body {"input": "0x…", "salt": "0x…"}, not ${req.method}`,
        );
      }
      if (requestId === undefined) {
        req.resume();
        throw new Refusal(
          400,
          "bad-id",
          "the request id in the path must be 0x followed by 64 hex digits (the requestId of InferenceRequested): POST /intake/0x<64 hex>",
        );
      }
      const body = await this.#read(req);
      const { input, salt } = this.#parse(body);
      bytes = (input.length - 2) / 2;
      const request = await this.#request(requestId);
      if (bytes > this.#o.maxInputBytes)
        throw new Refusal(
          413,
          "too-large",
          `input is ${bytes} bytes; this worker takes at most policy.maxInputBytes = ${this.#o.maxInputBytes} bytes`,
        );
      await this.#open(request, requestId, input, salt);
      const woken = this.#o.store.putPrivateInput(requestId, input.toLowerCase(), salt.toLowerCase());
      this.#o.wake();
      metrics.intake.inc({ status: "202" });
      const mode = modeName(request.mode);
      log.info({ requestId, bytes, mode, woken }, "private input received");
      send(res, 202, { requestId, accepted: true, mode, bytes });
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      metrics.intake.inc({ status: String(err.status) });
      log.info(
        { requestId: requestId ?? null, bytes: bytes ?? null, status: err.status, reason: err.code },
        "private input refused",
      );
      send(res, err.status, { error: err.message }, err.status === 413);
    }
  }

  /** The body, at most `bodyLimit` bytes (413 beyond, without reading the rest into memory). */
  #read(req: IncomingMessage): Promise<string> {
    const limit = this.bodyLimit;
    const tooLarge = () =>
      new Refusal(
        413,
        "too-large",
        `body is larger than ${limit} bytes: the private input may be at most policy.maxInputBytes = ${this.#o.maxInputBytes} bytes (hex in JSON)`,
      );
    const declared = Number(req.headers["content-length"] ?? NaN);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume(); // discard
      return Promise.reject(tooLarge());
    }
    return new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on("data", (c: Buffer) => {
        if (over) return;
        size += c.length;
        if (size > limit) {
          over = true;
          chunks.length = 0;
          reject(tooLarge());
          return;
        }
        chunks.push(c);
      });
      req.on("end", () => {
        if (!over) resolve(Buffer.concat(chunks).toString("utf8"));
      });
      req.on("close", () => {
        if (!req.complete) reject(new Refusal(400, "read", "the body ended early (connection closed)"));
      });
      req.on("error", (err) => reject(new Refusal(400, "read", `could not read the body: ${err.message}`)));
    });
  }

  #parse(body: string): { input: string; salt: string } {
    let v: unknown;
    try {
      v = JSON.parse(body);
    } catch {
      // The parser's message quotes the body: never echoed or logged.
      throw new Refusal(
        400,
        "bad-json",
        'body is not valid JSON: send {"input": "0x<hex bytes>", "salt": "0x<64 hex digits>"} with content-type application/json',
      );
    }
    if (typeof v !== "object" || v === null || Array.isArray(v))
      throw new Refusal(
        400,
        "bad-json",
        'body must be a JSON object {"input": "0x<hex bytes>", "salt": "0x<64 hex digits>"}',
      );
    const { input, salt } = v as { input?: unknown; salt?: unknown };
    if (typeof input !== "string" || !HEX_BYTES.test(input))
      throw new Refusal(
        400,
        "bad-input-field",
        '"input" must be 0x-prefixed hex bytes, not empty: the model-encoded input the commitment was made over',
      );
    if (typeof salt !== "string" || !SALT.test(salt))
      throw new Refusal(
        400,
        "bad-salt-field",
        '"salt" must be 0x followed by 64 hex digits: the 32-byte salt of the commitment',
      );
    return { input, salt };
  }

  /** The pinned request, from the job store or, when the worker has not seen it yet, the chain. */
  async #request(requestId: string): Promise<Request> {
    const { store, events, provider, coordinator } = this.#o;
    const job = store.get(requestId);
    let request: Request;
    let isPrivate: boolean;
    if (job !== undefined) {
      if (job.inputHex !== "0x")
        throw new Refusal(
          409,
          "public",
          `request ${requestId} has a public input on-chain: only private-input requests (empty input, inputCommitment set) take an input here`,
        );
      if ((FINAL_STATES as readonly string[]).includes(job.state)) {
        const why = job.reason === null || job.reason === job.state ? "" : `: ${job.reason}`;
        throw new Refusal(
          409,
          "settled",
          `request ${requestId} is already settled by this worker (${job.state}${why}): the input is no longer needed` +
            (job.state === "expired" ? "; the requester can refund it with refund(request) on the coordinator" : ""),
        );
      }
      request = job.request;
      isPrivate = job.inputHex === "0x";
    } else {
      let ev;
      try {
        ev = await events.findRequest(requestId);
      } catch (err) {
        throw new Refusal(
          503,
          "rpc",
          `cannot look the request up on the chain right now (${shortError(err)}): retry shortly`,
        );
      }
      if (ev === undefined)
        throw new Refusal(
          404,
          "unknown",
          `unknown request ${requestId}: no InferenceRequested event for it on coordinator ${coordinator}; check the id, or retry once the request transaction is mined`,
        );
      request = ev.request;
      isPrivate = ev.input === "0x";
    }
    if (!isPrivate)
      throw new Refusal(
        409,
        "public",
        `request ${requestId} has a public input on-chain: only private-input requests (empty input, inputCommitment set) take an input here`,
      );
    let status: number;
    try {
      const ret = await provider.call({
        to: coordinator,
        data: coordinatorInterface.encodeFunctionData("requestStatus", [requestId]),
      });
      status = Number(BigInt(ret));
    } catch (err) {
      throw new Refusal(
        503,
        "rpc",
        `cannot check the request's status on the chain right now (${shortError(err)}): retry shortly`,
      );
    }
    if (status === RequestStatus.None)
      throw new Refusal(
        404,
        "unknown",
        `unknown request ${requestId}: coordinator ${coordinator} does not know it (reorged out?); check the id`,
      );
    if (isSettled(status))
      throw new Refusal(
        409,
        "settled",
        `request ${requestId} is already ${statusName(status)} on-chain: the input is no longer needed`,
      );
    return request;
  }

  /** Can this worker serve it, and do input and salt open its commitment? */
  async #open(request: Request, requestId: string, input: string, salt: string): Promise<void> {
    const { execute, operator, clock, deadlineMarginSec } = this.#o;
    const unsupported = execute.unsupported(request.mode, request.weightsHash);
    if (unsupported !== undefined)
      throw new Refusal(
        409,
        unsupported.reason,
        `request ${requestId} cannot be served by this worker: ${unsupported.detail}`,
      );
    if (
      request.operator !== "0x0000000000000000000000000000000000000000" &&
      request.operator.toLowerCase() !== operator.toLowerCase()
    )
      throw new Refusal(
        409,
        "assigned-to-other",
        `request ${requestId} is assigned to operator ${request.operator}, not this worker (${operator}): send the input to that operator`,
      );
    const now = clock();
    if (request.deadline <= BigInt(now + deadlineMarginSec))
      throw new Refusal(
        409,
        "expired",
        `request ${requestId} is past its deadline ${request.deadline} (or less than policy.deadlineMarginSec = ${deadlineMarginSec} s from it): it can no longer be served; the requester can refund it with refund(request)`,
      );
    const mode = Number(request.mode);
    if (mode === Mode.TEE) {
      // The TEE commitment's scheme is the model manifest's: without the model it cannot be checked.
      const missing = execute.missingModel(request.weightsHash);
      if (missing !== undefined)
        throw new Refusal(
          409,
          missing.reason,
          `request ${requestId} cannot be served by this worker: it does not hold model ${request.weightsHash} (${missing.detail})`,
        );
    }
    const record = execute.recordSpec(request.mode, request.weightsHash);
    let commitment: string;
    try {
      commitment = await commitmentFor(mode, input, salt, record);
    } catch (err) {
      // The input must be a valid record (the message names the value: for the sender only).
      if (mode === Mode.TEE)
        throw new Refusal(
          422,
          "bad-record-input",
          `input is not a valid record of the model: ${(err as Error).message} (the manifest's input.fields, each an int32 big-endian fixed-point integer in its range)`,
        );
      throw new Refusal(
        422,
        "bad-zk-input",
        `input is not a valid input of the model's circuit: ${(err as Error).message} (the model's int32 big-endian fixed-point fields, each in the circuit's range)`,
      );
    }
    if (commitment.toLowerCase() !== request.inputHash.toLowerCase()) {
      const tree = "the root of the per-field Poseidon Merkle tree, field i salted with Poseidon(salt mod 2^248, i)";
      const formula =
        mode === Mode.TEE
          ? record !== undefined
            ? `TEE, a model with input.fields: ${tree}`
            : "TEE: keccak256(abi.encode(bytes input, bytes32 salt))"
          : `ZK: ${tree}`;
      throw new Refusal(
        422,
        "commitment-mismatch",
        `input and salt do not open the request's commitment ${request.inputHash} (${formula}): check the salt, and that the input is the exact model-encoded bytes the commitment was made over`,
      );
    }
  }
}

export interface IntakeServerOptions {
  host: string;
  /** 0 = a free port chosen by the system. */
  port: number;
  /** Origins (scheme://host[:port]) browsers may call from; "*" = any; empty = no CORS headers. */
  allowedOrigins: readonly string[];
  /** { ok, operator } for GET /healthz: the operator address a ZK request must name (sdk operatorAt). */
  health: () => { ok: boolean; operator: string | null };
}

const CORS_METHODS = "GET, POST, OPTIONS";

/**
 * The intake's own HTTP server: POST /intake/<requestId>, GET /jobs/<requestId>, GET /healthz
 * ({ ok, operator } only), with CORS for the configured origins and preflight (OPTIONS) answers.
 */
export async function serveIntake(
  intake: Intake,
  routes: readonly Route[],
  o: IntakeServerOptions,
): Promise<MetricsServer> {
  const any = o.allowedOrigins.includes("*");
  const allowed = new Set(o.allowedOrigins.map((x) => x.replace(/\/+$/, "").toLowerCase()));
  const routeList = [intake.route(), ...routes];
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const origin = req.headers.origin;
    const originOk = origin !== undefined && (any || allowed.has(origin.toLowerCase()));
    if (originOk) {
      res.setHeader("access-control-allow-origin", any ? "*" : origin);
      if (!any) res.setHeader("vary", "origin");
    }
    if (req.method === "OPTIONS") {
      req.resume();
      if (!originOk) {
        send(res, 403, {
          error:
            origin === undefined
              ? "OPTIONS is the browser's CORS preflight and needs an Origin header"
              : `origin ${origin} may not call this intake: the operator must add it to intake.allowedOrigins`,
        });
        return;
      }
      res.writeHead(204, {
        "access-control-allow-methods": CORS_METHODS,
        "access-control-allow-headers": "content-type",
        "access-control-max-age": "600",
      });
      res.end();
      return;
    }
    if (routeList.some((r) => r(req, res, path))) return;
    if (req.method === "GET" && path === "/healthz") {
      const h = o.health();
      send(res, h.ok ? 200 : 503, { ok: h.ok, operator: h.operator });
      return;
    }
    req.resume();
    send(res, 404, {
      error: `no route ${req.method} ${path} on the intake: use POST /intake/<requestId>, GET /jobs/<requestId> or GET /healthz`,
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeIdleConnections();
        server.close(() => resolve());
      }),
  };
}

/** The route for the metrics port: /intake/… answered 404 with where the intake moved to. */
export function intakeMovedRoute(where: () => string | undefined): Route {
  return (req, res, path) => {
    if (path !== "/intake" && !path.startsWith("/intake/")) return false;
    req.resume();
    const url = where();
    send(res, 404, {
      error:
        url === undefined
          ? "the private-input intake is not on this port and is off on this node (intake.enabled is false)"
          : `the private-input intake moved off the metrics port: POST to ${url}/intake/<requestId> (intake.port)`,
    });
    return true;
  };
}
