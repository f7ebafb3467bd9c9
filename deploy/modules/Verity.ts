import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import InferenceCoordinatorModule from "./InferenceCoordinator.ts";
import TeeVerifierModule from "./TeeVerifier.ts";

/** The whole protocol: token, registry, staking, coordinator and the TEE verifier, wired together. */
export default buildModule("Verity", (m) => {
  const { token, staking, registry, coordinator } = m.useModule(InferenceCoordinatorModule);
  const { attestation, tee } = m.useModule(TeeVerifierModule);
  return { token, staking, registry, coordinator, attestation, tee };
});
