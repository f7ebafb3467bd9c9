import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** Payment token for local and test networks (ERC-20 with EIP-2612 permit, owner can mint). */
export default buildModule("PaymentToken", (m) => {
  const owner = m.getParameter("owner", m.getAccount(0));
  // Refused by the constructor on a chain that is not local unless this is true (see VerityTestToken).
  const iUnderstandThisIsNotForProduction = m.getParameter("iUnderstandThisIsNotForProduction", false);
  const token = m.contract("VerityTestToken", [owner, iUnderstandThisIsNotForProduction]);
  return { token };
});
