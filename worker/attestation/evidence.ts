/**
 * Where the node's enclave attestation comes from (config `tee.provider`):
 *
 * - "tdx-configfs": the node runs in an Intel TDX guest and asks the kernel (configfs-tsm) for a quote
 *   whose report data binds its enclave key to this operator, chain, TeeVerifier and attestation
 *   verifier (`tdxReportData`). The measurement is the quote's own; the verifier on-chain is asked
 *   before anything is sent, so a quote it would refuse is reported with the failed check, and its
 *   expiry is known in advance.
 * - "development-unattested": the configured measurement and report, which nothing checks (the
 *   development verifier ignores the report). Refused on every chain but the local ones.
 */
import { Contract, hexlify, keccak256, type ContractRunner } from "ethers";

import { ITdxAttestationVerifierAbi, LOCAL_CHAIN_IDS, explainRevert, isLocalChain } from "@verity-ai/sdk";
import { parseTdxQuote } from "@verity-ai/sdk/tdx";

import { TdxConfigfsQuoteProvider } from "./tdx-configfs.ts";

/** Why the development provider may not register on `chainId` (undefined on a local chain, where it may). */
export function developmentRefusal(chainId: bigint | number): string | undefined {
  if (isLocalChain(chainId)) return undefined;
  return `tee.provider "development-unattested" registers enclave keys that no hardware attests, and chain ${chainId} is not a local chain (${LOCAL_CHAIN_IDS.join(" or ")}). Fix: run the node in an Intel TDX guest with tee.provider "tdx-configfs".`;
}

/** What a registration binds: the enclave key, for an operator, with a TeeVerifier on a chain. */
export interface Binding {
  chainId: bigint;
  /** The TeeVerifier the key is registered with (the attestation's consumer). */
  tee: string;
  /** TeeVerifier's current attestation verifier. */
  verifier: string;
  operator: string;
  enclaveKey: string;
}

/** What `registerEnclave` is called with. */
export interface Evidence {
  measurement: string;
  report: string;
  /** Until when the verifier would hold the registration, when known before registering. */
  validUntil?: bigint;
}

export interface AttestationSource {
  readonly provider: "development-unattested" | "tdx-configfs";
  /** Whether a hardware TEE vouches for the key (false: the development stand-in). */
  readonly hardware: boolean;
  evidence(binding: Binding, runner: ContractRunner): Promise<Evidence>;
}

/** Why the node could not attest; the message ends with the fix. */
export class AttestationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AttestationError";
  }
}

/** The measurement TdxAttestationVerifier registers: keccak256 of TD report bytes 120..520. */
export function tdxMeasurement(quote: Uint8Array): string {
  return keccak256(parseTdxQuote(quote).body.subarray(120, 520));
}

export class DevelopmentAttestation implements AttestationSource {
  readonly provider = "development-unattested" as const;
  readonly hardware = false;
  // Plain fields, not parameter properties: the node also runs under Node's type stripping.
  readonly #measurement: string;
  readonly #report: string;

  constructor(measurement: string, report = "0x") {
    this.#measurement = measurement;
    this.#report = report;
  }

  async evidence(binding: Binding): Promise<Evidence> {
    const refused = developmentRefusal(binding.chainId);
    if (refused !== undefined) throw new AttestationError(refused);
    return { measurement: this.#measurement, report: this.#report };
  }
}

export class TdxConfigfsAttestation implements AttestationSource {
  readonly provider = "tdx-configfs" as const;
  readonly hardware = true;
  readonly quotes: TdxConfigfsQuoteProvider;
  readonly #expectedMeasurement: string | undefined;

  constructor(options: { reportDir?: string; reportEntry?: string }, expectedMeasurement?: string) {
    this.quotes = new TdxConfigfsQuoteProvider({ baseDir: options.reportDir, entryName: options.reportEntry });
    this.#expectedMeasurement = expectedMeasurement;
  }

  async evidence(binding: Binding, runner: ContractRunner): Promise<Evidence> {
    const quote = await this.quotes.getBindingQuote({
      chainId: binding.chainId,
      verifier: binding.verifier,
      consumer: binding.tee,
      operator: binding.operator,
      enclaveKey: binding.enclaveKey,
    });
    const measurement = tdxMeasurement(quote);
    const expected = this.#expectedMeasurement;
    if (expected !== undefined && expected.toLowerCase() !== measurement) {
      throw new AttestationError(
        `The TD's measurement is ${measurement}, not the configured ${expected}: this guest runs another image. Fix: boot the approved image, or set measurement to ${measurement} once governance approved it.`,
      );
    }
    // The verifier's own verdict before any gas is spent: the failed check by name, or the expiry.
    const verifier = new Contract(binding.verifier, ITdxAttestationVerifierAbi, runner);
    let expiry: bigint;
    try {
      expiry = (await verifier.getFunction("verifyQuote")(quote)).expiry as bigint;
    } catch (err) {
      const why = explainRevert(err) ?? (err as Error).message;
      throw new AttestationError(
        `The attestation verifier ${binding.verifier} refuses this TD's quote: ${why}. (If the collateral is stale, push Intel's current CRLs, TCB info and QE identity to it.)`,
        { cause: err },
      );
    }
    return { measurement, report: hexlify(quote), validUntil: expiry };
  }
}

/** The attestation source a config asks for. */
export function attestationSource(c: {
  measurement?: string;
  attestationReport?: string;
  tee: { provider: "development-unattested" | "tdx-configfs"; reportDir?: string; reportEntry?: string };
}): AttestationSource {
  return c.tee.provider === "tdx-configfs"
    ? new TdxConfigfsAttestation(c.tee, c.measurement)
    : new DevelopmentAttestation(c.measurement!, c.attestationReport ?? "0x");
}
