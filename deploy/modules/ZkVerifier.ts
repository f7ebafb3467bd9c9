import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import VerityModule from "./Verity.ts";
import { Mode } from "@verity-ai/sdk";

/**
 * ZK mode on top of the whole protocol: the generated Groth16 verifier of the iris circuit, approved
 * in the registry (a model owner pins it in a version's `zkVerifier`), the generated Poseidon contract for disclosure checks,
 * and the ZkVerifier, installed as the coordinator's mode-2 verifier.
 */
export default buildModule("ZkVerifier", (m) => {
  const { token, staking, registry, coordinator, attestation, tee } = m.useModule(VerityModule);
  const irisGroth16 = m.contract("IrisGroth16Verifier");
  const poseidon = m.contract("PoseidonT6");
  const zk = m.contract("ZkVerifier", [registry, poseidon]);
  // Governance approves the generated verifier's code, so model owners may pin it in a version.
  m.call(registry, "setZkVerifierApproval", [irisGroth16, true], { id: "ApproveIrisGroth16" });
  m.call(coordinator, "setVerifier", [Mode.ZK, zk], { id: "SetZkVerifier" });
  return { token, staking, registry, coordinator, attestation, tee, irisGroth16, poseidon, zk };
});
