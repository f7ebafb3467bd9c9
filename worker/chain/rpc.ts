/**
 * The node's JSON-RPC access as one narrow interface, `Rpc.send(method, params)`, so the layers
 * above it can be tested against a scripted RPC. Failures come back typed:
 *  - RpcRejectedError: the endpoint answered with a JSON-RPC error (a revert, "nonce too low", ...).
 *    It keeps the revert data, so the SDK's `decodeRevert` reads it.
 *  - RpcNoAnswerError: no answer arrived (timeout, connection reset, HTTP error). The request may
 *    or may not have taken effect: a transaction may have been accepted even though its reply was lost.
 */
import { JsonRpcProvider } from "ethers";
import type { JsonRpcPayload, JsonRpcResult, Networkish } from "ethers";

export interface Rpc {
  send<T = unknown>(method: string, params: readonly unknown[]): Promise<T>;
}

export class RpcRejectedError extends Error {
  readonly code: number;
  readonly data: string | undefined;
  constructor(method: string, code: number, message: string, data: string | undefined) {
    super(`${method}: the RPC refused it (${code}): ${message}`);
    this.name = "RpcRejectedError";
    this.code = code;
    this.data = data;
  }
}

export class RpcNoAnswerError extends Error {
  constructor(method: string, cause: string) {
    super(`${method}: no answer from the RPC (${cause}); check rpcUrl and that the node is up`);
    this.name = "RpcNoAnswerError";
  }
}

/** A one-line error text without the (possibly huge) request payload ethers appends. */
export function shortError(err: unknown): string {
  const e = err as {
    shortMessage?: string;
    message?: string;
    error?: { message?: string };
    info?: { error?: { message?: string } };
  };
  if (err instanceof RpcRejectedError || err instanceof RpcNoAnswerError) return cut(err.message);
  const text = e?.info?.error?.message ?? e?.error?.message ?? e?.shortMessage ?? e?.message ?? String(err);
  return cut(text);
}

function cut(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function jsonRpcError(err: unknown): { code: number; message: string; data: unknown } | undefined {
  const e = err as { info?: { error?: unknown }; error?: unknown };
  for (const c of [e?.info?.error, e?.error]) {
    const o = c as { code?: unknown; message?: unknown; data?: unknown } | undefined;
    if (o !== undefined && o !== null && typeof o.code === "number")
      return { code: o.code, message: String(o.message ?? ""), data: o.data };
  }
  return undefined;
}

function revertData(d: unknown): string | undefined {
  if (typeof d === "string" && d.startsWith("0x")) return d;
  const inner = (d as { data?: unknown } | undefined)?.data;
  return typeof inner === "string" && inner.startsWith("0x") ? inner : undefined;
}

/** The ethers provider behind the `Rpc` interface, with typed failures. */
export function providerRpc(provider: JsonRpcProvider): Rpc {
  return {
    async send<T>(method: string, params: readonly unknown[]): Promise<T> {
      try {
        return (await provider.send(method, [...params])) as T;
      } catch (err) {
        const rpc = jsonRpcError(err);
        if (rpc !== undefined) {
          const data = revertData(rpc.data) ?? revertData((err as { data?: unknown }).data) ?? undefined;
          throw new RpcRejectedError(method, rpc.code, rpc.message, data);
        }
        const data = revertData((err as { data?: unknown }).data);
        if ((err as { code?: string }).code === "CALL_EXCEPTION")
          throw new RpcRejectedError(method, 3, shortError(err), data);
        throw new RpcNoAnswerError(method, shortError(err));
      }
    },
  };
}

/**
 * ethers' JsonRpcProvider with its HTTP transport replaced by Node's own fetch: ethers turns every
 * request body into bytes and every response back into text with its JavaScript UTF-8 coder, which
 * cost the node more than any other step at load (a 1,000-event eth_getLogs answer is ~1.5 MB; profiled
 * at ~1.2 s of CPU per 1,000 results, bench/results/worker-edr.json). Node's fetch encodes and parses JSON
 * natively and keeps the connection alive. Everything above `_send` (batching, error mapping) is ethers'.
 */
export class NodeFetchJsonRpcProvider extends JsonRpcProvider {
  readonly #url: string;
  readonly #timeoutMs: number;

  constructor(
    url: string,
    network: Networkish | undefined,
    options: ConstructorParameters<typeof JsonRpcProvider>[2] & { timeoutMs?: number },
  ) {
    super(url, network, options);
    this.#url = url;
    this.#timeoutMs = options?.timeoutMs ?? 300_000;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const res = await fetch(this.#url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    if (!res.ok) {
      const body = await res.text().catch(() => "");
      throw Object.assign(new Error(`HTTP ${res.status} ${res.statusText} from ${this.#url}: ${body.slice(0, 200)}`), {
        code: "SERVER_ERROR",
      });
    }
    const body = (await res.json()) as JsonRpcResult | JsonRpcResult[];
    return Array.isArray(body) ? body : [body];
  }
}
