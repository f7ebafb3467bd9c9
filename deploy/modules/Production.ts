import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { Interface } from "ethers";

import { Mode } from "@verity-ai/sdk";

/**
 * The protocol for a real chain: registry, staking, coordinator and the TEE verifier, paid in an EXISTING
 * ERC-20 (`paymentToken`, e.g. a 6-decimal stablecoin; nothing is minted), with the DCAP quote verifier
 * `TdxAttestationVerifier` pinned to the Intel SGX Root CA (`intelRootCertificate`, DER) as the TEE
 * attestation verifier. Amounts are in the token's own units. No parameter that decides money or trust
 * has a default: every one comes from the parameters file (see deploy/parameters/production.template.json).
 *
 * The wiring is the local modules' (InferenceCoordinator, OperatorStaking, TeeVerifier) with the token and
 * the attestation verifier swapped: Ignition modules take no futures as arguments and the local ones pin
 * the mintable test token, so this module states the same calls again under its own future ids.
 */
/** The ERC-20 functions the protocol and its users call on the existing payment token (no bytecode: never deployed). */
const ERC20_ARTIFACT = {
  _format: "hh3-artifact-1",
  contractName: "IERC20Metadata",
  sourceName: "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol",
  abi: JSON.parse(
    new Interface([
      "function name() view returns (string)",
      "function symbol() view returns (string)",
      "function decimals() view returns (uint8)",
      "function totalSupply() view returns (uint256)",
      "function balanceOf(address) view returns (uint256)",
      "function allowance(address, address) view returns (uint256)",
      "function approve(address, uint256) returns (bool)",
      "function transfer(address, uint256) returns (bool)",
      "function transferFrom(address, address, uint256) returns (bool)",
      "event Transfer(address indexed from, address indexed to, uint256 value)",
      "event Approval(address indexed owner, address indexed spender, uint256 value)",
    ]).formatJson(),
  ),
  bytecode: "0x",
  deployedBytecode: "0x",
  linkReferences: {},
  deployedLinkReferences: {},
};

export default buildModule("Production", (m) => {
  const paymentToken = m.getParameter<string>("paymentToken");
  // The deploying account is the first admin: the setup calls below need the role. At the end the module
  // gives the operational roles to `governance` (the deployer renounces them) and begins handing every
  // contract's admin role to it; governance accepts after the 1-day delay (acceptDefaultAdminTransfer).
  const admin = m.getAccount(0);
  const governance = m.getParameter<string>("governance");
  const treasury = m.getParameter<string>("treasury");
  const protocolFeeBps = m.getParameter<bigint>("protocolFeeBps");
  const minStake = m.getParameter<bigint>("minStake");
  const unbondingPeriod = m.getParameter<bigint>("unbondingPeriod");
  const beneficiaryShareBps = m.getParameter<bigint>("beneficiaryShareBps");
  const missedDeadlinePenalty = m.getParameter<bigint>("missedDeadlinePenalty");
  const equivocationPenalty = m.getParameter<bigint>("equivocationPenalty");
  const minTimeout = m.getParameter<bigint>("minTimeout");
  const maxTimeout = m.getParameter<bigint>("maxTimeout");
  const intelRootCertificate = m.getParameter<string>("intelRootCertificate");
  const acceptedTcbStatuses = m.getParameter<bigint>("acceptedTcbStatuses");

  const token = m.contractAt("IERC20Metadata", ERC20_ARTIFACT, paymentToken, { id: "PaymentToken" });
  const registry = m.contract("ModelRegistry", [admin]);
  const staking = m.contract("OperatorStaking", [
    paymentToken,
    admin,
    treasury,
    minStake,
    unbondingPeriod,
    beneficiaryShareBps,
  ]);
  const coordinator = m.contract("InferenceCoordinator", [
    paymentToken,
    registry,
    staking,
    admin,
    treasury,
    protocolFeeBps,
  ]);
  m.call(coordinator, "setMissedDeadlinePenalty", [missedDeadlinePenalty]);
  const slasherRole = m.staticCall(staking, "SLASHER_ROLE", [], 0, { id: "SlasherRole" });
  m.call(staking, "grantRole", [slasherRole, coordinator], { id: "GrantSlasherToCoordinator" });
  const lockerRole = m.staticCall(staking, "LOCKER_ROLE", [], 0, { id: "LockerRole" });
  const grantLocker = m.call(staking, "grantRole", [lockerRole, coordinator], { id: "GrantLockerToCoordinator" });
  m.call(coordinator, "setTimeouts", [minTimeout, maxTimeout], { after: [grantLocker] });

  const x509 = m.library("TdxX509");
  const collateral = m.library("TdxCollateral");
  const attestation = m.contract("TdxAttestationVerifier", [admin, intelRootCertificate, acceptedTcbStatuses], {
    libraries: { TdxX509: x509, TdxCollateral: collateral },
  });
  const tee = m.contract("TeeVerifier", [coordinator, staking, attestation, admin, equivocationPenalty]);
  m.call(staking, "grantRole", [slasherRole, tee], { id: "GrantSlasherToTee" });
  const setTee = m.call(coordinator, "setVerifier", [Mode.TEE, tee], { id: "SetTeeVerifier" });

  // Hand-over: operational roles straight to governance, the deployer's renounced; admin transfers begun.
  const pauserRole = m.staticCall(coordinator, "PAUSER_ROLE", [], 0, { id: "PauserRole" });
  const grantPauser = m.call(coordinator, "grantRole", [pauserRole, governance], { id: "GrantPauserToGovernance" });
  const renouncePauser = m.call(coordinator, "renounceRole", [pauserRole, admin], {
    id: "DeployerRenouncesPauser",
    after: [grantPauser],
  });
  const measurementRole = m.staticCall(attestation, "MEASUREMENT_MANAGER_ROLE", [], 0, { id: "MeasurementRole" });
  const grantMeasurements = m.call(attestation, "grantRole", [measurementRole, governance], {
    id: "GrantMeasurementManagerToGovernance",
  });
  const renounceMeasurements = m.call(attestation, "renounceRole", [measurementRole, admin], {
    id: "DeployerRenouncesMeasurementManager",
    after: [grantMeasurements],
  });
  const setup = [setTee, renouncePauser, renounceMeasurements];
  for (const [name, contract] of [
    ["Registry", registry],
    ["Staking", staking],
    ["Coordinator", coordinator],
    ["Attestation", attestation],
    ["Tee", tee],
  ] as const) {
    m.call(contract, "beginDefaultAdminTransfer", [governance], { id: `BeginAdminTransfer${name}`, after: setup });
  }
  return { token, registry, staking, coordinator, attestation, tee };
});
