import { readFileSync } from "node:fs";

import { network } from "hardhat";

import { signedCollateral } from "@verity-ai/sdk/tdx";

import type { TdxAttestationVerifier } from "../../../typechain-types/index.ts";

/** The real Intel vectors (see test/vectors/tdx/README.md), read when a test asks for them. */
export function vector(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../../vectors/tdx/${name}`, import.meta.url)));
}

export const hex = (b: Uint8Array): string => "0x" + Buffer.from(b).toString("hex");

/** Unix seconds of an ISO date. */
export const at = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

/** Every status but Revoked (bit 6). */
export const ALL_BUT_REVOKED = 0x3f;

/** A fresh chain whose clock starts at `iso`, with the verifier's libraries deployed. */
export async function chainAt(iso: string) {
  const conn = await network.create({ override: { initialDate: new Date(iso) } });
  const { ethers } = conn;
  const x509 = await ethers.deployContract("TdxX509");
  const collateral = await ethers.deployContract("TdxCollateral");
  const libraries = { TdxX509: await x509.getAddress(), TdxCollateral: await collateral.getAddress() };
  const [admin, operator, other] = await ethers.getSigners();
  const deploy = async (rootDer: Uint8Array, mask = ALL_BUT_REVOKED): Promise<TdxAttestationVerifier> => {
    const factory = await ethers.getContractFactory("TdxAttestationVerifier", { libraries });
    const v = await factory.deploy(admin.address, rootDer, mask);
    await v.waitForDeployment();
    return v as unknown as TdxAttestationVerifier;
  };
  return { conn, ethers, admin, operator, other, deploy, libraries };
}

/** The collateral of one vector set, as the verifier's push functions take it. */
export interface CollateralSet {
  rootCrl: Uint8Array;
  pckCrl: Uint8Array;
  pckCrlIssuer: Uint8Array;
  tcbInfo: Uint8Array;
  tcbInfoSignature: Uint8Array;
  qeIdentity: Uint8Array;
  qeIdentitySignature: Uint8Array;
  signingCert: Uint8Array;
}

/** The June (v5) or July (v4) vector set. */
export function vectorSet(month: "2025-06" | "2025-07") {
  const tcbFile = month === "2025-06" ? "tcb-info-90C06F000000.json" : "tcb-info-00806f050000.json";
  const tcb = signedCollateral(vector(`${month}/${tcbFile}`), "tcbInfo");
  const qe = signedCollateral(vector(`${month}/qe-identity-td.json`), "enclaveIdentity");
  const quote = vector(month === "2025-06" ? "2025-06/quote-v5-tdx15.bin" : "2025-07/quote-v4-tdx.bin");
  const collateral: CollateralSet = {
    rootCrl: vector("intel/intel-sgx-root-ca.crl.der"),
    pckCrl: vector(`${month}/intel-sgx-pck-platform-ca.crl.der`),
    pckCrlIssuer: vector("intel/intel-sgx-pck-platform-ca.der"),
    tcbInfo: tcb.body,
    tcbInfoSignature: tcb.signature,
    qeIdentity: qe.body,
    qeIdentitySignature: qe.signature,
    signingCert: vector("intel/intel-sgx-tcb-signing.der"),
  };
  return { quote, collateral, root: vector("intel/intel-sgx-root-ca.der") };
}

/** Pushes a whole collateral set (root CRL first: the others' signers are checked against it). */
export async function pushAll(v: TdxAttestationVerifier, c: CollateralSet) {
  await (await v.pushCrl(c.rootCrl, "0x")).wait();
  await (await v.pushCrl(c.pckCrl, c.pckCrlIssuer)).wait();
  await (await v.pushTcbInfo(c.tcbInfo, c.tcbInfoSignature, c.signingCert)).wait();
  await (await v.pushQeIdentity(c.qeIdentity, c.qeIdentitySignature, c.signingCert)).wait();
}

/** A copy of `b` with byte `i` flipped. */
export function flip(b: Uint8Array, i: number): Uint8Array {
  const c = Uint8Array.from(b);
  c[i] ^= 0x01;
  return c;
}
