import { Signature, TypedDataEncoder, keccak256, verifyTypedData } from "ethers";
import type { BytesLike, Signer, TypedDataDomain } from "ethers";

import type { Request, ResultClaim } from "./types.ts";

/** EIP-712 types of a TEE result, as `TeeVerifier.RESULT_TYPEHASH`. */
export const RESULT_TYPES = {
  InferenceResult: [
    { name: "requestId", type: "uint256" },
    { name: "modelId", type: "bytes32" },
    { name: "weightsHash", type: "bytes32" },
    { name: "inputHash", type: "bytes32" },
    { name: "outputHash", type: "bytes32" },
  ],
};

/** The domain results are signed under: the coordinator's, on its chain. */
export function resultDomain(chainId: bigint | number, coordinator: string): TypedDataDomain {
  return { name: "Verity", version: "1", chainId, verifyingContract: coordinator };
}

/** The claim an operator makes for `request` with `output`. */
export function claimFor(requestId: bigint, request: Request, output: BytesLike, operator: string): ResultClaim {
  return {
    requestId,
    modelId: request.modelId,
    version: request.version,
    weightsHash: request.weightsHash,
    inputHash: request.inputHash,
    outputHash: keccak256(output),
    operator,
  };
}

function message(claim: ResultClaim) {
  return {
    requestId: claim.requestId,
    modelId: claim.modelId,
    weightsHash: claim.weightsHash,
    inputHash: claim.inputHash,
    outputHash: claim.outputHash,
  };
}

/** Signs a result with an enclave key (65-byte r||s||v signature). */
export async function signResult(enclave: Signer, domain: TypedDataDomain, claim: ResultClaim): Promise<string> {
  const sig = await enclave.signTypedData(domain, RESULT_TYPES, message(claim));
  return Signature.from(sig).serialized;
}

/** The enclave key that signed `signature` over `claim`. */
export function recoverResultSigner(domain: TypedDataDomain, claim: ResultClaim, signature: string): string {
  return verifyTypedData(domain, RESULT_TYPES, message(claim), signature);
}

/** The EIP-712 digest `TeeVerifier.resultDigest` computes. */
export function resultDigest(domain: TypedDataDomain, claim: ResultClaim): string {
  return TypedDataEncoder.hash(domain, RESULT_TYPES, message(claim));
}

/** EIP-712 types of an enclave-key registration, as `TeeVerifier.REGISTRATION_TYPEHASH`. */
export const REGISTRATION_TYPES = {
  EnclaveRegistration: [
    { name: "operator", type: "address" },
    { name: "enclaveKey", type: "address" },
  ],
};

/** The domain an enclave key signs its registration under: the TeeVerifier's own, on its chain. */
export function registrationDomain(chainId: bigint | number, teeVerifier: string): TypedDataDomain {
  return { name: "Verity", version: "1", chainId, verifyingContract: teeVerifier };
}

/** The EIP-712 digest `TeeVerifier.registrationDigest(operator, enclaveKey)` computes. */
export function registrationDigest(domain: TypedDataDomain, operator: string, enclaveKey: string): string {
  return TypedDataEncoder.hash(domain, REGISTRATION_TYPES, { operator, enclaveKey });
}

/**
 * The enclave key's proof of possession for `registerEnclave`: its signature (65-byte r||s||v) over
 * the registration of `operator` on the TeeVerifier of `domain`.
 */
export async function signEnclaveRegistration(
  enclave: Signer,
  domain: TypedDataDomain,
  operator: string,
): Promise<string> {
  const sig = await enclave.signTypedData(domain, REGISTRATION_TYPES, {
    operator,
    enclaveKey: await enclave.getAddress(),
  });
  return Signature.from(sig).serialized;
}
