/**
 * The `verity` CLI end to end against a real `hardhat node` on 127.0.0.1 with a worker serving
 * requests: each command's success path and a bad input that must name the argument and the fix.
 * Also runs the README's SDK example as written.
 */
import { spawn } from "node:child_process";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { expect } from "chai";
import { Wallet, parseEther, parseUnits } from "ethers";
import type { Contract } from "ethers";

import { Mode, commitmentFor, zkSalt } from "@verity-ai/sdk";
import { NETWORKS } from "../../cli/context.ts";
import { loadConfig } from "../../worker/config.ts";
import { Worker } from "../../worker/worker.ts";
import { E18, MEASUREMENT, ROOT, deployProtocol, freePort, manifestRecord, startNode } from "../helpers/node.ts";
import type { LocalNode, Protocol } from "../helpers/node.ts";
import { newOperator, quiet, tmp, waitFor, workerConfig } from "../worker/helpers.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe("verity CLI (against a local node with a worker)", function () {
  this.timeout(240_000);
  let node: LocalNode;
  let p: Protocol;
  let worker: Worker;
  let deploymentFile: string;
  let intakePort: number;
  const user = Wallet.createRandom();

  function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
    return verity(["--rpc", node.url, "--deployment", deploymentFile, ...args], env);
  }
  /** The CLI with exactly these arguments. */
  function verity(args: string[], env: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        ["--disable-warning=ExperimentalWarning", "--import", "tsx", join(ROOT, "cli/main.ts"), ...args],
        { cwd: ROOT, env: { ...process.env, VERITY_PRIVATE_KEY: user.privateKey, ...env } },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }
  const json = async (args: string[], env: Record<string, string> = {}) => {
    const r = await cli([...args, "--json"], env);
    expect(r.code, r.stderr).to.equal(0);
    return JSON.parse(r.stdout);
  };

  before(async function () {
    node = await startNode();
    p = await deployProtocol(node);
    const dir = await tmp("cli");
    deploymentFile = join(dir, "deployment.json");
    const addr = (c: Contract) => c.getAddress();
    writeFileSync(
      deploymentFile,
      JSON.stringify({
        chainId: 31337,
        token: await addr(p.token),
        registry: await addr(p.registry),
        staking: await addr(p.staking),
        coordinator: await addr(p.coordinator),
        tee: await addr(p.tee),
        attestation: await addr(p.attestation),
      }),
    );
    await node.rpc("hardhat_setBalance", [user.address, "0x" + parseEther("100").toString(16)]);
    await (await (p.token.connect(p.admin) as Contract).getFunction("mint")(user.address, 10_000n * E18)).wait();
    const op = await newOperator(p);
    // The node automines without empty blocks: serve requests as soon as they are mined.
    intakePort = await freePort();
    worker = new Worker(await workerConfig(p, op, { confirmations: 0, intake: { port: intakePort } }), {
      logger: quiet,
    });
    await worker.start();
  });

  after(async function () {
    await worker?.stop();
    await node?.stop();
  });

  let modelId: string;

  it("model register / publish / pricing / list / show", async function () {
    const reg = await json([
      "model",
      "register",
      "--name",
      "cli-iris",
      "--price",
      "1.5",
      "--royalty-bps",
      "1000",
      "--manifest",
      "models/iris",
    ]);
    modelId = reg.modelId;
    expect(modelId).to.equal(await p.registry.getFunction("modelIdOf")(user.address, "cli-iris"));
    const iris = JSON.parse(readFileSync(join(ROOT, "models/iris/manifest.json"), "utf8"));
    expect(reg.weightsHash).to.equal(iris.weightsHash);

    const pub = await json(["model", "publish", modelId, "--manifest", "models/iris"]);
    expect(pub.version).to.equal("2");
    await json(["model", "pricing", modelId, "--price", "2", "--royalty-bps", "500"]);
    const model = await p.registry.getFunction("getModel")(modelId);
    expect(model.price).to.equal(parseUnits("2", 18));
    expect(model.royaltyBps).to.equal(500n);

    const list = await json(["model", "list"]);
    expect(list.map((m: { name: string }) => m.name)).to.include.members(["iris", "silero-vad", "cli-iris"]);
    const show = await cli(["model", "show", modelId]);
    expect(show.code).to.equal(0);
    expect(show.stdout).to.contain(`v2: ${iris.weightsHash} onnx int32be-milli-x4/uint256-argmax`);
  });

  it("model commands reject bad arguments with the argument named", async function () {
    let r = await cli(["model", "register", "--name", "x", "--price", "abc", "--manifest", "models/iris"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain(`--price must be a token amount like 10 or 2.5, got "abc"`);
    r = await cli(["model", "pricing", modelId, "--price", "1", "--royalty-bps", "20000"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain("--royalty-bps must be a whole number from 0 to 10000");
    r = await cli(["model", "register", "--name", "x", "--price", "1"]);
    expect(r.stderr).to.contain("missing weights hash: pass --weights-hash <0x…> or --manifest <model folder>");
    const stranger = Wallet.createRandom();
    await node.rpc("hardhat_setBalance", [stranger.address, "0x" + parseEther("1").toString(16)]);
    r = await cli(["model", "publish", modelId, "--manifest", "models/iris"], {
      VERITY_PRIVATE_KEY: stranger.privateKey,
    });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain(`RegistryNotOwner(${modelId}, ${stranger.address})`);
    r = await cli(["model", "register", "--name", "x", "--price", "1", "--manifest", "models/iris"], {
      VERITY_PRIVATE_KEY: "",
    });
    expect(r.stderr).to.contain("set VERITY_PRIVATE_KEY, or VERITY_KEYSTORE and VERITY_KEYSTORE_PASSWORD");
  });

  it("balance deposit / show / withdraw, and an overdraft is refused with the contract's error", async function () {
    const dep = await json(["balance", "deposit", "20"]);
    expect(dep.balance).to.equal((20n * E18).toString());
    const wd = await json(["balance", "withdraw", "5"]);
    expect(wd.balance).to.equal((15n * E18).toString());
    const show = await json(["balance", "show"]);
    expect(show.balance).to.equal((15n * E18).toString());
    expect(show.wallet).to.equal((10_000n * E18 - 15n * E18).toString());
    // Amounts are read in the token's decimals (18 here): more digits than that are refused, not rounded.
    const fine = await cli(["balance", "deposit", "1.0000000000000000001"]);
    expect(fine.code).to.equal(1);
    expect(fine.stderr).to.contain("amount 1.0000000000000000001 has 19 decimals but vUSD has 18");
    const r = await cli(["balance", "withdraw", "1000"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain(`CoordinatorInsufficientBalance(${user.address}, ${15n * E18}, ${1000n * E18})`);
  });

  let requestId: string;

  it("request --wait returns the verified output; result show and verify agree", async function () {
    const res = await json([
      "request",
      "--model",
      modelId,
      "--values",
      "[5.1,3.5,1.4,0.2]",
      "--wait",
      "--wait-timeout",
      "60",
    ]);
    expect(res.status).to.equal("Fulfilled");
    expect(res.decoded).to.equal("0"); // setosa
    requestId = res.requestId;
    const show = await json(["result", "show", requestId]);
    expect(show.status).to.equal("Fulfilled");
    expect(show.fulfilment.operator).to.equal(worker.operator.address);
    const verify = await cli(["result", "verify", requestId]);
    expect(verify.code, verify.stderr).to.equal(0);
    expect(verify.stdout).to.contain("VERIFIED (TEE)");
    expect(verify.stdout).to.contain("✔ signature");
    expect(verify.stdout).to.contain("✔ enclave-active");
    expect(verify.stdout).to.contain("! attestation: enclave");
    expect(verify.stdout).to.contain(
      "which is not a TDX verifier (the development verifier checks no hardware evidence)",
    );
  });

  it("request --private: only a commitment on-chain, the input to the operator's intake, verified result", async function () {
    const salt = "0x" + "5a".repeat(32);
    const recordOut = join(await tmp("cli-record"), "iris-record.json");
    const res = await json([
      "request",
      "--model",
      modelId,
      "--values",
      "[6.3,3.3,6.0,2.5]",
      "--private",
      "--operator-url",
      `http://127.0.0.1:${intakePort}`,
      "--salt",
      salt,
      "--record-out",
      recordOut,
      "--wait",
      "--wait-timeout",
      "60",
    ]);
    expect(res.status).to.equal("Fulfilled");
    expect(res.decoded).to.equal("2"); // virginica
    const show = await json(["result", "show", res.requestId]);
    expect(show.input).to.equal(undefined);
    const input = "0x" + [6300, 3300, 6000, 2500].map((v) => v.toString(16).padStart(8, "0")).join("");
    // Iris's manifest declares a field record: the commitment is its field-tree root, not keccak256(input, salt).
    const commitment = await commitmentFor(Mode.TEE, input, salt, manifestRecord("iris"));
    expect(show.request.inputHash).to.equal(commitment);
    expect(res.commitment).to.equal(commitment);
    expect(res.record).to.equal(recordOut);
    expect(JSON.parse(readFileSync(recordOut, "utf8"))).to.deep.equal({
      model: "iris-mlp",
      requestId: res.requestId,
      mode: "TEE",
      commitment,
      values: { sepal_length: "6.3", sepal_width: "3.3", petal_length: "6", petal_width: "2.5" },
      masterSalt: zkSalt(salt).toString(),
      salt,
    });
    expect(statSync(recordOut).mode & 0o777).to.equal(0o600);
    const verify = await cli(["result", "verify", res.requestId]);
    expect(verify.code, verify.stdout + verify.stderr).to.equal(0);
    expect(verify.stdout).to.contain("✔ input: private input: commitment");
    // A wrong intake URL is refused before anything is paid.
    const before = await json(["balance", "show"]);
    const bad = await cli([
      "request",
      "--model",
      modelId,
      "--values",
      "[6.3,3.3,6.0,2.5]",
      "--private",
      "--operator-url",
      `http://127.0.0.1:${await freePort()}`,
    ]);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(
      /the operator's intake at http:\/\/127\.0\.0\.1:\d+ does not answer \(.*\): check --operator-url before paying/,
    );
    expect(await json(["balance", "show"])).to.deep.equal(before);
  });

  it("model royalties / claim: the owner claims what its model earned; anyone else is refused", async function () {
    // Two requests of cli-iris were served above at price 2 with a 500 bps royalty: 0.1 each.
    const royalty = parseUnits("0.1", 18);
    let rows = await json(["model", "royalties", modelId]);
    expect(rows).to.deep.equal([{ modelId, royalties: (2n * royalty).toString() }]);
    const before = BigInt((await json(["balance", "show"])).balance);
    const claim = await json(["model", "claim", modelId]);
    expect(claim.claimed).to.equal((2n * royalty).toString());
    expect(BigInt((await json(["balance", "show"])).balance)).to.equal(before + 2n * royalty);
    rows = await json(["model", "royalties", modelId]);
    expect(rows).to.deep.equal([{ modelId, royalties: "0" }]);
    let r = await cli(["model", "claim", modelId]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain("CoordinatorNothingToWithdraw()");
    const stranger = Wallet.createRandom();
    await node.rpc("hardhat_setBalance", [stranger.address, "0x" + parseEther("1").toString(16)]);
    r = await cli(["model", "claim", modelId], { VERITY_PRIVATE_KEY: stranger.privateKey });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain(`CoordinatorNotModelOwner(${modelId}, ${user.address}, ${stranger.address})`);
    r = await cli(["model", "royalties", "0x1234"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain(`modelId must be 0x followed by 64 hex digits, got "0x1234"`);
  });

  it("request rejects inputs that do not fit the model and unsupported flags", async function () {
    let r = await cli(["request", "--model", modelId, "--values", "[1,2]"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain(`--values do not fit the model's input encoding "int32be-milli-x4"`);
    r = await cli(["request", "--model", modelId, "--input", "0x01", "--values", "[1,2,3,4]"]);
    expect(r.stderr).to.contain("give exactly one of --input <hex>, --input-file <file> or --values <json array>");
    r = await cli(["request", "--model", modelId, "--values", "[1,2,3,4]", "--mode", "sgx"]);
    expect(r.stderr).to.contain(`mode must be one of tee, zk, optimistic, got "sgx"`);
    r = await cli(["request", "--model", modelId, "--values", "[1,2,3,4]", "--private"]);
    expect(r.stderr).to.contain("--private needs --operator-url <url>");
    r = await cli([
      "request",
      "--model",
      modelId,
      "--values",
      "[1,2,3,4]",
      "--mode",
      "zk",
      "--private",
      "--operator-url",
      "http://127.0.0.1:1",
    ]);
    expect(r.stderr).to.contain(
      "--mode zk needs the operator that serves it: cannot read the operator from http://127.0.0.1:1/healthz (",
    );
    expect(r.stderr).to.contain("check the operator URL, or pass --operator <address>");
    r = await cli(["result", "show", "0x1234"]);
    expect(r.stderr).to.contain("request 4660 is unknown to coordinator");
  });

  it("request --help prints every option (bigint defaults included)", async function () {
    const r = await cli(["request", "--help"]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain("--max-fee <amount>");
    expect(r.stdout).to.contain("refund <requestId>");
  });

  it("preflight: a 1,024-byte input to the 16-byte iris model, an unknown model, or no funds are refused before paying", async function () {
    const before = await json(["balance", "show"]);
    let r = await cli(["request", "--model", modelId, "--input", "0x" + "00".repeat(1024)]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain(
      "the input is 1024 bytes; version 2 takes 16 (int32be-milli-x4): encode it with --values",
    );
    r = await cli(["request", "--model", "0x" + "ee".repeat(32), "--values", "[5.1,3.5,1.4,0.2]"]);
    expect(r.stderr).to.contain(`model 0x${"ee".repeat(32)} is not registered: check the id with "verity model list"`);
    r = await cli(["request", "--model", modelId, "--values", "[5.1,3.5,1.4,0.2]", "--max-fee", "0.5"]);
    expect(r.stderr).to.contain(
      "the fee is 2.0 vUSD, above your maximum of 0.5 vUSD: raise the maximum or wait for a lower price",
    );
    const broke = Wallet.createRandom();
    r = await cli(["request", "--model", modelId, "--values", "[5.1,3.5,1.4,0.2]"], {
      VERITY_PRIVATE_KEY: broke.privateKey,
    });
    expect(r.stderr).to.contain(
      "your wallet holds 0.0 vUSD and your coordinator balance 0.0 vUSD; the request needs 2.0 vUSD: fund the wallet",
    );
    expect(r.stderr).to.contain("holds no native currency to pay gas: send it some first");
    expect(await json(["balance", "show"])).to.deep.equal(before);
  });

  it("request refund: refused before the deadline with the date, then the escrow returns; result wait follows a request", async function () {
    const idle = (await newOperator(p)).wallet.address; // staked, but runs no node: never serves it
    const unstaked = await cli([
      "request",
      "--model",
      modelId,
      "--values",
      "[5.1,3.5,1.4,0.2]",
      "--operator",
      user.address,
    ]);
    expect(unstaked.stderr).to.contain(
      `operator ${user.address} is not eligible (not staked to the minimum, or jailed)`,
    );
    const res = await json([
      "request",
      "--model",
      modelId,
      "--values",
      "[5.1,3.5,1.4,0.2]",
      "--operator",
      idle,
      "--timeout",
      "600",
    ]);
    expect(res.requestId).to.match(/^0x[0-9a-f]{64}$/);
    let r = await cli(["request", "refund", res.requestId]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain(`request ${res.requestId} is open until`);
    expect(r.stderr).to.contain("refund it after its deadline");
    const waiting = await cli(["result", "wait", res.requestId, "--timeout", "1"]);
    expect(waiting.code).to.equal(1);
    expect(waiting.stderr).to.contain(`request ${res.requestId} is still Open after 1 s`);
    // With the running operator's intake: its status of the job (it is not the named operator).
    await waitFor("worker skipped the request", async () => worker.store.get(res.requestId)?.state === "skipped");
    const watched = await cli([
      "result",
      "wait",
      res.requestId,
      "--timeout",
      "1",
      "--operator-url",
      `http://127.0.0.1:${intakePort}`,
    ]);
    expect(watched.code).to.equal(1);
    expect(watched.stderr).to.contain(
      "operator: skipped (assigned-to-other) — skipped: the request names another operator; that operator serves it",
    );
    await node.provider.send("evm_increaseTime", [601]);
    await node.provider.send("evm_mine", []);
    const before = BigInt((await json(["balance", "show"])).balance);
    const refunded = await json(["request", "refund", res.requestId]);
    expect(refunded.amount).to.equal(res.fee);
    expect(BigInt((await json(["balance", "show"])).balance)).to.equal(before + BigInt(res.fee));
    r = await cli(["request", "refund", res.requestId]);
    expect(r.stderr).to.contain(`request ${res.requestId} is already refunded: there is nothing to refund`);
    const waited = await json(["result", "wait", requestId]);
    expect(waited.status).to.equal("Fulfilled");
    expect(waited.operator).to.equal(worker.operator.address);
  });

  it("operator stake / status / unstake / withdraw-too-early / register-enclave", async function () {
    const st = await json(["operator", "stake", "1000"]);
    expect(st.staked).to.equal((1000n * E18).toString());
    let status = await json(["operator", "status"]);
    expect(status.eligible).to.equal(true);
    // A request assigned to this operator: it accepts it (and a stranger cannot).
    const assigned = await json([
      "request",
      "--model",
      modelId,
      "--values",
      "[5.1,3.5,1.4,0.2]",
      "--operator",
      user.address,
    ]);
    const stranger = Wallet.createRandom();
    await node.rpc("hardhat_setBalance", [stranger.address, "0x" + parseEther("1").toString(16)]);
    const refused = await cli(["operator", "accept", assigned.requestId], { VERITY_PRIVATE_KEY: stranger.privateKey });
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.contain(
      `CoordinatorNotAssignedOperator(${BigInt(assigned.requestId)}, ${user.address}, ${stranger.address})`,
    );
    const accepted = await json(["operator", "accept", assigned.requestId]);
    expect(accepted.requestId).to.equal(assigned.requestId);
    expect((await json(["result", "show", assigned.requestId])).status).to.equal("Accepted");
    // The accepted request reserves the missed-deadline penalty (100) out of the 1,000 staked.
    status = await json(["operator", "status"]);
    expect(status.locked).to.equal((100n * E18).toString());
    expect(status.acceptedJobs.map((j: { requestId: string }) => j.requestId)).to.deep.equal([assigned.requestId]);
    const tooMuch = await cli(["operator", "unstake", "950"]);
    expect(tooMuch.code).to.equal(1);
    expect(tooMuch.stderr).to.contain(
      "cannot unstake 950.0 vUSD: 100.0 vUSD of your 1000.0 vUSD stake is reserved for requests you accepted",
    );
    // Dropping below the minimum stake costs eligibility: asked first, refused off a terminal without --yes.
    const unconfirmed = await cli(["operator", "unstake", "10"]);
    expect(unconfirmed.code).to.equal(1);
    expect(unconfirmed.stderr).to.contain("this unstake needs your confirmation");
    expect(unconfirmed.stderr).to.contain("your stake drops to 990.0 vUSD, below the minimum 1000.0 vUSD");
    expect((await p.staking.getFunction("stakeOf")(user.address)).unbonding).to.equal(0n);
    const un = await json(["operator", "unstake", "10", "--yes"]);
    expect(un.unbonding).to.equal((10n * E18).toString());
    expect(un.staked).to.equal((990n * E18).toString());
    status = await json(["operator", "status"]);
    expect(status.eligible).to.equal(false);
    // A second unstake restarts the clock of what is already unbonding: named as a cost too.
    const again = await cli(["operator", "unstake", "1"]);
    expect(again.stderr).to.contain("the 10.0 vUSD already unbonding restarts its clock");
    const r = await cli(["operator", "withdraw"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain(`StakingStillUnbonding(${user.address}, ${un.availableAt})`);
    const enclave = Wallet.createRandom();
    const reg = await json(["operator", "register-enclave", "--measurement", MEASUREMENT], {
      VERITY_ENCLAVE_KEY: enclave.privateKey,
    });
    expect(reg.enclave).to.equal(enclave.address);
    const e = await p.tee.getFunction("getEnclave")(enclave.address);
    expect(e.operator).to.equal(user.address);
    status = await json(["operator", "status"]);
    expect(status.enclaves).to.deep.include({
      enclaveKey: enclave.address,
      measurement: MEASUREMENT,
      expired: false,
      currentVerifier: true,
      measurementApproved: true,
      active: true,
      equivocated: false,
      accepted: true,
      registrationTx: reg.tx,
    });
    // The development verifier's registrations never expire (no validUntil).
    expect(status.enclaves[0]).to.not.have.property("validUntil");
    const human = await cli(["operator", "status"]);
    expect(human.stdout).to.contain(`${enclave.address}  measurement ${MEASUREMENT}  accepted  no expiry`);
    expect(human.stdout).to.contain(`accepted jobs not yet delivered (1):\n    ${assigned.requestId}`);
    // The approved measurements, as the attestation verifier in force says.
    const list = await json(["operator", "measurements"]);
    expect(list).to.deep.include({ verifier: await p.attestation.getAddress(), kind: "development" });
    expect(list.measurements.map((m: { measurement: string }) => m.measurement)).to.deep.equal([MEASUREMENT]);
    await (await p.attestation.getFunction("setMeasurementApproval")(MEASUREMENT, false)).wait();
    expect((await json(["operator", "measurements"])).measurements).to.deep.equal([]);
    status = await json(["operator", "status"]);
    expect(status.enclaves[0]).to.include({ measurementApproved: false, accepted: false });
    await (await p.attestation.getFunction("setMeasurementApproval")(MEASUREMENT, true)).wait();
    const bad = await cli(["operator", "register-enclave", "--measurement", "0x" + "11".repeat(32)], {
      VERITY_ENCLAVE_KEY: "",
    });
    expect(bad.stderr).to.contain("set VERITY_ENCLAVE_KEY");
  });

  it("--network: a public chain's RPC URL comes from its variable (as in hardhat.config.ts); a missing one is named", async function () {
    const missing = await verity(["--network", "baseSepolia", "balance", "show", user.address], {
      BASE_SEPOLIA_RPC_URL: "",
    });
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.contain(
      "--network baseSepolia reads its RPC URL from BASE_SEPOLIA_RPC_URL: set it (export BASE_SEPOLIA_RPC_URL=https://…), or pass --rpc <url>",
    );
    const shown = await verity(
      ["--network", "custom", "--deployment", deploymentFile, "balance", "show", user.address, "--json"],
      { VERITY_RPC_URL: node.url },
    );
    expect(shown.code, shown.stderr).to.equal(0);
    expect(JSON.parse(shown.stdout).account).to.equal(user.address);
    const unknown = await verity(["--network", "mainnet", "balance", "show", user.address]);
    expect(unknown.stderr).to.contain('unknown --network "mainnet": use one of localhost, sepolia, baseSepolia');
    // The CLI's names and variables are hardhat.config.ts's.
    const config = (await import("../../hardhat.config.ts")).default as unknown as {
      networks: Record<string, { url?: string | { name: string } }>;
    };
    for (const [name, n] of Object.entries(NETWORKS)) {
      const url = config.networks[name]?.url;
      expect(url, name).to.deep.equal("url" in n ? n.url : { ...(url as object), name: n.env });
    }
  });

  it("token mint: the token's owner mints, anyone else gets the contract's error", async function () {
    const owner = node.account(0);
    const minted = await json(["token", "mint", "5", "--to", user.address], { VERITY_PRIVATE_KEY: owner.privateKey });
    expect(minted.to).to.equal(user.address);
    expect(minted.amount).to.equal((5n * E18).toString());
    const r = await cli(["token", "mint", "5"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain(`OwnableUnauthorizedAccount(${user.address})`);
  });

  it("worker start refuses a bad configuration, naming the setting", async function () {
    const dir = await tmp("cli-worker");
    const file = join(dir, "worker.json");
    writeFileSync(file, JSON.stringify({ rpcUrl: "not a url", modelsDir: "models" }));
    const r = await cli(["worker", "start", "--config", file]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain("rpcUrl: must be an http(s) URL");
  });

  it("worker init writes a configuration the node accepts, with a fresh encrypted key; refuses to overwrite", async function () {
    const dir = await tmp("cli-init");
    const out = join(dir, "node", "worker.json");
    const env = { VERITY_KEYSTORE_PASSWORD: "correct horse" };
    const init = await json(
      [
        "worker",
        "init",
        "--measurement",
        MEASUREMENT,
        "--out",
        out,
        "--new-key",
        "--allow-origin",
        "https://app.example.org",
      ],
      env,
    );
    expect(init.operator).to.match(/^0x[0-9a-fA-F]{40}$/);
    const written = JSON.parse(readFileSync(out, "utf8"));
    expect(written).to.deep.include({
      rpcUrl: node.url,
      chainId: 31337,
      deployment: { coordinator: await p.coordinator.getAddress(), tee: await p.tee.getAddress() },
      startBlock: 0,
      measurement: MEASUREMENT,
      tee: { provider: "development-unattested" },
      confirmations: 0,
      operatorKeystore: "operator.keystore.json",
      httpPort: 9464,
      intake: { port: 9480, host: "127.0.0.1", allowedOrigins: ["https://app.example.org"] },
    });
    // A TDX node: the measurement comes from its quote; configfs-tsm options only with that provider.
    const tdxOut = join(dir, "tdx.json");
    await json(["worker", "init", "--tee", "tdx-configfs", "--tsm-dir", dir, "--tsm-entry", "verity", "--out", tdxOut]);
    const tdxConfig = JSON.parse(readFileSync(tdxOut, "utf8"));
    expect(tdxConfig.tee).to.deep.equal({ provider: "tdx-configfs", reportDir: dir, reportEntry: "verity" });
    expect(tdxConfig).to.not.have.property("measurement");
    const misplaced = await cli([
      "worker",
      "init",
      "--measurement",
      MEASUREMENT,
      "--tsm-dir",
      dir,
      "--out",
      join(dir, "c.json"),
    ]);
    expect(misplaced.stderr).to.contain("--tsm-dir and --tsm-entry go with --tee tdx-configfs");
    const noMeasurement = await cli(["worker", "init", "--out", join(dir, "d.json")]);
    expect(noMeasurement.stderr).to.contain(
      "the development provider registers the measurement you give: pass --measurement <the approved measurement>",
    );
    const config = await loadConfig(out, { ...env, VERITY_ENCLAVE_KEY: Wallet.createRandom().privateKey });
    expect(config.operatorKeystore).to.equal(join(dir, "node", "operator.keystore.json"));
    expect(config.modelsDir).to.equal(join(dir, "node", "models"));
    const again = await cli(["worker", "init", "--measurement", MEASUREMENT, "--out", out], env);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.contain(`${out} exists: choose another --out, or pass --force to overwrite it`);
    const noPassword = await cli([
      "worker",
      "init",
      "--measurement",
      MEASUREMENT,
      "--out",
      join(dir, "b.json"),
      "--new-key",
    ]);
    expect(noPassword.stderr).to.contain("--new-key encrypts the key: set VERITY_KEYSTORE_PASSWORD first");
  });

  it("the README's SDK example runs as written", async function () {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const match = /<!-- sdk-example -->\s*```ts\n([\s\S]*?)```/.exec(readme);
    expect(match, "README has an sdk-example block").to.not.equal(null);
    const file = join(ROOT, ".readme-example.test-tmp.ts");
    writeFileSync(file, match![1]!);
    try {
      const r = await new Promise<Run>((resolve) => {
        const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "--import", "tsx", file], {
          cwd: ROOT,
          env: {
            ...process.env,
            VERITY_RPC_URL: node.url,
            VERITY_DEPLOYMENT: deploymentFile,
            VERITY_PRIVATE_KEY: user.privateKey,
            VERITY_MODEL_ID: modelId,
          },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/request 0x[0-9a-f]+ → Fulfilled, class 0, verified: true/);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
