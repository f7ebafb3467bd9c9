import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import ModelRegistryModule from "./ModelRegistry.ts";
import OperatorStakingModule from "./OperatorStaking.ts";

/**
 * Escrow and request lifecycle; allowed to lock the missed-deadline penalty in an accepting operator's
 * stake and to slash it. `setTimeouts` runs after the locker role is granted, so staking keeps its
 * unbonding period above `maxTimeout` plus the evidence window from then on.
 */
export default buildModule("InferenceCoordinator", (m) => {
  const { token, staking } = m.useModule(OperatorStakingModule);
  const { registry } = m.useModule(ModelRegistryModule);
  const admin = m.getParameter("admin", m.getAccount(0));
  const treasury = m.getParameter("treasury", m.getAccount(0));
  const protocolFeeBps = m.getParameter("protocolFeeBps", 500n);
  const missedDeadlinePenalty = m.getParameter("missedDeadlinePenalty", 100n * 10n ** 18n);
  const minTimeout = m.getParameter("minTimeout", 60n);
  const maxTimeout = m.getParameter("maxTimeout", 7n * 24n * 3600n);

  const coordinator = m.contract("InferenceCoordinator", [token, registry, staking, admin, treasury, protocolFeeBps]);
  m.call(coordinator, "setMissedDeadlinePenalty", [missedDeadlinePenalty]);
  const slasherRole = m.staticCall(staking, "SLASHER_ROLE", [], 0, { id: "SlasherRole" });
  m.call(staking, "grantRole", [slasherRole, coordinator], { id: "GrantSlasherToCoordinator" });
  const lockerRole = m.staticCall(staking, "LOCKER_ROLE", [], 0, { id: "LockerRole" });
  const grantLocker = m.call(staking, "grantRole", [lockerRole, coordinator], { id: "GrantLockerToCoordinator" });
  m.call(coordinator, "setTimeouts", [minTimeout, maxTimeout], { after: [grantLocker] });
  return { token, staking, registry, coordinator };
});
