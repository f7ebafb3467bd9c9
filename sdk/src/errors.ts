/** Decoding a contract revert into its custom error, with every error the protocol's contracts declare. */
import { Interface, type ErrorDescription } from "ethers";

import { PROTOCOL_ERRORS } from "./generated/errors.ts";

let protocolInterface: Interface | undefined;

/** An ethers `Interface` holding every custom error of the protocol's contracts. */
export function protocolErrors(): Interface {
  protocolInterface ??= new Interface([...PROTOCOL_ERRORS]);
  return protocolInterface;
}

/** A decoded revert: the error's name and arguments. */
export interface DecodedRevert {
  name: string;
  args: unknown[];
  /** `Name(arg0, arg1, …)`. */
  text: string;
}

/** The revert data carried by an error from ethers or a raw JSON-RPC reply, if any. */
export function revertDataOf(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (e: unknown): string | undefined => {
    if (e === null || typeof e !== "object" || seen.has(e)) return undefined;
    seen.add(e);
    const o = e as { data?: unknown; error?: unknown; info?: unknown; cause?: unknown };
    if (typeof o.data === "string" && /^0x[0-9a-fA-F]{8}/.test(o.data)) return o.data;
    return visit(o.data) ?? visit(o.error) ?? visit(o.info) ?? visit(o.cause);
  };
  return visit(err);
}

/** Decodes revert data (or an error that carries it) into a protocol error; undefined when it is none. */
export function decodeRevert(dataOrError: unknown): DecodedRevert | undefined {
  const data = typeof dataOrError === "string" ? dataOrError : revertDataOf(dataOrError);
  if (data === undefined || data.length < 10) return undefined;
  let parsed: ErrorDescription | null;
  try {
    parsed = protocolErrors().parseError(data);
  } catch {
    return undefined;
  }
  if (!parsed) return undefined;
  const args = [...parsed.args];
  return { name: parsed.name, args, text: `${parsed.name}(${args.map(String).join(", ")})` };
}
