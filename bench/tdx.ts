/**
 * TDX DCAP attestation gas: registering an enclave (TeeVerifier.registerEnclave through
 * TdxAttestationVerifier) per quote version, with the P-256 precompile (osaka, EIP-7951 at 0x100)
 * and without it (prague: OpenZeppelin's P256 falls back to Solidity), verifying Intel's real quotes,
 * and pushing each kind of collateral. Writes bench/results/tdx.json.
 */
import { mkdir, writeFile } from "node:fs/promises";

import { Wallet } from "ethers";
import { network } from "hardhat";

import { tdxReportData } from "@verity-ai/sdk/tdx";
import { ALL_BUT_REVOKED, at, pushAll, vectorSet } from "../test/attestation/tdx/helpers.ts";
import { crl, qeIdentity, quote, tcbInfo, testPki } from "../test/attestation/tdx/pki.ts";
import { deployVerity } from "../test/helpers/fixture.ts";
import { registrationDomain, signEnclaveRegistration } from "@verity-ai/sdk";

type Receipt = { gasUsed: bigint } | null;
const used = async (p: Promise<{ wait(): Promise<Receipt> }>) => Number((await (await p).wait())!.gasUsed);

async function measure(hardfork: "osaka" | "prague") {
  const out: Record<string, number> = {};
  // Intel's real quotes: verifyQuote as a transaction's gas (eth_estimateGas), collateral pushes.
  for (const [month, iso] of [
    ["2025-06", "2025-06-15T00:00:00Z"],
    ["2025-07", "2025-07-15T00:00:00Z"],
  ] as const) {
    const conn = await network.create({ override: { hardfork, initialDate: new Date(iso) } });
    const { ethers } = conn;
    const libraries = {
      TdxX509: await (await ethers.deployContract("TdxX509")).getAddress(),
      TdxCollateral: await (await ethers.deployContract("TdxCollateral")).getAddress(),
    };
    const [admin] = await ethers.getSigners();
    const set = vectorSet(month);
    const factory = await ethers.getContractFactory("TdxAttestationVerifier", { libraries });
    const v = await factory.deploy(admin.address, set.root, ALL_BUT_REVOKED);
    await v.waitForDeployment();
    const c = set.collateral;
    const tag = month === "2025-06" ? "v5" : "v4";
    if (month === "2025-06") {
      out.pushRootCrl = await used(v.pushCrl(c.rootCrl, "0x"));
      out.pushPckCrl = await used(v.pushCrl(c.pckCrl, c.pckCrlIssuer));
      out.pushTcbInfo = await used(v.pushTcbInfo(c.tcbInfo, c.tcbInfoSignature, c.signingCert));
      out.pushQeIdentity = await used(v.pushQeIdentity(c.qeIdentity, c.qeIdentitySignature, c.signingCert));
    } else {
      await pushAll(v, c);
    }
    out[`verifyRealQuote_${tag}`] = Number(await v.verifyQuote.estimateGas(set.quote));
  }
  // Registration end to end, with test-PKI quotes whose report data binds the key.
  const iso = "2025-09-01T00:00:00Z";
  const conn = await network.create({ override: { hardfork, initialDate: new Date(iso) } });
  const { ethers } = conn;
  const d = await deployVerity(conn);
  const libraries = {
    TdxX509: await (await ethers.deployContract("TdxX509")).getAddress(),
    TdxCollateral: await (await ethers.deployContract("TdxCollateral")).getAddress(),
  };
  const pki = testPki(at(iso));
  const factory = await ethers.getContractFactory("TdxAttestationVerifier", { libraries });
  const v = await factory.deploy(await d.admin.getAddress(), pki.root.cert, ALL_BUT_REVOKED);
  await v.waitForDeployment();
  await (await v.pushCrl(crl(pki.root, pki.now - 60, pki.now + 86_400 * 30), "0x")).wait();
  await (await v.pushCrl(crl(pki.ca, pki.now - 60, pki.now + 86_400 * 30), pki.ca.cert)).wait();
  const t = tcbInfo(pki);
  await (await v.pushTcbInfo(t.body, t.signature, pki.signer.cert)).wait();
  const q = qeIdentity(pki);
  await (await v.pushQeIdentity(q.body, q.signature, pki.signer.cert)).wait();
  await (await d.tee.connect(d.admin).setAttestationVerifier(await v.getAddress())).wait();
  const operator = await d.operator.getAddress();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  for (const version of [5, 4] as const) {
    const enclave = Wallet.createRandom();
    const rd = tdxReportData(chainId, await v.getAddress(), await d.tee.getAddress(), operator, enclave.address);
    const tq = quote(pki, { reportData: rd, version });
    const measurement = (await v.verifyQuote(tq)).measurement;
    await (await v.setMeasurementApproval(measurement, true)).wait();
    const possession = await signEnclaveRegistration(
      enclave,
      registrationDomain(chainId, await d.tee.getAddress()),
      operator,
    );
    out[`registerEnclave_v${version}`] = await used(
      d.tee.connect(d.operator).registerEnclave(enclave.address, measurement, tq, possession),
    );
  }
  return out;
}

const result = {
  note:
    "Gas. registerEnclave_*: TeeVerifier.registerEnclave with TdxAttestationVerifier (test-PKI quote in Intel's format). " +
    "verifyRealQuote_*: eth_estimateGas of verifyQuote on Intel's real quotes. push*: collateral transactions (June 2025 set). " +
    "withPrecompile: osaka (P-256 precompile at 0x100); withoutPrecompile: prague (OpenZeppelin P256 in Solidity).",
  withPrecompile: await measure("osaka"),
  withoutPrecompile: await measure("prague"),
};
await mkdir("bench/results", { recursive: true });
await writeFile("bench/results/tdx.json", JSON.stringify(result, null, 2) + "\n");
console.log(JSON.stringify(result, null, 2));
