import { Command } from "commander";
import { Wallet, formatUnits } from "ethers";

import { CliError, addressArg, amountArg, bytes32Arg, connect, output, requestIdArg } from "./context.ts";
import { registrationDomain, signEnclaveRegistration } from "@verity-ai/sdk";
import { tdxEvidence, tdxOptions, tdxSummary } from "./tdx.ts";

export function operatorCommand(): Command {
  const op = new Command("operator").description("operators: stake, unstake, register an enclave, check status");

  op.command("stake")
    .description("stake tokens (approves the staking contract first if needed)")
    .argument("<amount>", "tokens to stake", amountArg("amount"))
    .action(async (amount: bigint, _o, cmd: Command) => {
      const ctx = await connect(cmd, true);
      const { token, staking, deployment } = ctx.client;
      if ((await token.allowance(ctx.address!, deployment.staking)) < amount) {
        await (await token.approve(deployment.staking, amount)).wait();
      }
      const receipt = await (await staking.stake(amount)).wait();
      const s = await staking.stakeOf(ctx.address!);
      output(
        ctx,
        { operator: ctx.address, staked: s.staked, tx: receipt!.hash },
        () => `staked ${formatUnits(amount, 18)}; total ${formatUnits(s.staked, 18)}`,
      );
    });

  op.command("unstake")
    .description("start unbonding (the stake stays slashable until withdrawn)")
    .argument("<amount>", "tokens to unstake", amountArg("amount"))
    .action(async (amount: bigint, _o, cmd: Command) => {
      const ctx = await connect(cmd, true);
      const receipt = await (await ctx.client.staking.requestUnstake(amount)).wait();
      const s = await ctx.client.staking.stakeOf(ctx.address!);
      output(
        ctx,
        { operator: ctx.address, unbonding: s.unbonding, availableAt: Number(s.unbondingEnd), tx: receipt!.hash },
        () =>
          `unbonding ${formatUnits(s.unbonding, 18)} until ${new Date(Number(s.unbondingEnd) * 1000).toISOString()}`,
      );
    });

  op.command("withdraw")
    .description("withdraw stake whose unbonding period has passed")
    .action(async (_o, cmd: Command) => {
      const ctx = await connect(cmd, true);
      const s = await ctx.client.staking.stakeOf(ctx.address!);
      const receipt = await (await ctx.client.staking.withdrawUnstaked()).wait();
      output(
        ctx,
        { operator: ctx.address, withdrawn: s.unbonding, tx: receipt!.hash },
        () => `withdrew ${formatUnits(s.unbonding, 18)}`,
      );
    });

  tdxOptions(op.command("register-enclave"))
    .description("register the enclave signing key in VERITY_ENCLAVE_KEY with its attestation report")
    .option(
      "--measurement <hash>",
      "code measurement of the enclave (with --tdx: read from the quote)",
      bytes32Arg("--measurement"),
    )
    .option("--report <hex>", "attestation report bytes (development verifier)", "0x")
    .action(async (o, cmd: Command) => {
      if (!o.tdx && o.measurement === undefined)
        throw new CliError("pass --measurement <hash>, or --tdx to attest with a TDX quote");
      const key = process.env.VERITY_ENCLAVE_KEY;
      if (!key || !/^(0x)?[0-9a-fA-F]{64}$/.test(key))
        throw new CliError("set VERITY_ENCLAVE_KEY to the enclave's 32-byte hex key (a development software key)");
      const enclave = new Wallet(key).address;
      const ctx = await connect(cmd, true);
      // Proof of possession: the enclave key signs its registration for this operator on this verifier.
      const domain = registrationDomain(
        (await ctx.client.provider.getNetwork()).chainId,
        await ctx.client.tee.getAddress(),
      );
      const keySignature = await signEnclaveRegistration(new Wallet(key), domain, ctx.address!);
      const tdx = o.tdx ? await tdxEvidence(ctx, enclave, o) : undefined;
      const [measurement, report] = tdx ? [tdx.measurement, tdx.report] : [o.measurement, o.report];
      const receipt = await (await ctx.client.tee.registerEnclave(enclave, measurement, report, keySignature)).wait();
      const { report: _r, ...shown } = tdx ?? {};
      output(
        ctx,
        { operator: ctx.address, enclave, measurement, ...shown, tx: receipt!.hash },
        () => `registered enclave ${enclave} for ${ctx.address}${tdx ? `\n${tdxSummary(tdx)}` : ""}`,
      );
    });

  op.command("accept")
    .description("accept a request assigned to you: you commit to deliver by its deadline or be slashed")
    .argument("<requestId>", "request id (decimal or 0x-hex)", requestIdArg)
    .action(async (requestId: bigint, _o, cmd: Command) => {
      const ctx = await connect(cmd, true);
      const { request } = await ctx.client.readResult(requestId);
      const receipt = await (await ctx.client.coordinator.acceptRequest(request)).wait();
      output(
        ctx,
        {
          requestId: `0x${requestId.toString(16).padStart(64, "0")}`,
          deadline: Number(request.deadline),
          tx: receipt!.hash,
        },
        () => `accepted request ${requestId}; deliver by ${new Date(Number(request.deadline) * 1000).toISOString()}`,
      );
    });

  op.command("status")
    .description("stake, eligibility, earnings and claimable slashed funds of an operator")
    .argument("[address]", "operator (default: your key's address)", addressArg("address"))
    .action(async (address: string | undefined, _o, cmd: Command) => {
      const ctx = await connect(cmd, !address);
      const who = address ?? ctx.address!;
      const { staking, coordinator } = ctx.client;
      const [s, eligible, minStake, earnings] = await Promise.all([
        staking.stakeOf(who),
        staking.isEligible(who),
        staking.minStake(),
        coordinator.balanceOf(who),
      ]);
      const status = {
        operator: who,
        staked: s.staked,
        unbonding: s.unbonding,
        unbondingEnd: Number(s.unbondingEnd),
        jailed: s.jailed,
        eligible,
        minStake,
        balance: earnings,
      };
      output(ctx, status, () =>
        [
          `operator ${who}: ${eligible ? "eligible" : "NOT eligible"}${s.jailed ? " (jailed)" : ""}`,
          `  staked ${formatUnits(s.staked, 18)} (minimum ${formatUnits(minStake, 18)}), unbonding ${formatUnits(s.unbonding, 18)}`,
          `  coordinator balance (earnings) ${formatUnits(earnings, 18)}`,
        ].join("\n"),
      );
    });
  return op;
}
