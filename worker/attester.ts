/**
 * TEE attester: signs results as EIP-712 `InferenceResult` messages with the enclave key, and makes
 * sure that key is registered on TeeVerifier for this operator.
 *
 * DEVELOPMENT: the enclave key is a software key given in the config; no hardware enclave holds it.
 * The digest follows sdk/tee.ts RESULT_TYPES with a cached encoder and domain separator (much faster
 * than re-parsing the types per signature) and is checked at construction against sdk/tee.ts
 * `resultDigest`, the reference the contracts are tested with.
 */
import {
  Contract,
  SigningKey,
  TypedDataEncoder,
  Wallet,
  ZeroAddress,
  concat,
  getBytes,
  keccak256,
  toUtf8Bytes,
  type Signer,
  type TypedDataDomain,
} from "ethers";
import type { Logger } from "pino";

import type { AttestationSource } from "./attestation/evidence.ts";
import { SignerPool } from "./signer.ts";

import {
  claimFor,
  OperatorStakingAbi,
  recoverResultSigner,
  registrationDigest,
  registrationDomain,
  RESULT_TYPES,
  resultDigest,
  resultDomain,
  TeeVerifierAbi,
  type Request,
  type ResultClaim,
} from "@verity-ai/sdk";

type Field = { name: string; type: string };
const FIELDS: readonly Field[] = (RESULT_TYPES as Record<string, Field[]>).InferenceResult!;
// Every field is a static 32-byte word (uint256 / bytes32), so the struct hash is
// keccak256(TYPEHASH ‖ field words): computed directly instead of through TypedDataEncoder.
if (FIELDS.some((f) => f.type !== "uint256" && f.type !== "bytes32"))
  throw new Error("attester: InferenceResult has a field that is not a static word");
const TYPEHASH = getBytes(
  keccak256(toUtf8Bytes(new TypedDataEncoder(RESULT_TYPES as Record<string, Field[]>).encodeType("InferenceResult"))),
);

function word(v: unknown, out: Uint8Array, at: number): void {
  if (typeof v === "bigint") {
    if (v < 0n || v >= 1n << 256n) throw new Error("attester: uint256 out of range");
    out.set(Buffer.from(v.toString(16).padStart(64, "0"), "hex"), at);
  } else {
    const b = getBytes(v as string);
    if (b.length !== 32) throw new Error("attester: bytes32 field is not 32 bytes");
    out.set(b, at);
  }
}

/** Bytes of one struct encoding: the type hash and one word per field. */
const STRUCT_BYTES = 32 * (FIELDS.length + 1);

/** The EIP-712 struct encoding of `claim` (type hash ‖ field words) into `out` at `at`. */
function encodeStruct(claim: ResultClaim, out: Uint8Array, at: number): void {
  const c = claim as unknown as Record<string, unknown>;
  out.set(TYPEHASH, at);
  FIELDS.forEach((f, i) => word(c[f.name], out, at + 32 * (i + 1)));
}

const PROBE_REQUEST: Request = {
  requester: ZeroAddress,
  nonce: 1n,
  deadline: 2n,
  modelId: keccak256("0x01"),
  version: 3n,
  weightsHash: keccak256("0x02"),
  inputHash: keccak256("0x03"),
  mode: 1n,
  operator: ZeroAddress,
  callback: ZeroAddress,
  callbackGasLimit: 0n,
  storeOutput: false,
  fee: 0n,
  royalty: 0n,
  protocolFee: 0n,
};

export class Attester {
  readonly address: string;
  readonly operator: string;
  readonly domain: TypedDataDomain;
  readonly #key: SigningKey;
  readonly #prefix: Uint8Array;
  readonly #signers: SignerPool;

