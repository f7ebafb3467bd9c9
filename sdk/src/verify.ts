import { AbiCoder, ZeroAddress, getAddress, keccak256, zeroPadValue } from "ethers";

import { IAttestationVerifier__factory } from "./generated/contracts/index.ts";

import type { VerityClient, ResultView } from "./client.ts";
import { claimFor, recoverResultSigner, resultDomain } from "./tee.ts";
import { DEFAULT_VKEYS } from "./circuits.ts";
import { classOutput, verifyOffchain } from "./zk.ts";
import type { Groth16Proof } from "./zk.ts";
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
 * - ZK: the Groth16 proof in the fulfil transaction verifies under the verification key of the
 *   model version's circuit (`vkeys`: weights hash → vkey.json; every bundled circuit's by default), with public signals [output class,
 *   the request's input commitment], and the output is that class; the version pins a Groth16
 *   verifier on-chain. The proof does not name the operator: a ZK request names it, and only it can
 *   fulfil the request.
 */
export async function verifyResult(
  client: VerityClient,
  requestId: bigint,
  view?: ResultView,
  vkeys: Readonly<Record<string, unknown>> = DEFAULT_VKEYS,
): Promise<Verification> {
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
  } else if (v.request.mode === BigInt(Mode.ZK)) {
    await checkZk(client, v, proof, output, add, vkeys);
  } else {
    add("proof", false, `${modeName} results cannot be re-verified off-chain by this SDK yet`);
  }
  return { requestId, ok: checks.every((c) => c.ok), mode: modeName, output, checks };
}

async function checkZk(
  client: VerityClient,
  v: ResultView,
  proof: string,
  output: string,
  add: (name: string, ok: boolean, detail: string) => void,
  vkeys: Readonly<Record<string, unknown>>,
): Promise<void> {
  const pinned = await client.registry.zkVerifierOf(v.request.modelId, v.request.version);
  // The coordinator pinned the version's verifier into the request and records the one that accepted.
  const accepted = getAddress("0x" + v.fulfilment!.verifierRecord.slice(26));
  add(
    "zk-verifier",
    pinned !== ZeroAddress && accepted === getAddress(pinned),
    `version ${v.request.version} pins Groth16 verifier ${pinned}; the chain's record names ${accepted}`,
  );
  const vkey = vkeys[v.request.weightsHash.toLowerCase()];
  if (!vkey) {
    add("proof", false, `no verification key known for weights ${v.request.weightsHash}: pass one in vkeys`);
    return;
  }
  const [a, b, c, outputClass] = AbiCoder.defaultAbiCoder().decode(
    ["uint256[2]", "uint256[2][2]", "uint256[2]", "uint256"],
    proof,
  ) as unknown as [bigint[], bigint[][], bigint[], bigint];
  // Back from the EVM's (imaginary, real) G2 order to snarkjs's.
  const groth16: Groth16Proof = {
    pi_a: [a[0]!.toString(), a[1]!.toString(), "1"],
    pi_b: [
      [b[0]![1]!.toString(), b[0]![0]!.toString()],
      [b[1]![1]!.toString(), b[1]![0]!.toString()],
      ["1", "0"],
    ],
    pi_c: [c[0]!.toString(), c[1]!.toString(), "1"],
    protocol: "groth16",
    curve: "bn128",
  };
  const signals = [outputClass.toString(), BigInt(v.request.inputHash).toString()];
  // snarkjs keeps its curve (and worker threads) for the next proof: callers end it once with
  // `zkShutdown()` when they are done, never here, as other verifications may be running.
  const ok = await verifyOffchain(vkey, signals, groth16);
  add(
    "proof",
    ok,
    `Groth16 proof ${ok ? "verifies" : "does not verify"} for class ${outputClass}, commitment ${v.request.inputHash}`,
  );
  add(
    "output-class",
    keccak256(classOutput(outputClass)) === keccak256(output),
    `output bytes encode class ${outputClass}`,
  );
}
