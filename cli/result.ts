import { Command } from "commander";

import { RequestStatus, isSettled, modeName, statusName, verifyResult } from "@verity-ai/sdk";
import { watchOperatorJob } from "./jobwatch.ts";
import { CliError, connect, hexId, intArg, output, requestIdArg, tokenFormatter } from "./context.ts";
import { tdxEvidenceLines, teeEvidence } from "./tdx.ts";

export function resultCommand(): Command {
  const result = new Command("result").description("integrators: read and re-verify results");

  result
    .command("show")
    .description("status, output hash, operator, verifier record and callback outcome of a request")
    .argument("<requestId>", "request id (decimal or 0x-hex)", requestIdArg)
    .action(async (requestId: bigint, _o, cmd: Command) => {
      const ctx = await connect(cmd, false);
      const v = await ctx.client.readResult(requestId);
      const units = await tokenFormatter(ctx);
      output(ctx, { ...v, requestId: hexId(v.requestId), mode: modeName(v.request.mode) }, () =>
        [
          `request ${hexId(v.requestId)}: ${v.status}`,
          `  model ${v.request.modelId} v${v.request.version} (weights ${v.request.weightsHash}), mode ${modeName(v.request.mode)}`,
          `  input ${v.input === undefined ? `private, commitment ${v.request.inputHash}` : v.input}`,
          `  fee ${units(v.request.fee)} (royalty ${units(v.request.royalty)}, protocol ${units(v.request.protocolFee)}), requester ${v.request.requester}`,
          v.fulfilment
            ? `  fulfilled by ${v.fulfilment.operator} in block ${v.fulfilment.blockNumber} (tx ${v.fulfilment.txHash}); verifier record ${v.fulfilment.verifierRecord}; output hash ${v.outputHash}` +
              (v.fulfilment.callbackSuccess === undefined
                ? ""
                : `; callback ${v.fulfilment.callbackSuccess ? "succeeded" : "failed"}`)
            : v.refund
              ? `  refunded in block ${v.refund.blockNumber} (operator slashed ${units(v.refund.slashed)})`
              : "  not settled yet",
        ].join("\n"),
      );
    });

  result
    .command("wait")
    .description("wait until a request is fulfilled (or refunded), showing its status meanwhile")
    .argument("<requestId>", "request id (0x-hex or decimal)", requestIdArg)
    .option("--timeout <seconds>", "how long to wait", intArg("--timeout", 1, 24 * 3600), 300)
    .option("--operator-url <url>", "the serving operator's intake: show its status of the job while waiting")
    .action(async (requestId: bigint, o: { timeout: number; operatorUrl?: string }, cmd: Command) => {
      const ctx = await connect(cmd, false);
      const stopWatch = o.operatorUrl && !ctx.json ? watchOperatorJob(o.operatorUrl, requestId) : undefined;
      try {
        const until = Date.now() + o.timeout * 1000;
        let last = "";
        for (;;) {
          const status = statusName(await ctx.client.coordinator.requestStatus(requestId));
          if (status === "None")
            throw new CliError(`request ${hexId(requestId)} is unknown to this deployment: check the id`);
          if (status !== last && !ctx.json) console.error(`${hexId(requestId)}: ${status}`);
          last = status;
          if (isSettled(RequestStatus[status])) break;
          if (Date.now() > until)
            throw new CliError(
              `request ${hexId(requestId)} is still ${status} after ${o.timeout} s: wait longer (--timeout), or refund it after its deadline with "verity request refund"`,
            );
          await new Promise((r) => setTimeout(r, 1000));
        }
      } finally {
        await stopWatch?.();
      }
      const v = await ctx.client.readResult(requestId);
      output(
        ctx,
        { requestId: hexId(requestId), status: v.status, outputHash: v.outputHash, operator: v.fulfilment?.operator },
        () =>
          v.fulfilment
            ? `${hexId(requestId)}: Fulfilled by ${v.fulfilment.operator}, output hash ${v.outputHash} (check it with "verity result verify")`
            : `${hexId(requestId)}: ${v.status}`,
      );
    });

  result
    .command("verify")
    .description("re-verify a result off-chain (attestation, registry, output hash) and check it against the chain")
    .argument("<requestId>", "request id (decimal or 0x-hex)", requestIdArg)
    .action(async (requestId: bigint, _o, cmd: Command) => {
      const ctx = await connect(cmd, false);
      const v = await verifyResult(ctx.client, requestId);
      const evidence = v.ok ? await teeEvidence(ctx, requestId) : undefined;
      output(ctx, { ...v, ...evidence }, () =>
        [
          `request ${hexId(requestId)}: ${v.ok ? "VERIFIED" : "NOT VERIFIED"} (${v.mode})`,
          ...v.checks.map((c) => `  ${c.ok ? "✔" : "✘"} ${c.name}: ${c.detail}`),
          ...(evidence?.tdx ? tdxEvidenceLines(evidence.tdx) : []),
          ...(evidence?.unattested ? [`  ! attestation: ${evidence.unattested}`] : []),
        ].join("\n"),
      );
      if (!v.ok) process.exitCode = 1;
    });
  return result;
}
