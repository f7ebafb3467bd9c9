import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** Permissionless model registry: no parameters. */
export default buildModule("ModelRegistry", (m) => {
  const registry = m.contract("ModelRegistry");
  return { registry };
});
