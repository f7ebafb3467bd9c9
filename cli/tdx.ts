/**
 * `verity operator register-enclave --tdx`: the enclave key's registration evidence from an Intel TDX
 * quote, made here through configfs-tsm (`--tsm-dir`) or elsewhere (`--quote <file>`), with report
 * data binding the key to this operator, chain, TeeVerifier and attestation verifier. The chain's
 * verifier is asked before anything is sent: it names a failed check, or gives what it found.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";

import { Contract, getAddress, getBytes, hexlify, keccak256, zeroPadBytes } from "ethers";
import type { Command } from "commander";

import { ITdxAttestationVerifierAbi, Mode } from "@verity-ai/sdk";
import { TCB_STATUSES, parseTdxQuote, tdxReportData, verifyTdxQuote } from "@verity-ai/sdk/tdx";

import { CliError, type Context } from "./context.ts";

/** The options `register-enclave` takes for TDX. */
export function tdxOptions(cmd: Command): Command {
  return cmd
    .option("--tdx", "attest with an Intel TDX quote binding the key (from configfs-tsm, or --quote)")
    .option("--tsm-dir <dir>", "configfs-tsm report directory (with --tdx)", "/sys/kernel/config/tsm/report")
    .option("--tsm-entry <name>", "an existing report entry under --tsm-dir (default: a fresh one)")
    .option("--quote <file>", "a TDX quote (binary) made elsewhere with the report data this key needs (with --tdx)");
}

export interface TdxEvidence {
  measurement: string;
  report: string;
  /** What the verifier found, for the output. */
  mrTd: string;
  tcbStatus: string;
  expiry: number;
}

/** The measurement and quote to register `enclaveKey` with, checked by the chain's verifier. */
export async function tdxEvidence(
  ctx: Context,
  enclaveKey: string,
  o: { tsmDir: string; tsmEntry?: string; quote?: string; measurement?: string },
): Promise<TdxEvidence> {
  const { tee } = ctx.client;
  const chainId = (await ctx.client.provider.getNetwork()).chainId;
  const consumer = await tee.getAddress();
  const verifierAddress = await tee.attestationVerifier();
  const operator = ctx.address!;
  const reportData = tdxReportData(chainId, verifierAddress, consumer, operator, enclaveKey);
  let quote: Uint8Array;
  if (o.quote !== undefined) {
    try {
      quote = new Uint8Array(readFileSync(o.quote));
    } catch (err) {
      throw new CliError(`cannot read --quote ${o.quote} (${(err as Error).message}): pass the quote's file`);
    }
  } else {
    let node: typeof import("@verity-ai/node");
    try {
      node = await import("@verity-ai/node");
    } catch {
      throw new CliError(
        "getting a quote through configfs-tsm needs the @verity-ai/node package: install it, or pass --quote <file>",
      );
    }
    try {
      quote = await new node.TdxConfigfsQuoteProvider({ baseDir: o.tsmDir, entryName: o.tsmEntry }).getQuote(
        reportData,
      );
    } catch (err) {
      throw new CliError((err as Error).message);
    }
  }
  let body: Uint8Array;
  try {
    body = parseTdxQuote(quote).body;
  } catch (err) {
    throw new CliError(`${o.quote ?? "the quote"} is not a TDX quote: ${(err as Error).message}`);
  }
  if (Buffer.compare(Buffer.from(body.subarray(520, 584)), Buffer.from(reportData)) !== 0) {
    throw new CliError(
      `the quote's report data does not bind enclave key ${enclaveKey} for operator ${operator} on this TeeVerifier: make the quote inside the TD with report data ${hexlify(reportData)}`,
    );
  }
  const measurement = keccak256(body.subarray(120, 520));
  if (o.measurement !== undefined && o.measurement.toLowerCase() !== measurement) {
    throw new CliError(
      `the quote's measurement is ${measurement}, not --measurement ${o.measurement}: the TD runs another image (drop --measurement to register the quote's)`,
    );
  }
  // Reverts with the failed check (the CLI prints its sentence).
  const verifier = new Contract(verifierAddress, ITdxAttestationVerifierAbi, ctx.client.provider);
  const a = await verifier.getFunction("verifyQuote")(quote);
  return {
    measurement,
    report: hexlify(quote),
    mrTd: a.mrTd as string,
    tcbStatus: TCB_STATUSES[Number(a.tcbStatus)]!,
    expiry: Number(a.expiry),
  };
}

/** Human-readable lines for a TDX registration. */
export function tdxSummary(t: Omit<TdxEvidence, "report">): string {
  return [
    `  measurement ${t.measurement}`,
    `  MRTD        ${t.mrTd}`,
    `  TCB status  ${t.tcbStatus}`,
    `  expires     ${new Date(t.expiry * 1000).toISOString()} (re-attest before: register again with a fresh quote)`,
  ].join("\n");
}

