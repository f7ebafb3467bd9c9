/**
 * @verity-ai/sdk: the protocol's facts (types, ids, statuses, modes, fee split, callback gas, errors,
 * codecs, manifests, ABIs), a client for dApps and integrators, and off-chain re-verification.
 * Runs in Node and in browsers; file-reading helpers are in `@verity-ai/sdk/node`.
 */
export * from "./types.ts";
export * from "./request.ts";
export * from "./fees.ts";
export * from "./errors.ts";
export * from "./sentences.ts";
export * from "./deployment.ts";
export * from "./client.ts";
export * from "./preflight.ts";
export * from "./tee.ts";
export * from "./zk.ts";
export * from "./circuits.ts";
export * from "./private.ts";
export * from "./fields/index.ts";
export * from "./verify.ts";
export * from "./operator.ts";
export * from "./models/codec.ts";
export * from "./models/errors.ts";
export * from "./models/manifest.ts";
export * from "./generated/abis.ts";
export { PROTOCOL_ERRORS } from "./generated/errors.ts";
export * from "./generated/contracts/index.ts";
