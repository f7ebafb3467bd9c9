import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { Command } from "commander";
import { formatUnits, getBytes, hexlify, isHexString } from "ethers";

import { watchOperatorJob } from "./jobwatch.ts";
import { findRecord, recordFile, writeRecordFile, type FoundRecord } from "./records.ts";

import {
  Mode,
  PreflightError,
  commitmentFor,
  decodeOutput,
  encodeInput,
  inputByteLength,
  isInputEncoding,
  modeName,
  newSalt,
  operatorAt,
  preflight,
  sendPrivateInput,
  type RequestParams,
} from "@verity-ai/sdk";
import {
  CliError,
  addressArg,
  amountArg,
  bytes32Arg,
  connect,
  hexId,
  intArg,
  modeArg,
  output,
  requestIdArg,
  tokenFormatter,
  units as tokenUnits,
  type Context,
} from "./context.ts";

/** The SDK's preflight, its problems turned into one CLI error (each a sentence with its fix). */
async function preflightOrExplain(ctx: Context, params: Partial<RequestParams> & { modelId: string }) {
  try {
    return await preflight(ctx.client, ctx.address!, params);
  } catch (err) {
    if (err instanceof PreflightError) throw new CliError(err.problems.map((p) => p.message).join("\n"));
    throw err;
  }
}

/** Byte length of a version's input encoding ("<input>/<output>"); 0 when the encoding is not one the SDK knows. */
function inputByteLengthOf(encoding: string): number {
  const input = encoding.split("/")[0] ?? "";
  return isInputEncoding(input) ? inputByteLength(input) : 0;
}