/** The TDX evidence behind a TEE result: the enclave's registration, re-verified. */
export interface TdxResultEvidence {
  enclave: string;
  registration: { txHash: string; blockNumber: number; time: number; verifier: string };
  measurement: string;
  mrTd: string;
  tcbStatus: string;
  chain: { subject: string; notBefore: number; notAfter: number }[];
  expiry: number;
  expired: boolean;
  /** What this command checked, and what it had to trust. */
  checked: string[];
  trusted: string[];
}

const certsOfPem = (pem: string): Uint8Array[] =>
  [...pem.matchAll(/-----BEGIN CERTIFICATE-----\n([^-]*)-----END CERTIFICATE-----/g)].map(
    (m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s/g, ""), "base64")),
  );

/** keccak256(x ‖ y) of a P-256 certificate's public key: how the verifier names a CRL's issuer. */
function keyHashOf(der: Uint8Array): string {
  const jwk = new X509Certificate(der).publicKey.export({ format: "jwk" });
  return keccak256(Buffer.concat([Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]));
}

/**
 * Finds `enclaveKey`'s last registration at or before `atBlock`, reads its quote from the registration
 * transaction and the collateral the verifier held then from the transactions that pushed it, and
 * verifies the quote again with `@verity-ai/sdk/tdx` (Node's crypto) at the registration block's time;
 * the chain's verifier is asked the same at that block, and both must agree.
 */
export async function tdxResultEvidence(ctx: Context, enclaveKey: string, atBlock: number): Promise<TdxResultEvidence> {
  const { tee, provider } = ctx.client;
  const logs = await tee.queryFilter(tee.filters.EnclaveRegistered(undefined, enclaveKey), 0, atBlock);
  const reg = logs.at(-1);
  if (reg === undefined)
    throw new CliError(
      `no EnclaveRegistered event for enclave ${enclaveKey}: it was never registered on this TeeVerifier`,
    );
  const tx = await provider.getTransaction(reg.transactionHash);
  const call =
    tx && tx.to?.toLowerCase() === (await tee.getAddress()).toLowerCase() ? tee.interface.parseTransaction(tx) : null;
  if (call === null || call.name !== "registerEnclave")
    throw new CliError(
      `enclave ${enclaveKey} was registered through another contract (tx ${reg.transactionHash}): its quote cannot be read from the transaction; re-verify it from the operator's quote file`,
    );
  const quote = getBytes(call.args[2] as string);
  const block = reg.blockNumber;
  const time = (await provider.getBlock(block))!.timestamp;
  const verifierAddress = (await tee.attestationVerifier({ blockTag: block })) as string;
  const verifier = new Contract(verifierAddress, ITdxAttestationVerifierAbi, provider);
  const at = { blockTag: block };
  const iface = verifier.interface;
  const pushed = async (event: string, topics: (string | null)[]) => {
    const filter = {
      address: verifierAddress,
      topics: [iface.getEvent(event)!.topicHash, ...topics],
      fromBlock: 0,
      toBlock: block,
    };
    const last = (await provider.getLogs(filter)).at(-1);
    if (last === undefined)
      throw new CliError(
        `the verifier ${verifierAddress} held no ${event.replace(/^Tdx|Accepted$/g, "")} at block ${block}`,
      );
    const t = await provider.getTransaction(last.transactionHash);
    const parsed = t && t.to?.toLowerCase() === verifierAddress.toLowerCase() ? iface.parseTransaction(t) : null;
    if (parsed === null)
      throw new CliError(
        `collateral was pushed through another contract (tx ${last.transactionHash}): this command reads only direct pushes`,
      );
    return parsed.args;
  };
  const layout = parseTdxQuote(quote);
  const certs = certsOfPem(layout.pem);
  if (certs.length !== 3)
    throw new CliError(`the registered quote's certificate chain has ${certs.length} certificates, not 3`);
  const [pinnedCert, pinnedKey] = (await verifier.getFunction("pinnedRoot")(at)) as [string, string];
  if (keccak256(certs[2]!) !== pinnedCert)
    throw new CliError(`the quote's root certificate is not the verifier's pinned root ${pinnedCert}`);
  // The chain's verdict at the registration block, which also names the platform (FMSPC).
  const onChain = await verifier.getFunction("verifyEnclave")(
    await tee.getAddress(),
    reg.args[0],
    enclaveKey,
    quote,
    at,
  );
  const [rootCrl, caCrl, tcbArgs, qe] = await Promise.all([
    pushed("TdxCrlAccepted", [pinnedKey]),
    pushed("TdxCrlAccepted", [keyHashOf(certs[1]!)]),
    pushed("TdxTcbInfoAccepted", [zeroPadBytes(onChain.fmspc as string, 32)]),
    pushed("TdxQeIdentityAccepted", []),
  ]);
  const policy = {
    rootCert: certs[2]!,
    acceptedTcbStatuses: Number(await verifier.getFunction("acceptedTcbStatuses")(at)),
    now: time,
  };
  const s = verifyTdxQuote(
    quote,
    {
      rootCrl: getBytes(rootCrl[0] as string),
      pckCrl: getBytes(caCrl[0] as string),
      tcbInfo: { body: getBytes(tcbArgs[0] as string), signature: getBytes(tcbArgs[1] as string) },
      qeIdentity: { body: getBytes(qe[0] as string), signature: getBytes(qe[1] as string) },
      tcbSigningCert: getBytes(tcbArgs[2] as string),
    },
    policy,
  );
  if (onChain.measurement !== s.measurement || Number(onChain.expiry) !== s.expiry)
    throw new CliError(
      `the SDK and the chain's verifier disagree about enclave ${enclaveKey}'s quote: do not trust this result's attestation`,
    );
  const enclave = await tee.getEnclave(enclaveKey);
  const now = (await provider.getBlock("latest"))!.timestamp;
  return {
    enclave: enclaveKey,
    registration: { txHash: reg.transactionHash, blockNumber: block, time, verifier: verifierAddress },
    measurement: s.measurement,
    mrTd: s.mrTd,
    tcbStatus: s.tcbStatus,
    chain: s.chain,
    expiry: Number(enclave.validUntil),
    expired: now >= Number(enclave.validUntil),
    checked: [
      "the quote in the registration transaction: its signature, the QE report and its PCK signature, the PCK chain to the verifier's pinned root, revocation, TCB status under the verifier's policy, the collateral's signatures and dates (SDK, Node crypto, at the registration block's time)",
      "the same quote by the chain's verifier at the registration block, which agrees",
      "the report data binds this enclave key to its operator, this TeeVerifier, the chain and the verifier",
    ],
    trusted: [
      `the pinned root ${pinnedCert} is Intel's SGX Root CA (compare with Intel's published certificate)`,
      `the measured guest image ${s.measurement} (approved by governance) does what it claims, and keeps the enclave key inside the TD`,
      "Intel's TDX module, CPU and quoting enclave at the reported TCB; governance's measurement list and TCB policy",
    ],
  };
}