  constructor(enclaveKey: string, chainId: bigint, coordinator: string, operator: string, signingThreads = 1) {
    this.operator = operator;
    this.#key = new SigningKey(enclaveKey.startsWith("0x") ? enclaveKey : `0x${enclaveKey}`);
    this.address = new Wallet(this.#key).address;
    this.domain = resultDomain(chainId, coordinator);
    const separator = TypedDataEncoder.hashDomain(this.domain);
    this.#prefix = getBytes(concat(["0x1901", separator]));
    this.#signers = new SignerPool(this.#key.privateKey, this.#prefix, signingThreads);
    // Self-check against the SDK's EIP-712 encoding (sdk/tee.ts is the reference).
    const probe = claimFor(12345n, PROBE_REQUEST, "0x04", coordinator);
    if (this.digest(probe) !== resultDigest(this.domain, probe))
      throw new Error("attester digest disagrees with sdk/tee.ts");
  }

  /** EIP-712 digest of `claim` (fields as listed in sdk/tee.ts RESULT_TYPES). */
  digest(claim: ResultClaim): string {
    const struct = new Uint8Array(STRUCT_BYTES);
    encodeStruct(claim, struct, 0);
    const buf = new Uint8Array(66);
    buf.set(this.#prefix, 0);
    buf.set(getBytes(keccak256(struct)), 34);
    return keccak256(buf);
  }

  /** 65-byte r‖s‖v signature over the result of `request` with `output`. */
  sign(requestId: bigint, request: Request, output: Uint8Array | string): string {
    return this.#key.sign(this.digest(claimFor(requestId, request, output, this.operator))).serialized;
  }

  /**
   * Signatures over many results, made in the signing threads (worker/signer.ts) so the event loop
   * stays free; the same bytes `sign` makes. If the thread fails, they are made here instead and
   * `onThreadError` is told why.
   */
  async signMany(
    items: readonly { requestId: bigint; request: Request; output: Uint8Array | string }[],
    onThreadError: (err: Error) => void = () => undefined,
  ): Promise<string[]> {
    const claims = items.map((it) => claimFor(it.requestId, it.request, it.output, this.operator));
    const structs = new Uint8Array(STRUCT_BYTES * claims.length);
    claims.forEach((c, i) => encodeStruct(c, structs, i * STRUCT_BYTES));
    try {
      return await this.#signers.sign(structs, STRUCT_BYTES);
    } catch (err) {
      onThreadError(err as Error);
      return claims.map((c) => this.#key.sign(this.digest(c)).serialized);
    }
  }

  /** Start the signing threads now rather than on the first results; resolves with their ECDSA backend. */
  async warm(): Promise<string> {
    return this.#signers.warm();
  }

  /** Stop the signing thread. */
  async close(): Promise<void> {
    await this.#signers.close();
  }

  /** Recover with the SDK (tests, spot checks). */
  recover(claim: ResultClaim, signature: string): string {
    return recoverResultSigner(this.domain, claim, signature);
  }

  /** Until when the key's registration holds on-chain (unix seconds), as last read. */
  validUntil: bigint | undefined;

  /**
   * Check the operator is eligible (staked, not jailed) and that the enclave key is registered to it
   * and currently attested, registering it (again) with evidence from `source` when `register` is set:
   * when it is not registered, was registered under a replaced attestation verifier, or expires within
   * `reattestBeforeSec` of `now`. Returns problems found (empty when ready).
   */
  async ensureReady(
    operator: Signer,
    tee: string,
    staking: string,
    source: AttestationSource,
    opts: { register: boolean; reattestBeforeSec: number; now: number },
    log: Logger,
  ): Promise<string[]> {
    const problems: string[] = [];
    const operatorAddress = await operator.getAddress();
    const stakingC = new Contract(staking, OperatorStakingAbi, operator);
    const teeC = new Contract(tee, TeeVerifierAbi, operator);
    const eligible = (await stakingC.getFunction("isEligible")(operatorAddress)) as boolean;
    if (!eligible) {
      const [minStake, stake] = await Promise.all([
        stakingC.getFunction("minStake")(),
        stakingC.getFunction("stakeOf")(operatorAddress),
      ]);
      const msg = `operator ${operatorAddress} is not eligible on OperatorStaking ${staking}: staked ${stake.staked}, minStake ${minStake}, jailed ${stake.jailed}; stake at least minStake before serving (fulfil would revert with CoordinatorOperatorNotEligible)`;
      log.error(
        {
          operator: operatorAddress,
          staked: stake.staked.toString(),
          minStake: minStake.toString(),
          jailed: stake.jailed,
        },
        msg,
      );
      problems.push(msg);
    }
    const [enclave, epoch] = await Promise.all([
      teeC.getFunction("getEnclave")(this.address),
      teeC.getFunction("attestationEpoch")() as Promise<bigint>,
    ]);
    const owner = (enclave.operator as string).toLowerCase();
    const unregistered = owner === "0x0000000000000000000000000000000000000000";
    if (!unregistered && owner !== operatorAddress.toLowerCase()) {
      const msg = `enclave key ${this.address} is registered to operator ${enclave.operator}, not ${operatorAddress}`;
      log.error(msg);
      problems.push(msg);
      return problems;
    }
    if (!unregistered && !enclave.active) {
      const msg = `enclave key ${this.address} is revoked on TeeVerifier ${tee}`;
      log.error(msg);
      problems.push(msg);
      return problems;
    }
    const validUntil = unregistered ? 0n : (enclave.validUntil as bigint);
    const replaced = !unregistered && BigInt(enclave.attestationEpoch) !== epoch;
    const due = !unregistered && validUntil - BigInt(opts.reattestBeforeSec) <= BigInt(opts.now);
    this.validUntil = unregistered || replaced ? undefined : validUntil;
    if (!unregistered && !replaced && !due) return problems;
    if (!opts.register) {
      const msg = unregistered
        ? `enclave key ${this.address} is not registered on TeeVerifier ${tee}`
        : `enclave key ${this.address} needs a fresh attestation on TeeVerifier ${tee} (${replaced ? "the attestation verifier was replaced" : `it expires at ${validUntil}`}); set registerEnclave to let the node re-register it`;
      if (unregistered || replaced || BigInt(opts.now) >= validUntil) {
        log.error(msg);
        problems.push(msg);
      } else log.warn(msg);
      return problems;
    }
    const verifier = (await teeC.getFunction("attestationVerifier")()) as string;
    const binding = {
      chainId: this.domain.chainId as bigint,
      tee,
      verifier,
      operator: operatorAddress,
      enclaveKey: this.address,
    };
    const evidence = await source.evidence(binding, operator);
    if (!unregistered && !replaced && evidence.validUntil !== undefined && evidence.validUntil <= validUntil) {
      // A fresh quote would expire no later: the collateral on-chain is what runs out.
      const msg = `enclave key ${this.address}'s registration expires at ${validUntil} and a fresh quote would hold no longer (until ${evidence.validUntil}): push Intel's current CRLs, TCB info and QE identity to the attestation verifier ${verifier}`;
      log.warn(msg);
      if (BigInt(opts.now) >= validUntil) problems.push(msg);
      return problems;
    }
    log.info(
      {
        enclave: this.address,
        measurement: evidence.measurement,
        provider: source.provider,
        validUntil: evidence.validUntil?.toString(),
        reason: unregistered ? "unregistered" : replaced ? "attestation verifier replaced" : "expiring",
      },
      source.hardware
        ? "registering the enclave key on TeeVerifier with a fresh TDX quote"
        : "registering enclave key on TeeVerifier (software development key, no hardware attestation)",
    );
    // Proof of possession: the enclave key signs its registration for this operator on this verifier.
    const domain = registrationDomain(this.domain.chainId as bigint, tee);
    const keySignature = this.#key.sign(registrationDigest(domain, operatorAddress, this.address)).serialized;
    const tx = await teeC.getFunction("registerEnclave")(
      this.address,
      evidence.measurement,
      evidence.report,
      keySignature,
    );
    await tx.wait();
    this.validUntil = (await teeC.getFunction("getEnclave")(this.address)).validUntil as bigint;
    return problems;
  }
}
