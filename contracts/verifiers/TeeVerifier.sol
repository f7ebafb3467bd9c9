// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

import {IAttestationVerifier} from "../interfaces/IAttestationVerifier.sol";
import {IOperatorStaking} from "../interfaces/IOperatorStaking.sol";
import {IResultVerifier} from "../interfaces/IResultVerifier.sol";
import {ITeeVerifier} from "../interfaces/ITeeVerifier.sol";
import {MODE_TEE, ResultClaim, SLASH_EQUIVOCATION} from "../libraries/VerityTypes.sol";

/// @title TeeVerifier
/// @notice TEE mode. Operators register enclave signing keys with an attestation report checked by a
/// pluggable `IAttestationVerifier`; a result is an EIP-712 signature by an active enclave key of its
/// operator over (request id, model id, weights hash, input hash, output hash). The EIP-712 domain is
/// the coordinator's (name "Verity", version "1", chain id, coordinator address), so a signature
/// cannot be replayed on another request, chain or deployment. A result is accepted only while the key's
/// measurement is approved by the current attestation verifier, the key was registered under it, and
/// the registration's attestation has not expired (its operator re-registers the key with a fresh report).
contract TeeVerifier is ITeeVerifier, AccessControlDefaultAdminRules {
    bytes32 public constant RESULT_TYPEHASH = keccak256(
        "InferenceResult(uint256 requestId,bytes32 modelId,bytes32 weightsHash,bytes32 inputHash,bytes32 outputHash)"
    );
    bytes32 private constant _DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );
    bytes32 public constant REGISTRATION_TYPEHASH = keccak256(
        "EnclaveRegistration(address operator,address enclaveKey)"
    );
    bytes32 private constant _NAME_HASH = keccak256("Verity");
    bytes32 private constant _VERSION_HASH = keccak256("1");

    address public immutable coordinator;
    IOperatorStaking public immutable staking;
    uint256 private immutable _cachedChainId;
    bytes32 private immutable _cachedDomainSeparator;
    bytes32 private immutable _cachedRegistrationDomain;

    /// @dev Read together by every result check: the attestation verifier and its generation.
    IAttestationVerifier private _attestationVerifier;
    uint32 private _attestationEpoch;
    uint96 private _equivocationPenalty;

    mapping(address enclaveKey => Enclave) private _enclaves;

    constructor(
        address coordinator_,
        IOperatorStaking staking_,
        IAttestationVerifier attestationVerifier_,
        address admin,
        uint256 equivocationPenalty_
    ) AccessControlDefaultAdminRules(1 days, admin) {
        coordinator = coordinator_;
        staking = staking_;
        _cachedChainId = block.chainid;
        _cachedDomainSeparator = _buildDomainSeparator();
        _cachedRegistrationDomain = _buildRegistrationDomain();
        _setAttestationVerifier(attestationVerifier_);
        _setEquivocationPenalty(equivocationPenalty_);
    }

    // ---------------------------------------------------------------- enclaves

    /// @inheritdoc ITeeVerifier
    function registerEnclave(
        address enclaveKey,
        bytes32 measurement,
        bytes calldata report,
        bytes calldata keySignature
    ) external {
        if (enclaveKey == address(0)) revert TeeInvalidEnclaveKey(enclaveKey);
        Enclave storage e = _enclaves[enclaveKey];
        address owner = e.operator;
        if (owner != address(0)) {
            // Only its own operator registers a key again (re-attestation), and never a revoked one:
            // revocation by governance or for equivocation is final.
            if (owner != msg.sender) revert TeeEnclaveAlreadyRegistered(enclaveKey, owner);
            if (!e.active) revert TeeEnclaveNotActive(enclaveKey);
        }
        (address signer, , ) = ECDSA.tryRecoverCalldata(registrationDigest(msg.sender, enclaveKey), keySignature);
        if (signer != enclaveKey) revert TeeKeyPossessionNotProven(enclaveKey, signer);
        (bool accepted, uint64 validUntil) = _attestationVerifier.verifyAttestation(
            msg.sender,
            enclaveKey,
            measurement,
            report
        );
        if (!accepted) revert TeeAttestationRejected(enclaveKey, measurement);
        _enclaves[enclaveKey] = Enclave({
            operator: msg.sender,
            validUntil: validUntil > type(uint40).max ? type(uint40).max : uint40(validUntil),
            active: true,
            equivocated: false,
            attestationEpoch: _attestationEpoch,
            measurement: measurement
        });
        emit EnclaveRegistered(msg.sender, enclaveKey, measurement, validUntil);
    }

    /// @inheritdoc ITeeVerifier
    function revokeEnclave(address enclaveKey) external {
        Enclave storage e = _enclaves[enclaveKey];
        address operator = e.operator;
        if (operator == address(0)) revert TeeUnknownEnclave(enclaveKey);
        if (msg.sender != operator && !hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert TeeNotRevoker(msg.sender, enclaveKey);
        }
        if (!e.active) revert TeeEnclaveNotActive(enclaveKey);
        e.active = false;
        emit EnclaveRevoked(operator, enclaveKey, msg.sender);
    }

    // ---------------------------------------------------------------- verification

    /// @inheritdoc IResultVerifier
    function verify(ResultClaim calldata claim, bytes calldata proof) external view returns (bytes32 record) {
        address signer = _recover(claim, proof);
        if (signer == address(0)) revert TeeInvalidSignature(claim.requestId);
        Enclave storage e = _enclaves[signer];
        address operator = e.operator;
        // Only a registered key is ever active: one test on the paid path serves both errors.
        if (!e.active) {
            if (operator == address(0)) revert TeeUnknownEnclave(signer);
            revert TeeEnclaveNotActive(signer);
        }
        if (operator != claim.operator) revert TeeEnclaveOperatorMismatch(signer, claim.operator, operator);
        // Trust ends the moment governance withdraws it: a replaced attestation verifier or a revoked
        // measurement stops payment for every key it vouched for, without revoking keys one by one.
        if (e.attestationEpoch != _attestationEpoch) revert TeeAttestationVerifierReplaced(signer);
        // In the slot already read: the registration's evidence must still be current.
        uint40 validUntil = e.validUntil;
        if (block.timestamp >= validUntil) revert TeeAttestationExpired(signer, validUntil);
        bytes32 measurement = e.measurement;
        if (!_attestationVerifier.isMeasurementApproved(measurement)) revert TeeMeasurementRevoked(signer, measurement);
        return bytes32(uint256(uint160(signer)));
    }

    /// @inheritdoc IResultVerifier
    function mode() external pure returns (uint8) {
        return MODE_TEE;
    }

    /// @inheritdoc ITeeVerifier
    function reportEquivocation(
        ResultClaim calldata a,
        bytes calldata signatureA,
        ResultClaim calldata b,
        bytes calldata signatureB
    ) external returns (uint256 slashed) {
        if (a.requestId != b.requestId || a.outputHash == b.outputHash) {
            revert TeeNotEquivocation(a.requestId, b.requestId);
        }
        address signerA = _recover(a, signatureA);
        address signerB = _recover(b, signatureB);
        if (signerA == address(0)) revert TeeInvalidSignature(a.requestId);
        if (signerB == address(0)) revert TeeInvalidSignature(b.requestId);
        if (signerA != signerB) revert TeeDifferentSigners(signerA, signerB);
        Enclave storage e = _enclaves[signerA];
        address operator = e.operator;
        if (operator == address(0)) revert TeeUnknownEnclave(signerA);
        // Revoking an enclave (by its operator or governance) does not erase what it signed: only a
        // past punishment does.
        if (e.equivocated) revert TeeEnclaveAlreadyPunished(signerA);
        e.equivocated = true;
        if (e.active) {
            e.active = false;
            emit EnclaveRevoked(operator, signerA, msg.sender);
        }
        // The whole penalty goes to the treasury: a reward to the reporter could be collected by the
        // offender itself, front-running honest reporters from a second address.
        slashed = staking.slash(operator, _equivocationPenalty, SLASH_EQUIVOCATION, address(0), true);
        emit EquivocationReported(a.requestId, signerA, operator, msg.sender, a.outputHash, b.outputHash, slashed);
    }

    // ---------------------------------------------------------------- governance

    function setAttestationVerifier(IAttestationVerifier verifier) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setAttestationVerifier(verifier);
    }

    function setEquivocationPenalty(uint256 penalty) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setEquivocationPenalty(penalty);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ITeeVerifier
    function getEnclave(address enclaveKey) external view returns (Enclave memory) {
        return _enclaves[enclaveKey];
    }

    /// @inheritdoc ITeeVerifier
    function registrationDigest(address operator, address enclaveKey) public view returns (bytes32) {
        bytes32 domain = block.chainid == _cachedChainId ? _cachedRegistrationDomain : _buildRegistrationDomain();
        return
            MessageHashUtils.toTypedDataHash(
                domain,
                keccak256(abi.encode(REGISTRATION_TYPEHASH, operator, enclaveKey))
            );
    }

    /// @inheritdoc ITeeVerifier
    function resultDigest(ResultClaim calldata claim) public view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                RESULT_TYPEHASH,
                claim.requestId,
                claim.modelId,
                claim.weightsHash,
                claim.inputHash,
                claim.outputHash
            )
        );
        return MessageHashUtils.toTypedDataHash(domainSeparator(), structHash);
    }

    /// @inheritdoc ITeeVerifier
    function recoverSigner(ResultClaim calldata claim, bytes calldata signature) external view returns (address) {
        return _recover(claim, signature);
    }

    /// @notice The EIP-712 domain separator results are signed under (the coordinator's domain).
    function domainSeparator() public view returns (bytes32) {
        return block.chainid == _cachedChainId ? _cachedDomainSeparator : _buildDomainSeparator();
    }

    function attestationVerifier() external view returns (IAttestationVerifier) {
        return _attestationVerifier;
    }

    /// @notice Generation of the attestation verifier: bumped each time governance replaces it.
    function attestationEpoch() external view returns (uint256) {
        return _attestationEpoch;
    }

    function equivocationPenalty() external view returns (uint256) {
        return _equivocationPenalty;
    }

    // ---------------------------------------------------------------- internal

    function _recover(ResultClaim calldata claim, bytes calldata signature) private view returns (address signer) {
        (signer, , ) = ECDSA.tryRecoverCalldata(resultDigest(claim), signature);
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(_DOMAIN_TYPEHASH, _NAME_HASH, _VERSION_HASH, block.chainid, coordinator));
    }

    /// @dev The domain enclave keys sign their registration under: this verifier's own.
    function _buildRegistrationDomain() private view returns (bytes32) {
        return keccak256(abi.encode(_DOMAIN_TYPEHASH, _NAME_HASH, _VERSION_HASH, block.chainid, address(this)));
    }

    function _setAttestationVerifier(IAttestationVerifier verifier) private {
        if (address(verifier) == address(0)) revert TeeInvalidAttestationVerifier(address(verifier));
        uint32 epoch = _attestationEpoch;
        // The first verifier (set by the constructor) is generation 0; each replacement starts a new one.
        if (address(_attestationVerifier) != address(0)) ++epoch;
        _attestationVerifier = verifier;
        _attestationEpoch = epoch;
        emit AttestationVerifierUpdated(address(verifier), epoch);
    }

    function _setEquivocationPenalty(uint256 penalty) private {
        if (penalty == 0 || penalty > type(uint96).max) revert TeePenaltyOutOfRange(penalty, type(uint96).max);
        _equivocationPenalty = uint96(penalty);
        emit EquivocationPenaltyUpdated(penalty);
    }
}
