import { getAddress, keccak256, zeroPadValue } from "ethers";

import { IAttestationVerifier__factory } from "../typechain-types/index.ts";

import type { VerityClient, ResultView } from "./client.ts";
import { claimFor, recoverResultSigner, resultDomain } from "./tee.ts";
import { Mode } from "./types.ts";

/** One check of an off-chain re-verification, with what it compared. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Verification {
  requestId: bigint;
  ok: boolean;
  mode: string;
  output?: string;
  checks: Check[];
}

/**
 * Re-verifies a fulfilled result off-chain, trusting nothing but the chain's state:
 * - the output bytes hash to the stored output hash;
 * - a public input hashes to the request's input hash;
 * - TEE: the signature in the fulfil transaction recovers to the enclave key the verifier recorded,
 *   that key is registered to the operator who was paid, and it is still active.
 * ZK results are re-verified by `verifyZkResult` in sdk/zk.ts once the ZK mode is deployed.
 */
export async function verifyResult(client: VerityClient, requestId: bigint, view?: ResultView): Promise<Verification> {
  const v = view ?? (await client.readResult(requestId));
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const modeName = Object.entries(Mode).find(([, m]) => BigInt(m) === v.request.mode)?.[0] ?? `mode ${v.request.mode}`;

  add("status", v.status === "Fulfilled", `on-chain status ${v.status}`);
  if (v.status !== "Fulfilled" || !v.fulfilment) return { requestId, ok: false, mode: modeName, checks };

  if (v.input !== undefined) {
    const h = keccak256(v.input);
    add("input", h === v.request.inputHash, `keccak256(input) ${h} vs request.inputHash ${v.request.inputHash}`);
  } else {
    add("input", true, `private input: commitment ${v.request.inputHash} (disclose input + salt to check it)`);
  }

  const { output, proof, request } = await client.fulfilmentCalldata(requestId, v.fulfilment.txHash);
  const outputHash = keccak256(output);
  add("output", outputHash === v.outputHash, `keccak256(output) ${outputHash} vs stored ${v.outputHash}`);

  if (v.request.mode === BigInt(Mode.TEE)) {
    const { chainId } = await client.provider.getNetwork();
    const domain = resultDomain(chainId, client.deployment.coordinator);
    const claim = claimFor(requestId, request, output, v.fulfilment.operator);
    const signer = recoverResultSigner(domain, claim, proof);
    const recorded = getAddress("0x" + v.fulfilment.verifierRecord.slice(26));
    add(
      "signature",
      signer === recorded,
      `EIP-712 signer ${signer} vs verifier record ${recorded} (${zeroPadValue(signer, 32) === v.fulfilment.verifierRecord ? "same" : "differs"})`,
    );
    const enclave = await client.tee.getEnclave(signer);
    add(
      "enclave",
      getAddress(enclave.operator) === getAddress(v.fulfilment.operator),
      `enclave ${signer} registered to ${enclave.operator}, paid operator ${v.fulfilment.operator}`,
    );
    add(
      "enclave-active",
      enclave.active,
      enclave.active ? "enclave key still active" : "enclave key revoked since (e.g. equivocation)",
    );
    const attestation = IAttestationVerifier__factory.connect(await client.tee.attestationVerifier(), client.provider);
    const approved = await attestation.isMeasurementApproved(enclave.measurement);
    add(
      "measurement",
      approved,
      `enclave code measurement ${enclave.measurement} ${approved ? "is" : "is no longer"} approved`,
    );
  } else {
    add("proof", false, `${modeName} results are re-verified with sdk/zk.ts (verifyZkResult)`);
  }
  return { requestId, ok: checks.every((c) => c.ok), mode: modeName, output, checks };
}
