// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IModelRegistry
/// @notice Permissionless registry of models, their immutable versions, price, royalty and modes. The
/// one thing governance decides here is which ZK verifier code a version may pin.
interface IModelRegistry {
    /// @notice A model. Slot 0 holds everything a request reads; the owner is read when paying out.
    struct Model {
        /// Price per call in payment-token units (uint96 holds 7.9e28: any real token amount).
        uint96 price;
        /// Share of the price paid to the owner, in basis points (<= 10,000).
        uint16 royaltyBps;
        /// Allowed verification modes, bit `m` for mode `m`.
        uint8 modes;
        bool active;
        /// Number of published versions; versions are numbered from 1.
        uint32 latestVersion;
        address owner;
        /// Proposed new owner during a two-step transfer.
        address pendingOwner;
    }

    /// @notice A published version. Never changes once published.
    struct ModelVersion {
        /// keccak256 of the exact model file bytes.
        bytes32 weightsHash;
        /// Groth16 verifier for this version's circuit (ZK mode), or zero. Its code is one governance
        /// approved and it declares this version's weights hash.
        address zkVerifier;
        /// Block timestamp of publication.
        uint64 publishedAt;
        /// Where the file can be fetched.
        string uri;
        /// Runtime the file needs, e.g. "onnx".
        string runtime;
        /// How inputs/outputs are encoded, e.g. "iris-int32x4/uint256-class".
        string encoding;
    }

    /// @notice Fields of a version to publish.
    struct VersionInput {
        bytes32 weightsHash;
        address zkVerifier;
        string uri;
        string runtime;
        string encoding;
    }

    /// @notice What the coordinator needs to price and pin a request.
    struct RequestTerms {
        uint96 price;
        uint16 royaltyBps;
        uint32 version;
        bytes32 weightsHash;
        /// @dev ZK mode: the version's verifier, pinned into the request. Zero for other modes.
        address verifier;
    }

    event ModelRegistered(
        bytes32 indexed modelId,
        address indexed owner,
        string name,
        uint96 price,
        uint16 royaltyBps,
        uint8 modes
    );
    event VersionPublished(
        bytes32 indexed modelId,
        uint32 indexed version,
        bytes32 indexed weightsHash,
        address zkVerifier,
        string uri,
        string runtime,
        string encoding
    );
    event PricingUpdated(bytes32 indexed modelId, uint96 price, uint16 royaltyBps);
    event ModesUpdated(bytes32 indexed modelId, uint8 modes);
    event ActiveUpdated(bytes32 indexed modelId, bool active);
    event OwnershipTransferStarted(bytes32 indexed modelId, address indexed owner, address indexed pendingOwner);
    event OwnershipTransferred(bytes32 indexed modelId, address indexed previousOwner, address indexed newOwner);
    /// @notice Governance approved (or withdrew approval of) ZK verifier runtime code `codeHash`.
    event ZkVerifierCodeApprovalUpdated(bytes32 indexed codeHash, bool approved);

