/**
 * The node's JSON-RPC access as one narrow interface, `Rpc.send(method, params)`, so the layers
 * above it can be tested against a scripted RPC. Failures come back typed:
 *  - RpcRejectedError: the endpoint answered with a JSON-RPC error (a revert, "nonce too low", ...).
 *    It keeps the revert data, so the SDK's `decodeRevert` reads it.
 *  - RpcNoAnswerError: no answer arrived (timeout, connection reset, HTTP error). The request may
 *    or may not have taken effect: a transaction may have been accepted even though its reply was lost.
 */
import type { JsonRpcProvider } from "ethers";

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