/**
 * The attestation behind a fulfilled TEE result: TDX evidence when the enclave was registered through a
 * TDX verifier, or a note that the verifier was the development stand-in (no hardware evidence).
 */
export async function teeEvidence(
  ctx: Context,
  requestId: bigint,
): Promise<{ tdx?: TdxResultEvidence; unattested?: string } | undefined> {
  const v = await ctx.client.readResult(requestId);
  if (v.fulfilment === undefined || Number(v.request.mode) !== Number(Mode.TEE)) return undefined;
  const enclave = getAddress("0x" + v.fulfilment.verifierRecord.slice(26));
  const { tee, provider } = ctx.client;
  const logs = await tee.queryFilter(tee.filters.EnclaveRegistered(undefined, enclave), 0, v.fulfilment.blockNumber);
  const reg = logs.at(-1);
  if (reg === undefined) return { unattested: `enclave ${enclave} has no registration event` };
  const verifier = (await tee.attestationVerifier({ blockTag: reg.blockNumber })) as string;
  const probe = new Contract(verifier, ITdxAttestationVerifierAbi, provider);
  try {
    await probe.getFunction("pinnedRoot")({ blockTag: reg.blockNumber });
  } catch {
    return {
      unattested: `enclave ${enclave} was registered through ${verifier}, which is not a TDX verifier (the development verifier checks no hardware evidence)`,
    };
  }
  return { tdx: await tdxResultEvidence(ctx, enclave, v.fulfilment.blockNumber) };
}

/** Human-readable lines for the TDX evidence behind a result. */
export function tdxEvidenceLines(e: TdxResultEvidence): string[] {
  return [
    `  TDX evidence of enclave ${e.enclave} (registered in block ${e.registration.blockNumber}, tx ${e.registration.txHash}, verifier ${e.registration.verifier}):`,
    `    measurement ${e.measurement}; MRTD ${e.mrTd}; TCB status ${e.tcbStatus}`,
    ...e.chain.map(
      (c, i) =>
        `    ${["PCK", "CA", "root"][i]} ${c.subject} (valid ${new Date(c.notBefore * 1000).toISOString()} – ${new Date(c.notAfter * 1000).toISOString()})`,
    ),
    `    registration ${e.expired ? "EXPIRED" : "valid"} until ${new Date(e.expiry * 1000).toISOString()}`,
    ...e.checked.map((c) => `    ✔ checked: ${c}`),
    ...e.trusted.map((t) => `    ! trusted: ${t}`),
  ];
}
