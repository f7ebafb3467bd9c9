/** Deployment records: written beside Ignition's addresses, read back with their start block, and the local lookup. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { expect } from "chai";

import { ABI_VERSION, fromIgnitionAddresses, type Deployment } from "@verity-ai/sdk";
import {
  DEPLOYMENT_RECORD,
  NPM_START_DEPLOYMENT_ID,
  findLocalDeployment,
  loadDeploymentFile,
  loadIgnitionDeployment,
  writeDeploymentRecord,
} from "@verity-ai/sdk/node";
import { tmp } from "../worker/helpers.ts";

const A = (n: number) => "0x" + n.toString(16).padStart(40, "0");
const ADDRESSES = {
  "PaymentToken#VerityTestToken": A(1),
  "ModelRegistry#ModelRegistry": A(2),
  "OperatorStaking#OperatorStaking": A(3),
  "InferenceCoordinator#InferenceCoordinator": A(4),
  "TeeVerifier#TeeVerifier": A(5),
  "TeeVerifier#DevApprovedMeasurementAttestationVerifier": A(6),
};

async function root(ids: Record<string, string>): Promise<string> {
  const dir = await tmp("deployments");
  for (const [id, coordinator] of Object.entries(ids)) {
    const d = join(dir, "deploy", "deployments", id);
    mkdirSync(d, { recursive: true });
    writeFileSync(
      join(d, "deployed_addresses.json"),
      JSON.stringify({ ...ADDRESSES, "InferenceCoordinator#InferenceCoordinator": coordinator }),
    );
  }
  return dir;
}

describe("deployment records (@verity-ai/sdk/node)", function () {
  it("reads ZK mode from Ignition's addresses: the ZkVerifier and every generated circuit's verifier by contract name", function () {
    const d = fromIgnitionAddresses(31337, {
      ...ADDRESSES,
      "ZkVerifier#ZkVerifier": A(7),
      "ZkVerifier#IrisMlpGroth16Verifier": A(8),
      "ZkVerifier#BreastCancerMlpGroth16Verifier": A(9),
      "ZkVerifier#PoseidonT3": A(10),
    });
    expect(d.zk).to.equal(A(7));
    expect(d.zkVerifiers).to.deep.equal({
      IrisMlpGroth16Verifier: A(8),
      BreastCancerMlpGroth16Verifier: A(9),
    });
    // Without ZK mode, neither is present.
    const plain = fromIgnitionAddresses(31337, ADDRESSES);
    expect(plain.zk).to.equal(undefined);
    expect(plain.zkVerifiers).to.equal(undefined);
  });

  it("records chain id, addresses, start block and ABI version, and reads them back", async function () {
    const dir = await root({ "chain-31337": A(4) });
    const folder = join(dir, "deploy", "deployments", "chain-31337");
    const d: Deployment = { ...loadIgnitionDeployment(31337, dir), startBlock: 42 };
    const file = writeDeploymentRecord(folder, d);
    expect(file).to.equal(join(folder, DEPLOYMENT_RECORD));
    expect(JSON.parse(readFileSync(file, "utf8"))).to.deep.include({
      abiVersion: ABI_VERSION,
      chainId: 31337,
      startBlock: 42,
    });
    expect(loadIgnitionDeployment(31337, dir)).to.deep.include({
      startBlock: 42,
      abiVersion: ABI_VERSION,
      coordinator: A(4),
    });
    expect(loadDeploymentFile(folder)).to.deep.include({ startBlock: 42, coordinator: A(4) });
  });

  it("finds the one live local deployment, and asks to choose when a user's and npm start's are both live", async function () {
    const live = new Set([A(4), A(9)]);
    const hasCode = async (a: string) => live.has(a);
    let dir = await root({ "chain-31337": A(4), [NPM_START_DEPLOYMENT_ID]: A(8) });
    expect((await findLocalDeployment(31337, hasCode, dir)).coordinator).to.equal(A(4));
    dir = await root({ "chain-31337": A(7), [NPM_START_DEPLOYMENT_ID]: A(9) });
    expect((await findLocalDeployment(31337, hasCode, dir)).coordinator).to.equal(A(9));
    dir = await root({ "chain-31337": A(4), [NPM_START_DEPLOYMENT_ID]: A(9) });
    let err = await findLocalDeployment(31337, hasCode, dir).catch((e: Error) => e);
    expect((err as Error).message).to.match(
      /two Verity deployments of chain 31337 are live \(chain-31337, npm-start\): choose one with --deployment /,
    );
    dir = await root({});
    err = await findLocalDeployment(31337, hasCode, dir).catch((e: Error) => e);
    expect((err as Error).message).to.contain("no Verity deployment of chain 31337 under");
  });
});
