import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import ModelRegistryModule from "./ModelRegistry.ts";
import OperatorStakingModule from "./OperatorStaking.ts";

/** Escrow and request lifecycle; allowed to slash operators that miss an assigned deadline. */
export default buildModule("InferenceCoordinator", (m) => {
  const { token, staking } = m.useModule(OperatorStakingModule);
  const { registry } = m.useModule(ModelRegistryModule);
  const admin = m.getParameter("admin", m.getAccount(0));
  const treasury = m.getParameter("treasury", m.getAccount(0));
  const protocolFeeBps = m.getParameter("protocolFeeBps", 500n);
  const missedDeadlinePenalty = m.getParameter("missedDeadlinePenalty", 100n * 10n ** 18n);

  const coordinator = m.contract("InferenceCoordinator", [token, registry, staking, admin, treasury, protocolFeeBps]);
  m.call(coordinator, "setMissedDeadlinePenalty", [missedDeadlinePenalty]);
  const slasherRole = m.staticCall(staking, "SLASHER_ROLE", [], 0, { id: "SlasherRole" });
  m.call(staking, "grantRole", [slasherRole, coordinator], { id: "GrantSlasherToCoordinator" });
  return { token, staking, registry, coordinator };
});
