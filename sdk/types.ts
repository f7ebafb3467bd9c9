/** Verification modes, as numbered on-chain (`MODE_*` in VerityTypes.sol). */
export const Mode = { TEE: 1, ZK: 2, OPTIMISTIC: 3 } as const;
export type ModeName = keyof typeof Mode;

/** `RequestStatus` on-chain. */
export const RequestStatus = { None: 0, Open: 1, Fulfilled: 2, Refunded: 3, Accepted: 4 } as const;
export const STATUS_NAMES = ["None", "Open", "Fulfilled", "Refunded", "Accepted"] as const;

/** The request as pinned on-chain; `requestId = keccak256(abi.encode(request))`. */
export interface Request {
  requester: string;
  nonce: bigint;
  deadline: bigint;
  modelId: string;
  version: bigint;
  weightsHash: string;
  inputHash: string;
  mode: bigint;
  operator: string;
  callback: string;
  callbackGasLimit: bigint;
  storeOutput: boolean;
  fee: bigint;
  royalty: bigint;
  protocolFee: bigint;
}

/** What a verifier checks: `ResultClaim` on-chain. */
export interface ResultClaim {
  requestId: bigint;
  modelId: string;
  version: bigint;
  weightsHash: string;
  inputHash: string;
  outputHash: string;
  operator: string;
}

/** Parameters of `requestInference`; omitted fields take the defaults of `requestParams`. */
export interface RequestParams {
  modelId: string;
  version: bigint | number;
  mode: number;
  operator: string;
  callback: string;
  callbackGasLimit: bigint | number;
  storeOutput: boolean;
  timeout: bigint | number;
  tip: bigint;
  maxFee: bigint;
  inputCommitment: string;
  input: string | Uint8Array;
}