    /// @notice Thrown when `modelId` was never registered.
    error RegistryUnknownModel(bytes32 modelId);
    /// @notice Thrown when `version` is zero where a number is needed, or above the latest version.
    error RegistryUnknownVersion(bytes32 modelId, uint32 version);
    /// @notice Thrown when the caller already registered a model with that name.
    error RegistryModelExists(bytes32 modelId);
    /// @notice Thrown when `caller` is not the owner of `modelId`.
    error RegistryNotOwner(bytes32 modelId, address caller);
    /// @notice Thrown when `caller` accepts an ownership transfer not offered to it.
    error RegistryNotPendingOwner(bytes32 modelId, address caller);
    /// @notice Thrown when requesting an inactive model.
    error RegistryModelInactive(bytes32 modelId);
    /// @notice Thrown when a name is empty or longer than `maxLength` bytes.
    error RegistryInvalidName(uint256 length, uint256 maxLength);
    /// @notice Thrown when a royalty is above 10,000 basis points.
    error RegistryInvalidRoyalty(uint16 royaltyBps);
    /// @notice Thrown when a mode set is empty or has bits of unknown modes.
    error RegistryInvalidModes(uint8 modes);
    /// @notice Thrown when requesting a mode the model does not allow.
    error RegistryModeNotAllowed(bytes32 modelId, uint8 mode);
    /// @notice Thrown when a version's weights hash is zero.
    error RegistryInvalidWeightsHash(bytes32 weightsHash);
    /// @notice Thrown when a ZK request names a version without a ZK verifier.
    error RegistryNoZkVerifier(bytes32 modelId, uint32 version);
    /// @notice Thrown when a version's ZK verifier has no code.
    error RegistryInvalidZkVerifier(address zkVerifier);
    /// @notice Thrown when a ZK verifier's runtime code (`codeHash`) is not approved by governance, at
    /// publication or (approval withdrawn) at request time.
    error RegistryZkVerifierNotApproved(address zkVerifier, bytes32 codeHash);
    /// @notice Thrown when a ZK verifier proves a circuit for `declared` weights, not the version's `weightsHash`.
    error RegistryZkVerifierWeightsMismatch(address zkVerifier, bytes32 declared, bytes32 weightsHash);
    /// @notice Thrown when a version field (`field`) is empty.
    error RegistryInvalidVersionField(string field);

    /// @notice Registers a model owned by the caller together with its first version.
    function registerModel(
        string calldata name,
        uint96 price,
        uint16 royaltyBps,
        uint8 modes,
        VersionInput calldata firstVersion
    ) external returns (bytes32 modelId);

    /// @notice Approves (or withdraws approval of) the runtime code of `zkVerifier` (governance). Every
    /// contract with that code is approved: the code holds the verification key and the declared weights.
    function setZkVerifierApproval(address zkVerifier, bool approved) external;

    /// @notice Whether runtime code `codeHash` is approved for ZK verifiers.
    function isZkVerifierCodeApproved(bytes32 codeHash) external view returns (bool);

    /// @notice Publishes a new immutable version; returns its number. A ZK verifier, if set, must have
    /// approved code and declare the version's weights hash (`IGroth16ResultVerifier.weightsHash`).
    function publishVersion(bytes32 modelId, VersionInput calldata version) external returns (uint32);

    function setPricing(bytes32 modelId, uint96 price, uint16 royaltyBps) external;

    function setModes(bytes32 modelId, uint8 modes) external;

    function setActive(bytes32 modelId, bool active) external;

    /// @notice Starts a two-step ownership transfer; zero cancels a pending one.
    function transferModelOwnership(bytes32 modelId, address newOwner) external;

    function acceptModelOwnership(bytes32 modelId) external;

    function getModel(bytes32 modelId) external view returns (Model memory);

    function getVersion(bytes32 modelId, uint32 version) external view returns (ModelVersion memory);

    /// @notice Resolves `version` (0 = latest) and checks the model is active and allows `mode`. For ZK
    /// mode, `verifier` is the version's ZK verifier (reverts `RegistryNoZkVerifier` if it has none, and
    /// `RegistryZkVerifierNotApproved` if governance withdrew its approval); zero otherwise.
    function requestTerms(bytes32 modelId, uint32 version, uint8 mode) external view returns (RequestTerms memory);

    /// @notice The Groth16 verifier pinned by a version (ZK mode), or zero (also for an unknown version).
    function zkVerifierOf(bytes32 modelId, uint32 version) external view returns (address);

    /// @notice Current owner of `modelId` (who earns royalties).
    function ownerOf(bytes32 modelId) external view returns (address);

    /// @notice Model id for `owner` and `name`: keccak256(abi.encode(owner, name)).
    function modelIdOf(address owner, string calldata name) external pure returns (bytes32);
}
