import { Command } from "commander";
import { addressArg, amountArg, connect, output, units } from "./context.ts";
import type { AmountText } from "./context.ts";

/** The local payment token (VerityTestToken): its owner mints test funds. */
export function tokenCommand(): Command {
  const token = new Command("token").description("local networks: mint the test payment token (owner only)");
  token
    .command("mint")
    .description("mint test tokens (only the token's owner, the deployer, can)")
    .argument("<amount>", "tokens", amountArg("amount"))
    .option("--to <address>", "recipient (default: you)", addressArg("--to"))
    .action(async (text: AmountText, o, cmd: Command) => {
      const ctx = await connect(cmd, true);
      const { parse, format } = await units(ctx);
      const amount = parse(text);
      const to = o.to ?? ctx.address!;
      const receipt = await (await ctx.client.token.mint(to, amount)).wait();
      const balance = await ctx.client.token.balanceOf(to);
      output(
        ctx,
        { to, amount, balance, tx: receipt!.hash },
        () => `minted ${format(amount)} to ${to}; wallet ${format(balance)}`,
      );
    });
  return token;
}