/** A private input goes to the operator's intake: check that it answers before paying. */
async function intakeReachable(operatorUrl: string): Promise<void> {
  const url = `${operatorUrl.replace(/\/$/, "")}/healthz`;
  try {
    await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new CliError(
      `the operator's intake at ${operatorUrl} does not answer (${cause}): check --operator-url before paying`,
    );
  }
}

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
    .option("--model <modelId>", "model id (required)", bytes32Arg("--model"))
    .option("--version <n>", "model version (0 = latest)", intArg("--version", 0, 2 ** 32 - 1), 0)
    .option("--mode <mode>", "verification mode: tee, zk", modeArg, Mode.TEE)
    .option("--input <hex>", "public input bytes in the model's encoding")
    .option("--input-file <file>", "public input bytes from a file")
    .option("--values <json>", "public input as JSON numbers, encoded with the model's input encoding")
    .option("--private", "send the input off-chain to the serving operator, only a commitment on-chain")
    .option(
      "--operator-url <url>",
      "with --private: the operator's intake (its intake.port), e.g. http://127.0.0.1:9480",
    )
    .option(
      "--salt <hex>",
      "with --private: the 32-byte salt of the commitment (default: random, printed)",
      bytes32Arg("--salt"),
    )
    .option(
      "--manifest <path>",
      "with --private (TEE): the model's folder or manifest.json, when models/ here has no manifest for its weights hash",
    )
    .option(
      "--circuit <descriptor>",
      "with --private --mode zk: the model's circuit descriptor, when circuits/ here has none for its weights hash",
    )
    .option(
      "--record-out <file>",
      "with --private, for a model with a field record: where to write the record and salt for verity result disclose (default verity-record-<requestId>.json)",
    )
    .option(
      "--operator <address>",
      "assign an operator (slashed if it misses an accepted job's deadline); --mode zk: default the one at --operator-url",
      addressArg("--operator"),
    )
    .option("--tip <amount>", "extra payment for the operator (default 0)", amountArg("--tip"))
    .option(
      "--max-fee <amount>",
      "refuse if price + tip exceeds this (default: the fee quoted now)",
      amountArg("--max-fee"),
    )
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
      if (!o.model) throw new CliError('request needs --model <modelId>: the id "verity model list" shows');
      if (o.private && !o.operatorUrl) {
        throw new CliError(
          "--private needs --operator-url <url>: the serving operator's intake (its worker's intake.port, default 9480)",
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
      const { parse } = await tokenUnits(ctx);
      const tip: bigint = o.tip ? parse(o.tip) : 0n;
      const maxFee: bigint = o.maxFee ? parse(o.maxFee) : 0n;
      // What the version takes is known before the input is read: refuse a misfit before paying.
      const quote = await preflightOrExplain(ctx, {
        modelId: o.model,
        version: o.version,
        mode: o.mode,
        tip,
        maxFee,
        operator: o.operator,
      });
      const input = inputBytes(o, quote.encoding);
      const expectedBytes = inputByteLengthOf(quote.encoding);
      if (expectedBytes !== 0 && getBytes(input).length !== expectedBytes) {
        throw new CliError(
          `the input is ${getBytes(input).length} bytes; version ${quote.version} takes ${expectedBytes} (${quote.encoding.split("/")[0]}): encode it with --values`,
        );
      }
      if (o.private) await intakeReachable(o.operatorUrl);
      const units = (v: bigint) => `${formatUnits(v, quote.decimals)} ${quote.symbol}`;
      const salt: string = o.salt ?? newSalt();
      // A private input is committed under the model's record layout, found by the version's weights hash.
      const record: FoundRecord | undefined = o.private ? findRecord(o.mode, quote.weightsHash, o) : undefined;
      if (o.mode === Mode.ZK && record === undefined)
        throw new CliError(
          `version ${quote.version} (weights ${quote.weightsHash}) has no circuit bundled with @verity-ai/sdk: ` +
            "ZK requests go to a bundled circuit's model (npm run zk:setup, then npm run generate), " +
            "or pass --circuit <descriptor.json> for a circuit set up elsewhere",
        );
      if (
        record?.spec !== undefined &&
        o.recordOut !== undefined &&
        !existsSync(path.dirname(path.resolve(o.recordOut)))
      )
        throw new CliError(
          `--record-out: the folder of ${o.recordOut} does not exist: create it or choose another file`,
        );
      let payload: { input: string; inputCommitment?: string } = { input };
      if (o.private) {
        try {
          payload = { input: "0x", inputCommitment: await commitmentFor(o.mode, input, salt, record?.spec) };
        } catch (err) {
          throw new CliError(
            record?.spec === undefined
              ? `the input cannot be committed: ${(err as Error).message}`
              : `the input is not a valid record of ${record.spec.name} (${record.source}): ${(err as Error).message}`,
          );
        }
      }
      const { requestId, request, receipt, fee } = await ctx.client.request({
        modelId: o.model,
        version: quote.version,
        mode: o.mode,
        ...payload,
        operator: o.operator,
        tip,
        maxFee, // 0: VerityClient.request caps the fee at what it quotes
        timeout: o.timeout,
        storeOutput: o.storeOutput,
      });
      const version = { encoding: quote.encoding };
      const id = `0x${requestId.toString(16).padStart(64, "0")}`;
      let recordOut: string | undefined;
      if (record?.spec !== undefined) {
        // The requester's private copy of what was committed, before the input leaves: `result disclose` reads it.
        const file: string = o.recordOut ?? `verity-record-${id}.json`;
        recordOut = file;
        try {
          writeRecordFile(
            file,
            recordFile(record.spec, input, salt, {
              requestId: id,
              mode: modeName(o.mode) ?? String(o.mode),
              commitment: request.inputHash,
            }),
          );
        } catch (err) {
          throw new CliError(
            `request ${id} is open and paid, but ${(err as Error).message}; its input was not sent yet: send it with the salt ${salt} (sdk/private.ts sendPrivateInput)`,
          );
        }
        if (!ctx.json)
          console.error(
            `record and salt written to ${recordOut} (keep it private): disclose chosen fields with verity result disclose --record ${recordOut}`,
          );
      }
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
            ...(o.private ? { salt, commitment: request.inputHash, record: recordOut } : {}),
          },
          () =>
            `requested ${id} (${modeName(o.mode)}, model ${o.model} v${quote.version}) for ${units(fee)} (deadline ${new Date(Number(request.deadline) * 1000).toISOString()})`,
        );
        return;
      }
      if (!ctx.json) console.error(`requested ${id} for ${units(fee)}; waiting for the verified result …`);
      // With --operator-url, the operator's own status of the job is shown while waiting.
      const stopWatch = o.operatorUrl && !ctx.json ? watchOperatorJob(o.operatorUrl, requestId) : undefined;
      const view = await ctx.client
        .waitForResult(requestId, { timeoutMs: o.waitTimeout * 1000, fromBlock: receipt.blockNumber })
        .finally(() => stopWatch?.());
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
          ...(o.private ? { salt, commitment: request.inputHash, record: recordOut } : {}),
        },
        () =>
          `${id}: ${view.status}${out ? `, output ${out}${decoded !== undefined ? ` (${outputEncoding} = ${decoded})` : ""} by ${view.fulfilment!.operator}` : ""}`,
      );
    });
}

/** `verity request refund <requestId>`: a request nobody delivered by its deadline returns its escrow. */
export function refundCommand(): Command {
  return new Command("refund")
    .description("dApps: refund a request past its deadline that nobody delivered (anyone may send it)")
    .argument("<requestId>", "request id (0x-hex or decimal)", requestIdArg)
    .action(async (requestId: bigint, _o, cmd: Command) => {
      const ctx = await connect(cmd, true);
      const units = await tokenFormatter(ctx);
      const view = await ctx.client.readResult(requestId);
      if (view.status === "Fulfilled" || view.status === "Refunded")
        throw new CliError(
          `request ${hexId(requestId)} is already ${view.status.toLowerCase()}: there is nothing to refund`,
        );
      const now = (await ctx.provider.getBlock("latest"))!.timestamp;
      if (BigInt(now) <= view.request.deadline)
        throw new CliError(
          `request ${hexId(requestId)} is open until ${new Date(Number(view.request.deadline) * 1000).toISOString()}: refund it after its deadline`,
        );
      const { amount, slashed, receipt } = await ctx.client.refund(requestId);
      output(
        ctx,
        { requestId: hexId(requestId), amount, slashed, requester: view.request.requester, tx: receipt.hash },
        () =>
          `refunded ${hexId(requestId)}: ${units(amount)} back to ${view.request.requester}'s coordinator balance` +
          (slashed > 0n ? `; the operator that accepted it was slashed ${units(slashed)}` : ""),
      );
    });
}
