import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import InferenceCoordinatorModule from "./InferenceCoordinator.ts";
import { Mode } from "@verity-ai/sdk";

/**
 * TEE mode: the enclave registry and EIP-712 result verifier, with the DEVELOPMENT attestation
 * verifier (accepts keys whose measurement governance approved; no quote verification).
 */
export default buildModule("TeeVerifier", (m) => {
  const { coordinator, staking } = m.useModule(InferenceCoordinatorModule);
  const admin = m.getParameter("admin", m.getAccount(0));
  const approvedMeasurement = m.getParameter(
    "approvedMeasurement",
    "0x5665726974792d6465762d656e636c6176652d76310000000000000000000000",
  );
  const equivocationPenalty = m.getParameter("equivocationPenalty", 1_000n * 10n ** 18n);

  // Refused by the constructor on a chain that is not local unless this is true (see the contract).
  const iUnderstandThisIsNotForProduction = m.getParameter("iUnderstandThisIsNotForProduction", false);
  const attestation = m.contract("DevApprovedMeasurementAttestationVerifier", [
    admin,
    [approvedMeasurement],
    iUnderstandThisIsNotForProduction,
  ]);
  const tee = m.contract("TeeVerifier", [coordinator, staking, attestation, admin, equivocationPenalty]);
  const slasherRole = m.staticCall(staking, "SLASHER_ROLE", [], 0, { id: "SlasherRole" });
  m.call(staking, "grantRole", [slasherRole, tee], { id: "GrantSlasherToTee" });
  m.call(coordinator, "setVerifier", [Mode.TEE, tee], { id: "SetTeeVerifier" });
  return { attestation, tee };
});
