import { readFileSync } from "node:fs";

import { Command } from "commander";
import { formatUnits, hexlify, isHexString } from "ethers";

import { Mode, commitmentFor, decodeOutput, encodeInput, newSalt, operatorAt, sendPrivateInput } from "@verity-ai/sdk";
import { CliError, addressArg, amountArg, bytes32Arg, connect, intArg, modeArg, output } from "./context.ts";

/** Input bytes from --input (hex), --input-file (raw bytes) or --values (JSON numbers in the model's encoding). */
function inputBytes(o: { input?: string; inputFile?: string; values?: string }, encoding: string): string {
  const given = [o.input, o.inputFile, o.values].filter((x) => x !== undefined).length;
  if (given !== 1)
    throw new CliError("give exactly one of --input <hex>, --input-file <file> or --values <json array>");
  if (o.input !== undefined) {
    if (!isHexString(o.input) || o.input.length === 2)
      throw new CliError(`--input must be non-empty 0x-hex bytes, got "${o.input}"`);
    return o.input;
  }
  if (o.inputFile !== undefined) {
    try {
      return hexlify(readFileSync(o.inputFile));
    } catch (err) {
      throw new CliError(`--input-file: cannot read ${o.inputFile}: ${(err as Error).message}`);
    }
  }
  let values: unknown;
  try {
    values = JSON.parse(o.values!);
  } catch {
    throw new CliError(`--values must be a JSON array of numbers, e.g. "[5.1,3.5,1.4,0.2]", got ${o.values}`);
  }
  if (!Array.isArray(values) || !values.every((v) => typeof v === "number"))
    throw new CliError(`--values must be a JSON array of numbers, got ${o.values}`);
  const inputEncoding = encoding.split("/")[0]!;
  try {
    return hexlify(encodeInput(inputEncoding, values));
  } catch (err) {
    throw new CliError(`--values do not fit the model's input encoding "${inputEncoding}": ${(err as Error).message}`);
  }
}

export function requestCommand(): Command {
  return new Command("request")
    .description("dApps: pay for an inference (from your balance, pulling any shortfall from your wallet)")
    .requiredOption("--model <modelId>", "model id", bytes32Arg("--model"))
    .option("--version <n>", "model version (0 = latest)", intArg("--version", 0, 2 ** 32 - 1), 0)
    .option("--mode <mode>", "verification mode: tee, zk", modeArg, 1)
    .option("--input <hex>", "public input bytes in the model's encoding")
    .option("--input-file <file>", "public input bytes from a file")
    .option("--values <json>", "public input as JSON numbers, encoded with the model's input encoding")
    .option("--private", "send the input off-chain to the serving operator, only a commitment on-chain")
    .option("--operator-url <url>", "with --private: the operator's intake endpoint, e.g. http://127.0.0.1:9464")
    .option(
      "--salt <hex>",
      "with --private: the 32-byte salt of the commitment (default: random, printed)",
      bytes32Arg("--salt"),
    )
    .option(
      "--operator <address>",
      "assign an operator (slashed if it misses an accepted job's deadline); --mode zk: default the one at --operator-url",
      addressArg("--operator"),
    )
    .option("--tip <amount>", "extra payment for the operator", amountArg("--tip"), 0n)
    .option("--max-fee <amount>", "refuse if price + tip exceeds this", amountArg("--max-fee"), 0n)
    .option(
      "--timeout <seconds>",
      "seconds until the request can be refunded",
      intArg("--timeout", 1, 30 * 24 * 3600),
      3600,
    )
    .option("--store-output", "store the output bytes on-chain (the hash always is)", false)
    .option("--wait", "wait for the verified result", false)
    .option("--wait-timeout <seconds>", "how long --wait waits", intArg("--wait-timeout", 1, 3600), 120)
    .action(async (o, cmd: Command) => {
      if (o.private && !o.operatorUrl) {
        throw new CliError(
          "--private needs --operator-url <url>: the serving operator's intake endpoint (its worker's HTTP port)",
        );
      }
      if (o.mode === Mode.ZK && !o.private) {
        throw new CliError("--mode zk needs --private: the circuit proves a committed (private) input");
      }
      if (o.mode === Mode.ZK && !o.operator) {
        // A ZK request names the operator that serves it (the proof does not): the one behind --operator-url.
        try {
          o.operator = await operatorAt(o.operatorUrl);
        } catch (err) {
          throw new CliError(
            `--mode zk needs the operator that serves it: ${(err as Error).message}, or pass --operator <address>`,
          );
        }
      }
      const ctx = await connect(cmd, true);
      const version = await ctx.client.registry.getVersion(
        o.model,
        o.version === 0 ? (await ctx.client.registry.getModel(o.model)).latestVersion : o.version,
      );
      const input = inputBytes(o, version.encoding);
      const salt: string = o.salt ?? newSalt();
      const payload = o.private
        ? { input: "0x", inputCommitment: await commitmentFor(o.mode, input, salt) }
        : { input };
      const { requestId, request, receipt, fee } = await ctx.client.request({
        modelId: o.model,
        version: o.version,
        mode: o.mode,
        ...payload,
        operator: o.operator,
        tip: o.tip,
        maxFee: o.maxFee,
        timeout: o.timeout,
        storeOutput: o.storeOutput,
      });
      const id = `0x${requestId.toString(16).padStart(64, "0")}`;
      if (o.private) {
        try {
          await sendPrivateInput(o.operatorUrl, requestId, input, salt);
        } catch (err) {
          throw new CliError(
            `request ${id} is open and paid, but its private input was not delivered: ${(err as Error).message}. ` +
              `Send it again with the same salt ${salt} (sdk/private.ts sendPrivateInput), or refund the request after its deadline ` +
              `${new Date(Number(request.deadline) * 1000).toISOString()}`,
          );
        }
        if (!ctx.json)
          console.error(`private input sent to ${o.operatorUrl}; keep the salt to disclose it later: ${salt}`);
      }
      if (!o.wait) {
        output(
          ctx,
          {
            requestId: id,
            fee,
            deadline: Number(request.deadline),
            tx: receipt.hash,
            ...(o.private ? { salt, commitment: request.inputHash } : {}),
          },
          () =>
            `requested ${id} for ${formatUnits(fee, 18)} (deadline ${new Date(Number(request.deadline) * 1000).toISOString()})`,
        );
        return;
      }
      const view = await ctx.client.waitForResult(requestId, {
        timeoutMs: o.waitTimeout * 1000,
        fromBlock: receipt.blockNumber,
      });
      const out = view.status === "Fulfilled" ? await ctx.client.getOutput(requestId, view) : undefined;
      const outputEncoding = version.encoding.split("/")[1] ?? "";
      let decoded: string | undefined;
      try {
        decoded = out ? decodeOutput(outputEncoding, out).toString() : undefined;
      } catch {
        decoded = undefined;
      }
      output(
        ctx,
        {
          requestId: id,
          status: view.status,
          output: out,
          decoded,
          operator: view.fulfilment?.operator,
          tx: view.fulfilment?.txHash,
        },
        () =>
          `${id}: ${view.status}${out ? `, output ${out}${decoded !== undefined ? ` (${outputEncoding} = ${decoded})` : ""} by ${view.fulfilment!.operator}` : ""}`,
      );
    });
}
