import { execFile } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { network } from "hardhat";

import { ALLOW_DEV_FLAG, deploy, readParameters } from "../../scripts/lib/deploy.ts";
import { ABI_VERSION } from "@verity-ai/sdk";
import { rejection } from "./helpers.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SEPOLIA = 11155111;
const LOCAL_PARAMETERS = readParameters(path.join(ROOT, "deploy/parameters/localhost.json"));
const TEMPLATE = readParameters(path.join(ROOT, "deploy/parameters/production.template.json"));
const ids: string[] = [];
const freshId = (tag: string) => {
  const id = `test-${tag}-${process.pid}-${ids.length}`;
  ids.push(id);
  return id;
};
const refusalSentence =
  `network "sepolia-like" is chain ${SEPOLIA}, not a local chain, and the "local" module deploys the ` +
  `mintable test token and the development attestation verifier (which checks no attestation): deploy ` +
  `"--module production" with your parameters file, or pass ${ALLOW_DEV_FLAG} for a throwaway test deployment`;

describe("npm run deploy (scripts/deploy.ts)", function () {
  after(function () {
    for (const id of ids) rmSync(path.join(ROOT, "deploy/deployments", id), { recursive: true, force: true });
  });

  it("refuses the dev contracts on a chain that is not local without the flag, before sending anything", async function () {
    const conn = await network.create({ override: { chainId: SEPOLIA } });
    const [deployer] = await conn.ethers.getSigners();
    const o = {
      module: "local" as const,
      parameters: LOCAL_PARAMETERS,
      allowDevContractsOnPublicChain: false,
      root: ROOT,
      deploymentId: freshId("refused"),
      networkName: "sepolia-like",
    };
    expect(await rejection(deploy(conn, o))).to.equal(refusalSentence);
    expect(await conn.ethers.provider.getTransactionCount(deployer.address)).to.equal(0);
    expect(existsSync(path.join(ROOT, "deploy/deployments", o.deploymentId))).to.equal(false);
  });

  it("deploys the dev contracts there with the flag and records chain id, start block and ABI version", async function () {
    const conn = await network.create({ override: { chainId: SEPOLIA } });
    await conn.networkHelpers.mine(5);
    const deploymentId = freshId("flag");
    const { deployment, record } = await deploy(conn, {
      module: "local",
      parameters: LOCAL_PARAMETERS,
      allowDevContractsOnPublicChain: true,
      root: ROOT,
      deploymentId,
      networkName: "sepolia-like",
    });
    expect(record).to.equal(path.join(ROOT, "deploy/deployments", deploymentId, "verity.json"));
    const written = JSON.parse(readFileSync(record, "utf8"));
    expect(written).to.deep.equal({ abiVersion: ABI_VERSION, ...deployment });
    expect(written.chainId).to.equal(SEPOLIA);
    expect(written.startBlock).to.equal(5);
    const token = await conn.ethers.getContractAt("VerityTestToken", deployment.token);
    expect(await token.symbol()).to.equal("vUSD");
  });

  it("refuses the production module while the template's zero addresses are unfilled", async function () {
    const conn = await network.create();
    const o = {
      module: "production" as const,
      parameters: TEMPLATE,
      allowDevContractsOnPublicChain: false,
      root: ROOT,
      deploymentId: freshId("template"),
      networkName: "hardhat",
    };
    expect(await rejection(deploy(conn, o))).to.equal(
      `the parameters' Production.paymentToken is ${ZeroAddress}: set it to a real address (see deploy/parameters/production.template.json and the README's table)`,
    );
  });

  it("refuses a production payment token with no contract on the chain", async function () {
    const conn = await network.create();
    const [, treasury, nobody, governance] = await conn.ethers.getSigners();
    const parameters = {
      Production: {
        ...TEMPLATE.Production,
        paymentToken: nobody.address,
        treasury: treasury.address,
        governance: governance.address,
      },
    };
    const o = {
      module: "production" as const,
      parameters,
      allowDevContractsOnPublicChain: false,
      root: ROOT,
      deploymentId: freshId("nocode"),
      networkName: "hardhat",
    };
    expect(await rejection(deploy(conn, o))).to.equal(
      `Production.paymentToken ${nobody.address} has no contract on chain 31337: give the address of the existing ERC-20 on this chain`,
    );
  });

  it("deploys the production module on a chain that is not local and records every address", async function () {
    const conn = await network.create({ override: { chainId: SEPOLIA } });
    const [deployer, treasury, governance] = await conn.ethers.getSigners();
    const usd = await conn.ethers.deployContract("SixDecimalTestToken");
    const filled = { ...TEMPLATE.Production, paymentToken: await usd.getAddress(), treasury: treasury.address };
    // Governance must be another account than the deploying one (which renounces its roles).
    const asDeployer = { Production: { ...filled, governance: deployer.address } };
    expect(
      await rejection(
        deploy(conn, {
          module: "production",
          parameters: asDeployer,
          allowDevContractsOnPublicChain: false,
          root: ROOT,
          deploymentId: freshId("self-governed"),
          networkName: "sepolia-like",
        }),
      ),
    ).to.equal(
      `Production.governance is the deploying account ${deployer.address}: give the address of the multisig or timelock that will govern (the deployer renounces its roles and hands the admin role over to governance)`,
    );
    const parameters = { Production: { ...filled, governance: governance.address } };
    const startBlock = await conn.ethers.provider.getBlockNumber();
    const { deployment, record } = await deploy(conn, {
      module: "production",
      parameters,
      allowDevContractsOnPublicChain: false,
      root: ROOT,
      deploymentId: freshId("production"),
      networkName: "sepolia-like",
    });
    expect(deployment.token).to.equal(await usd.getAddress());
    expect(deployment.chainId).to.equal(SEPOLIA);
    expect(deployment.startBlock).to.equal(startBlock);
    const coordinator = await conn.ethers.getContractAt("InferenceCoordinator", deployment.coordinator);
    expect(await coordinator.token()).to.equal(await usd.getAddress());
    const tee = await conn.ethers.getContractAt("TeeVerifier", deployment.tee);
    expect(await tee.attestationVerifier()).to.equal(deployment.attestation);
    expect(JSON.parse(readFileSync(record, "utf8"))).to.deep.equal({ abiVersion: ABI_VERSION, ...deployment });
  });

  it("the command refuses without the flag against a served chain that is not local, and exits 1", async function () {
    const hre = (await import("hardhat")).default;
    const server = await hre.network.createServer(
      { network: "hardhat", override: { chainId: SEPOLIA } },
      "127.0.0.1",
      0,
    );
    const { port } = await server.listen();
    try {
      const run = promisify(execFile);
      const env = {
        ...process.env,
        VERITY_RPC_URL: `http://127.0.0.1:${port}`,
        // Hardhat's first development account: refused before it signs anything.
        VERITY_DEPLOYER_KEY: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
      };
      const args = ["--disable-warning=ExperimentalWarning", "--import", "tsx", "scripts/deploy.ts"];
      const failed = await run(process.execPath, [...args, "--network", "custom", "--module", "local"], {
        cwd: ROOT,
        env,
      }).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      expect(failed?.code).to.equal(1);
      expect(failed?.stderr).to.contain(
        `deploy failed: network "custom" is chain ${SEPOLIA}, not a local chain, and the "local" module deploys`,
      );
      expect(failed?.stderr).to.contain(`or pass ${ALLOW_DEV_FLAG} for a throwaway test deployment`);
    } finally {
      await server.close();
    }
  });
});
