import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** Permissionless model registry; its admin approves the ZK verifier code versions may pin. */
export default buildModule("ModelRegistry", (m) => {
  const admin = m.getParameter("admin", m.getAccount(0));
  const registry = m.contract("ModelRegistry", [admin]);
  return { registry };
});
