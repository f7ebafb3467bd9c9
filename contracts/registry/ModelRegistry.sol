// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";

import {IGroth16ResultVerifier} from "../interfaces/IGroth16ResultVerifier.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {BPS, MODE_MAX, MODE_ZK, VerityTypesLib} from "../libraries/VerityTypes.sol";

/// @title ModelRegistry
/// @notice Anyone registers a model by the hash of its weights, publishes immutable versions and sets
/// its price, royalty and allowed verification modes. Ownership moves in two steps. Governance approves
/// the code of ZK verifiers: a model owner can only pin an approved verifier that proves the version's
/// weights, so "verified" in ZK mode never means "whatever the owner's contract says".
contract ModelRegistry is IModelRegistry, AccessControlDefaultAdminRules {
    uint256 public constant MAX_NAME_LENGTH = 64;
    /// @dev Mask of valid mode bits (modes 1..MODE_MAX).
    uint8 private constant _VALID_MODES = uint8(((1 << (MODE_MAX + 1)) - 1) & ~uint256(1));

    mapping(bytes32 modelId => Model) private _models;
    mapping(bytes32 modelId => mapping(uint32 version => ModelVersion)) private _versions;
    mapping(bytes32 codeHash => bool) private _approvedZkCode;

    constructor(address admin) AccessControlDefaultAdminRules(1 days, admin) {}

    modifier onlyModelOwner(bytes32 modelId) {
        address owner = _models[modelId].owner;
        if (owner == address(0)) revert RegistryUnknownModel(modelId);
        if (owner != msg.sender) revert RegistryNotOwner(modelId, msg.sender);
        _;
    }

    /// @inheritdoc IModelRegistry
    function registerModel(
        string calldata name,
        uint96 price,
        uint16 royaltyBps,
        uint8 modes,
        VersionInput calldata firstVersion
    ) external returns (bytes32 modelId) {
        uint256 nameLength = bytes(name).length;
        if (nameLength == 0 || nameLength > MAX_NAME_LENGTH) revert RegistryInvalidName(nameLength, MAX_NAME_LENGTH);
        _checkPricing(royaltyBps);
        _checkModes(modes);
        modelId = modelIdOf(msg.sender, name);
        Model storage model = _models[modelId];
        if (model.owner != address(0)) revert RegistryModelExists(modelId);

        model.owner = msg.sender;
        model.price = price;
        model.royaltyBps = royaltyBps;
        model.modes = modes;
        model.active = true;
        emit ModelRegistered(modelId, msg.sender, name, price, royaltyBps, modes);
        _publish(modelId, model, firstVersion);
    }

    /// @inheritdoc IModelRegistry
    function publishVersion(
        bytes32 modelId,
        VersionInput calldata version
    ) external onlyModelOwner(modelId) returns (uint32) {
        return _publish(modelId, _models[modelId], version);
    }

    /// @inheritdoc IModelRegistry
    function setPricing(bytes32 modelId, uint96 price, uint16 royaltyBps) external onlyModelOwner(modelId) {
        _checkPricing(royaltyBps);
        Model storage model = _models[modelId];
        model.price = price;
        model.royaltyBps = royaltyBps;
        emit PricingUpdated(modelId, price, royaltyBps);
    }

    /// @inheritdoc IModelRegistry
    function setModes(bytes32 modelId, uint8 modes) external onlyModelOwner(modelId) {
        _checkModes(modes);
        _models[modelId].modes = modes;
        emit ModesUpdated(modelId, modes);
    }

    /// @inheritdoc IModelRegistry
    function setActive(bytes32 modelId, bool active) external onlyModelOwner(modelId) {
        _models[modelId].active = active;
        emit ActiveUpdated(modelId, active);
    }

    /// @inheritdoc IModelRegistry
    function transferModelOwnership(bytes32 modelId, address newOwner) external onlyModelOwner(modelId) {
        _models[modelId].pendingOwner = newOwner;
        emit OwnershipTransferStarted(modelId, msg.sender, newOwner);
    }

    /// @inheritdoc IModelRegistry
    function acceptModelOwnership(bytes32 modelId) external {
        Model storage model = _models[modelId];
        if (model.owner == address(0)) revert RegistryUnknownModel(modelId);
        if (model.pendingOwner != msg.sender || msg.sender == address(0)) {
            revert RegistryNotPendingOwner(modelId, msg.sender);
        }
        address previous = model.owner;
        model.owner = msg.sender;
        model.pendingOwner = address(0);
        emit OwnershipTransferred(modelId, previous, msg.sender);
    }

    /// @inheritdoc IModelRegistry
    function setZkVerifierApproval(address zkVerifier, bool approved) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (zkVerifier.code.length == 0) revert RegistryInvalidZkVerifier(zkVerifier);
        bytes32 codeHash = zkVerifier.codehash;
        _approvedZkCode[codeHash] = approved;
        emit ZkVerifierCodeApprovalUpdated(codeHash, approved);
    }

    /// @inheritdoc IModelRegistry
    function isZkVerifierCodeApproved(bytes32 codeHash) external view returns (bool) {
        return _approvedZkCode[codeHash];
    }

    /// @inheritdoc IModelRegistry
    function getModel(bytes32 modelId) external view returns (Model memory model) {
        model = _models[modelId];
        if (model.owner == address(0)) revert RegistryUnknownModel(modelId);
    }

    /// @inheritdoc IModelRegistry
    function getVersion(bytes32 modelId, uint32 version) external view returns (ModelVersion memory v) {
        uint32 latest = _models[modelId].latestVersion;
        if (latest == 0) revert RegistryUnknownModel(modelId);
        if (version == 0 || version > latest) revert RegistryUnknownVersion(modelId, version);
        v = _versions[modelId][version];
    }

    /// @inheritdoc IModelRegistry
    function requestTerms(
        bytes32 modelId,
        uint32 version,
        uint8 mode
    ) external view returns (RequestTerms memory terms) {
        Model storage model = _models[modelId];
        uint96 price = model.price;
        uint16 royaltyBps = model.royaltyBps;
        uint8 modes = model.modes;
        bool active = model.active;
        uint32 latest = model.latestVersion;
        if (latest == 0) revert RegistryUnknownModel(modelId);
        if (!active) revert RegistryModelInactive(modelId);
        if (mode > MODE_MAX || (modes & VerityTypesLib.modeBit(mode)) == 0)
            revert RegistryModeNotAllowed(modelId, mode);
        if (version == 0) version = latest;
        else if (version > latest) revert RegistryUnknownVersion(modelId, version);
        ModelVersion storage v = _versions[modelId][version];
        terms = RequestTerms({
            price: price,
            royaltyBps: royaltyBps,
            version: version,
            weightsHash: v.weightsHash,
            verifier: address(0)
        });
        // ZK: the version's verifier is pinned into the request, so it is read here, once per request.
        if (mode == MODE_ZK) {
            address zkVerifier = v.zkVerifier;
            if (zkVerifier == address(0)) revert RegistryNoZkVerifier(modelId, version);
            bytes32 codeHash = zkVerifier.codehash;
            if (!_approvedZkCode[codeHash]) revert RegistryZkVerifierNotApproved(zkVerifier, codeHash);
            terms.verifier = zkVerifier;
        }
    }

    /// @inheritdoc IModelRegistry
    function zkVerifierOf(bytes32 modelId, uint32 version) external view returns (address) {
        return _versions[modelId][version].zkVerifier;
    }

    /// @inheritdoc IModelRegistry
    function ownerOf(bytes32 modelId) external view returns (address owner) {
        owner = _models[modelId].owner;
        if (owner == address(0)) revert RegistryUnknownModel(modelId);
    }

    /// @inheritdoc IModelRegistry
    function modelIdOf(address owner, string calldata name) public pure returns (bytes32) {
        return keccak256(abi.encode(owner, name));
    }

    function _publish(bytes32 modelId, Model storage model, VersionInput calldata input) private returns (uint32) {
        if (input.weightsHash == bytes32(0)) revert RegistryInvalidWeightsHash(input.weightsHash);
        if (bytes(input.uri).length == 0) revert RegistryInvalidVersionField("uri");
        if (bytes(input.runtime).length == 0) revert RegistryInvalidVersionField("runtime");
        if (bytes(input.encoding).length == 0) revert RegistryInvalidVersionField("encoding");
        if (input.zkVerifier != address(0)) _checkZkVerifier(input.zkVerifier, input.weightsHash);
        uint32 number = model.latestVersion + 1;
        model.latestVersion = number;
        _versions[modelId][number] = ModelVersion({
            weightsHash: input.weightsHash,
            zkVerifier: input.zkVerifier,
            publishedAt: uint64(block.timestamp),
            uri: input.uri,
            runtime: input.runtime,
            encoding: input.encoding
        });
        emit VersionPublished(
            modelId,
            number,
            input.weightsHash,
            input.zkVerifier,
            input.uri,
            input.runtime,
            input.encoding
        );
        return number;
    }

    /// @dev A version's ZK verifier: approved code that declares the version's weights.
    function _checkZkVerifier(address zkVerifier, bytes32 weightsHash) private view {
        if (zkVerifier.code.length == 0) revert RegistryInvalidZkVerifier(zkVerifier);
        bytes32 codeHash = zkVerifier.codehash;
        if (!_approvedZkCode[codeHash]) revert RegistryZkVerifierNotApproved(zkVerifier, codeHash);
        bytes32 declared = IGroth16ResultVerifier(zkVerifier).weightsHash();
        if (declared != weightsHash) revert RegistryZkVerifierWeightsMismatch(zkVerifier, declared, weightsHash);
    }

    function _checkPricing(uint16 royaltyBps) private pure {
        if (royaltyBps > BPS) revert RegistryInvalidRoyalty(royaltyBps);
    }

    function _checkModes(uint8 modes) private pure {
        if (modes == 0 || (modes & ~_VALID_MODES) != 0) revert RegistryInvalidModes(modes);
    }
}
