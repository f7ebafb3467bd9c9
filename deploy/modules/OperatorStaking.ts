import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import PaymentTokenModule from "./PaymentToken.ts";

/** Operator stake, unbonding and slashing, in the payment token. */
export default buildModule("OperatorStaking", (m) => {
  const { token } = m.useModule(PaymentTokenModule);
  const admin = m.getParameter("admin", m.getAccount(0));
  const treasury = m.getParameter("treasury", m.getAccount(0));
  const minStake = m.getParameter("minStake", 1_000n * 10n ** 18n);
  // Above the coordinator's maxTimeout (7 days) plus its evidence window (1 day): stake backing a job or
  // evidence against it cannot leave before both are settled.
  const unbondingPeriod = m.getParameter("unbondingPeriod", 9n * 24n * 3600n);
  const beneficiaryShareBps = m.getParameter("beneficiaryShareBps", 5_000n);
  const staking = m.contract("OperatorStaking", [
    token,
    admin,
    treasury,
    minStake,
    unbondingPeriod,
    beneficiaryShareBps,
  ]);
  return { token, staking };
});
