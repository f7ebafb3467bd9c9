import { Command } from "commander";

import { verifyResult } from "@verity-ai/sdk";
import { connect, output, requestIdArg } from "./context.ts";

export function resultCommand(): Command {
  const result = new Command("result").description("integrators: read and re-verify results");

  result
    .command("show")
    .description("status, output hash, operator, verifier record and callback outcome of a request")
    .argument("<requestId>", "request id (decimal or 0x-hex)", requestIdArg)
    .action(async (requestId: bigint, _o, cmd: Command) => {
      const ctx = await connect(cmd, false);
      const v = await ctx.client.readResult(requestId);
      output(ctx, v, () =>
        [
          `request ${v.requestId}: ${v.status}`,
          `  model ${v.request.modelId} v${v.request.version} (weights ${v.request.weightsHash}), mode ${v.request.mode}`,
          `  input ${v.input === undefined ? `private, commitment ${v.request.inputHash}` : v.input}`,
          `  fee ${v.request.fee} (royalty ${v.request.royalty}, protocol ${v.request.protocolFee}), requester ${v.request.requester}`,
          v.fulfilment
            ? `  fulfilled by ${v.fulfilment.operator} in block ${v.fulfilment.blockNumber} (tx ${v.fulfilment.txHash}); verifier record ${v.fulfilment.verifierRecord}; output hash ${v.outputHash}` +
              (v.fulfilment.callbackSuccess === undefined
                ? ""
                : `; callback ${v.fulfilment.callbackSuccess ? "succeeded" : "failed"}`)
            : v.refund
              ? `  refunded in block ${v.refund.blockNumber} (slashed ${v.refund.slashed})`
              : "  not settled yet",
        ].join("\n"),
      );
    });

  result
    .command("verify")
    .description("re-verify a result off-chain (attestation, registry, output hash) and check it against the chain")
    .argument("<requestId>", "request id (decimal or 0x-hex)", requestIdArg)
    .action(async (requestId: bigint, _o, cmd: Command) => {
      const ctx = await connect(cmd, false);
      const v = await verifyResult(ctx.client, requestId);
      output(ctx, v, () =>
        [
          `request ${requestId}: ${v.ok ? "VERIFIED" : "NOT VERIFIED"} (${v.mode})`,
          ...v.checks.map((c) => `  ${c.ok ? "✔" : "✘"} ${c.name}: ${c.detail}`),
        ].join("\n"),
      );
      if (!v.ok) process.exitCode = 1;
    });
  return result;
}
