import { Command } from "commander";
import { createInterface } from "node:readline/promises";

import { Wallet } from "ethers";

import { CliError, addressArg, amountArg, bytes32Arg, connect, hexId, output, requestIdArg, units } from "./context.ts";
import type { AmountText, Context } from "./context.ts";
import {
  approvedMeasurements,
  operatorStatus,
  planUnstake,
  registrationDomain,
  signEnclaveRegistration,
} from "@verity-ai/sdk";
import type { EnclaveView } from "@verity-ai/sdk";
import { tdxEvidence, tdxOptions, tdxSummary } from "./tdx.ts";

export function operatorCommand(): Command {
  const op = new Command("operator").description("operators: stake, unstake, register an enclave, check status");

  op.command("stake")
    .description("stake tokens (approves the staking contract first if needed)")
    .argument("<amount>", "tokens to stake", amountArg("amount"))
    .action(async (text: AmountText, _o, cmd: Command) => {
      const ctx = await connect(cmd, true);
      const { parse, format } = await units(ctx);
      const amount = parse(text);
      const { token, staking, deployment } = ctx.client;
      if ((await token.allowance(ctx.address!, deployment.staking)) < amount) {
        await (await token.approve(deployment.staking, amount)).wait();
      }
      const receipt = await (await staking.stake(amount)).wait();
      const s = await staking.stakeOf(ctx.address!);
      output(
        ctx,
        { operator: ctx.address, staked: s.staked, tx: receipt!.hash },
        () => `staked ${format(amount)}; total ${format(s.staked)}`,
      );
    });

  op.command("unstake")
    .description(
      "start unbonding (the stake stays slashable until withdrawn); asks first when it costs you eligibility or time",
    )
    .argument("<amount>", "tokens to unstake", amountArg("amount"))
    .option("--yes", "accept the costs named without asking (needed when not on a terminal)")
    .action(async (text: AmountText, o: { yes?: boolean }, cmd: Command) => {
      const ctx = await connect(cmd, true);
      const { parse, format } = await units(ctx);
      const amount = parse(text);
      const status = await operatorStatus(ctx.client, ctx.address!);
      const plan = planUnstake(status, amount, format);
      if (!plan.possible) throw new CliError(plan.reason!);
      if (plan.costs.length > 0 && !o.yes) await confirm(ctx, plan.costs);
      const receipt = await (await ctx.client.staking.requestUnstake(amount)).wait();
      const s = await ctx.client.staking.stakeOf(ctx.address!);
      output(
        ctx,
        {
          operator: ctx.address,
          staked: s.staked,
          unbonding: s.unbonding,
          availableAt: Number(s.unbondingEnd),
          tx: receipt!.hash,
        },
        () =>
          `unbonding ${format(s.unbonding)} until ${new Date(Number(s.unbondingEnd) * 1000).toISOString()}; ${format(s.staked)} stays staked`,
      );
    });

  op.command("withdraw")
    .description("withdraw stake whose unbonding period has passed")
    .action(async (_o, cmd: Command) => {
      const ctx = await connect(cmd, true);
      const s = await ctx.client.staking.stakeOf(ctx.address!);
      const receipt = await (await ctx.client.staking.withdrawUnstaked()).wait();
      const { format } = await units(ctx);
      output(
        ctx,
        { operator: ctx.address, withdrawn: s.unbonding, tx: receipt!.hash },
        () => `withdrew ${format(s.unbonding)}`,
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
    .description("stake, reserved stake, eligibility, enclaves, accepted jobs and earnings of an operator")
    .argument("[address]", "operator (default: your key's address)", addressArg("address"))
    .action(async (address: string | undefined, _o, cmd: Command) => {
      const ctx = await connect(cmd, !address);
      const who = address ?? ctx.address!;
      const st = await operatorStatus(ctx.client, who);
      const { format } = await units(ctx);
      const date = (t: number) => new Date(t * 1000).toISOString();
      output(
        ctx,
        {
          ...st,
          enclaves: st.enclaves,
          acceptedJobs: st.acceptedJobs.map((j) => ({ ...j, requestId: hexId(j.requestId) })),
        },
        () =>
          [
            `operator ${who}: ${st.eligible ? "eligible" : "NOT eligible"}${st.jailed ? " (jailed)" : ""}`,
            `  staked ${format(st.staked)} (minimum ${format(st.minStake)}), of which ${format(st.locked)} reserved for accepted requests`,
            st.unbonding > 0n
              ? `  unbonding ${format(st.unbonding)}, withdrawable from ${date(st.unbondingEnd)}`
              : "  nothing unbonding",
            `  coordinator balance (earnings) ${format(st.balance)}`,
            `  enclaves (${st.enclaves.length}):`,
            ...st.enclaves.map(
              (e) =>
                `    ${e.enclaveKey}  measurement ${e.measurement}  ${e.accepted ? "accepted" : `NOT accepted (${enclaveProblem(e)})`}  ${e.validUntil === undefined ? "no expiry" : `valid until ${date(e.validUntil)}`}`,
            ),
            `  accepted jobs not yet delivered (${st.acceptedJobs.length}):`,
            ...st.acceptedJobs.map(
              (j) =>
                `    ${hexId(j.requestId)}  model ${j.modelId}  fee ${format(j.fee)}  deadline ${date(j.deadline)}`,
            ),
          ].join("\n"),
      );
    });

  op.command("measurements")
    .description("the enclave measurements the TEE attestation verifier approves now (register only these)")
    .action(async (_o, cmd: Command) => {
      const ctx = await connect(cmd, false);
      const list = await approvedMeasurements(ctx.client);
      output(ctx, list, () =>
        [
          `attestation verifier ${list.verifier} (${list.kind === "tdx" ? "Intel TDX DCAP quotes" : "DEVELOPMENT: claimed measurements, local chains only"})`,
          list.measurements.length === 0
            ? "  no measurement is approved: no enclave can register"
            : `  approved measurements (${list.measurements.length}):`,
          ...list.measurements.map((m) => `    ${m.measurement}  (approved in block ${m.approvedInBlock})`),
        ].join("\n"),
      );
    });
  return op;
}

/** Why an enclave's results are not accepted. */
function enclaveProblem(e: EnclaveView): string {
  if (e.equivocated) return "punished for equivocation";
  if (!e.active) return "revoked";
  if (!e.currentVerifier) return "registered under a replaced attestation verifier: register again";
  if (e.expired)
    return `its attestation expired at ${new Date(e.validUntil! * 1000).toISOString()}: register again with a fresh report`;
  if (!e.measurementApproved) return "its measurement is no longer approved";
  return "registered to another operator";
}

/** Names the costs and asks for a yes; refuses off a terminal (and with --json) unless --yes was given. */
async function confirm(ctx: Context, costs: string[]): Promise<void> {
  const list = costs.map((c) => `  - ${c}`).join("\n");
  if (ctx.json || !process.stdin.isTTY) {
    throw new CliError(`this unstake needs your confirmation:\n${list}\nre-run with --yes to accept`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`unstaking:\n${list}\ncontinue? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError("unstake cancelled: nothing was sent");
  } finally {
    rl.close();
  }
}
