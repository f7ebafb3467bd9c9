import { Command } from "commander";
import { addressArg, amountArg, connect, output, units } from "./context.ts";
import type { AmountText } from "./context.ts";

export function balanceCommand(): Command {
  const bal = new Command("balance").description("dApps: your coordinator balance (deposits, refunds, earnings)");

  bal
    .command("deposit")
    .description("deposit tokens into your coordinator balance (approves first if needed)")
    .argument("<amount>", "tokens", amountArg("amount"))
    .action(async (text: AmountText, _o, cmd: Command) => {
      const ctx = await connect(cmd, true);
      const { parse, format } = await units(ctx);
      const amount = parse(text);
      const receipt = await ctx.client.deposit(amount);
      const balance = await ctx.client.coordinator.balanceOf(ctx.address!);
      output(
        ctx,
        { account: ctx.address, balance, tx: receipt.hash },
        () => `deposited ${format(amount)}; balance ${format(balance)}`,
      );
    });

  bal
    .command("withdraw")
    .description("withdraw from your coordinator balance")
    .argument("<amount>", "tokens", amountArg("amount"))
    .option("--to <address>", "recipient (default: you)", addressArg("--to"))
    .action(async (text: AmountText, o, cmd: Command) => {
      const ctx = await connect(cmd, true);
      const { parse, format } = await units(ctx);
      const amount = parse(text);
      const receipt = await (await ctx.client.coordinator.withdraw(amount, o.to ?? ctx.address!)).wait();
      const balance = await ctx.client.coordinator.balanceOf(ctx.address!);
      output(
        ctx,
        { account: ctx.address, balance, tx: receipt!.hash },
        () => `withdrew ${format(amount)}; balance ${format(balance)}`,
      );
    });

  bal
    .command("show")
    .description("show a coordinator balance and token balance")
    .argument("[address]", "account (default: your key's address)", addressArg("address"))
    .action(async (address: string | undefined, _o, cmd: Command) => {
      const ctx = await connect(cmd, !address);
      const who = address ?? ctx.address!;
      const [balance, wallet] = await Promise.all([
        ctx.client.coordinator.balanceOf(who),
        ctx.client.token.balanceOf(who),
      ]);
      const { format } = await units(ctx);
      output(
        ctx,
        { account: who, balance, wallet },
        () => `${who}: coordinator balance ${format(balance)}, wallet ${format(wallet)}`,
      );
    });
  return bal;
}
