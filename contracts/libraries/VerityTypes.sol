// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @dev Verification modes. A model allows a set of them as a bit set: bit `m` stands for mode `m`.
uint8 constant MODE_TEE = 1;
uint8 constant MODE_ZK = 2;
uint8 constant MODE_OPTIMISTIC = 3;
uint8 constant MODE_MAX = 3;

/// @dev Reason codes passed to `OperatorStaking.slash`.
uint8 constant SLASH_MISSED_DEADLINE = 1;
uint8 constant SLASH_EQUIVOCATION = 2;
uint8 constant SLASH_FRAUD = 3;

uint16 constant BPS = 10_000;

/// @dev BN254 scalar field order: ZK public signals and Poseidon values lie below it.
uint256 constant BN254_SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

/// @notice Lifecycle of a request, as stored by the coordinator.
enum RequestStatus {
    None,
    Open,
    Fulfilled,
    Refunded,
    /// Open, and accepted by its assigned operator.
    Accepted
}

/// @notice Everything a requester chooses when asking for an inference.
struct RequestParams {
    /// Model to run (see `ModelRegistry.modelIdOf`).
    bytes32 modelId;
    /// Version to run; 0 means the latest one, resolved and pinned now.
    uint32 version;
    /// Verification mode (`MODE_*`); the model must allow it.
    uint8 mode;
    /// Operator that must serve the request, or zero for any eligible operator.
    address operator;
    /// Contract that receives the result (`IInferenceConsumer`), or zero to pull it.
    address callback;
    /// Gas the callback receives; the operator must supply it.
    uint32 callbackGasLimit;
    /// Whether the output bytes are stored on-chain (the hash always is).
    bool storeOutput;
    /// Seconds from now until the request may be refunded.
    uint64 timeout;
    /// Extra payment for the operator on top of the model's price.
    uint96 tip;
    /// Highest total fee the requester accepts (guards against a price change in flight); 0 = any.
    uint96 maxFee;
    /// For private inputs: commitment to the input (the input itself travels off-chain). Zero when
    /// `input` is given.
    bytes32 inputCommitment;
    /// Public input bytes, in the model's input encoding. Empty for private inputs.
    bytes input;
}

/// @notice The request as pinned at request time. `requestId == keccak256(abi.encode(request))`, so
/// the coordinator stores only a status slot and callers hand the request back when they act on it.
/// All fields are static, so the ABI encoding is 15 words. It is never stored, so it is not packed.
// solhint-disable-next-line gas-struct-packing
struct Request {
    /// Account that paid and gets any refund.
    address requester;
    /// Requester's request counter: makes the id unique.
    uint64 nonce;
    /// Deadline (unix seconds): fulfilment allowed up to it, refund after it.
    uint64 deadline;
    /// Model and the version resolved at request time.
    bytes32 modelId;
    uint32 version;
    /// Hash of the exact model file bytes of that version.
    bytes32 weightsHash;
    /// keccak256 of the public input, or the requester's commitment to a private input (the
    /// request's `input` in `InferenceRequested` is then empty).
    bytes32 inputHash;
    /// Verification mode (`MODE_*`).
    uint8 mode;
    /// Assigned operator or zero.
    address operator;
    /// Callback target (zero for none) and its gas.
    address callback;
    uint32 callbackGasLimit;
    bool storeOutput;
    /// Total escrow (price + tip) and its split, fixed at request time. The operator gets
    /// `fee - royalty - protocolFee`.
    uint96 fee;
    uint96 royalty;
    uint96 protocolFee;
}

/// @notice What a verifier is asked to confirm. Passed in calldata, never stored.
// solhint-disable-next-line gas-struct-packing
struct ResultClaim {
    uint256 requestId;
    bytes32 modelId;
    /// Model version pinned by the request, and its weights hash.
    uint32 version;
    bytes32 weightsHash;
    /// keccak256 of the public input, or the commitment to a private input.
    bytes32 inputHash;
    /// keccak256 of the output bytes.
    bytes32 outputHash;
    /// Operator submitting the result.
    address operator;
}

/// @notice A result as stored on-chain. Who delivered it, in which block, the verifier's record and
/// the callback outcome are in the `InferenceFulfilled` and `CallbackDelivered` events.
struct InferenceResult {
    RequestStatus status;
    /// keccak256 of the output bytes (zero unless fulfilled).
    bytes32 outputHash;
}

/// @notice Helpers over the types above. (Also gives this file a compiled unit of its own, which
/// Hardhat's node needs when the file is compiled alone.)
library VerityTypesLib {
    /// @notice The bit that stands for `mode` in a model's allowed-modes set.
    function modeBit(uint8 mode) internal pure returns (uint256) {
        return 1 << mode;
    }
}
