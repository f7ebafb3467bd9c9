/**
 * The slice of the protocol's ABI the worker uses, as human-readable fragments (no build step
 * needed to run the worker). Field order of `Request` follows VerityTypes.sol / sdk/request.ts.
 */
import { REQUEST_TUPLE } from "../sdk/request.ts";

export const COORDINATOR_ABI = [
  `event InferenceRequested(uint256 indexed requestId, bytes32 indexed modelId, address indexed operator, ${REQUEST_TUPLE} request, bytes input)`,
  "event InferenceFulfilled(uint256 indexed requestId, address indexed operator, bytes32 indexed outputHash, bytes32 verifierRecord)",
  "event FulfillmentSkipped(uint256 indexed requestId, address indexed operator, uint8 status)",
  "event RequestRefunded(uint256 indexed requestId, address indexed requester, uint256 amount, uint256 slashed)",
  `function fulfill(${REQUEST_TUPLE} request, bytes output, bytes proof)`,
  `function fulfillBatch(${REQUEST_TUPLE}[] requests, bytes[] outputs, bytes[] proofs) returns (uint256 fulfilled)`,
  "function requestStatus(uint256 requestId) view returns (uint8)",
  "function balanceOf(address account) view returns (uint256)",
  "function staking() view returns (address)",
  "function verifierOf(uint8 mode) view returns (address)",
  "function paused() view returns (bool)",
  "error CoordinatorPaused()",
  "error CoordinatorOperatorNotEligible(address operator)",
  "error CoordinatorUnknownRequest(uint256 requestId)",
  "error CoordinatorRequestNotOpen(uint256 requestId, uint8 status)",
  "error CoordinatorRequestExpired(uint256 requestId, uint256 deadline)",
  "error CoordinatorNotAssignedOperator(uint256 requestId, address operator, address caller)",
  "error CoordinatorInsufficientCallbackGas(uint256 requestId, uint256 available, uint256 needed)",
  "error CoordinatorBatchLengthMismatch(uint256 requests, uint256 outputs, uint256 proofs)",
  "error CoordinatorOutputTooLarge(uint256 length, uint256 max)",
  "error CoordinatorReservedOutputHash(bytes32 outputHash)",
  "error CoordinatorModeUnsupported(uint8 mode)",
  "error TeeInvalidSignature(uint256 requestId)",
  "error TeeUnknownEnclave(address enclaveKey)",
  "error TeeEnclaveNotActive(address enclaveKey)",
  "error TeeEnclaveOperatorMismatch(address enclaveKey, address expected, address actual)",
  "error ZkNoVerifier(bytes32 modelId, uint32 version)",
  "error ZkMalformedProof(uint256 requestId, uint256 length)",
  "error ZkCommitmentOutOfField(uint256 requestId, bytes32 commitment)",
  "error ZkOutputMismatch(uint256 requestId, uint256 outputClass, bytes32 outputHash)",
  "error ZkInvalidProof(uint256 requestId)",
] as const;

export const STAKING_ABI = [
  "function isEligible(address operator) view returns (bool)",
  "function minStake() view returns (uint256)",
  "function stakeOf(address operator) view returns (tuple(uint96 staked, uint96 unbonding, uint40 unbondingEnd, bool jailed))",
] as const;

export const TEE_ABI = [
  "function registerEnclave(address enclaveKey, bytes32 measurement, bytes report, bytes keySignature)",
  "function getEnclave(address enclaveKey) view returns (tuple(address operator, uint40 registeredAt, bool active, bytes32 measurement))",
  "error TeeInvalidEnclaveKey(address enclaveKey)",
  "error TeeEnclaveAlreadyRegistered(address enclaveKey, address operator)",
  "error TeeAttestationRejected(address enclaveKey, bytes32 measurement)",
] as const;

export const REGISTRY_ABI = ["function ownerOf(bytes32 modelId) view returns (address)"] as const;
