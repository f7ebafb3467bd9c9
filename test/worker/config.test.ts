/** Worker configuration: a config file parses; every bad setting is named with its fix. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { expect } from "chai";
import { Wallet } from "ethers";

import { ConfigError, loadConfig, parseConfig } from "../../worker/config.ts";
import { tmp } from "./helpers.ts";

const env = {
  VERITY_OPERATOR_KEY: Wallet.createRandom().privateKey,
  VERITY_ENCLAVE_KEY: Wallet.createRandom().privateKey,
};

describe("worker configuration", function () {
  it("a config file parses with keys from the environment; paths are relative to the file", async function () {
    const dir = join(await tmp("config"), "node");
    mkdirSync(dir);
    const file = join(dir, "worker.json");
    writeFileSync(
      file,
      JSON.stringify({
        rpcUrl: "http://127.0.0.1:8545",
        deployment: { coordinator: Wallet.createRandom().address, tee: Wallet.createRandom().address },
        measurement: "0x" + "11".repeat(32),
        modelsDir: "../models",
        dbPath: "data/worker.sqlite",
        policy: { minFeePerModel: { "*": "0" } },
      }),
    );
    const c = await loadConfig(file, env);
    expect(c.rpcUrl).to.equal("http://127.0.0.1:8545");
    expect(c.modelsDir).to.equal(join(dir, "..", "models"));
    expect(c.dbPath).to.equal(join(dir, "data", "worker.sqlite"));
    expect(c.operatorKey).to.equal(env.VERITY_OPERATOR_KEY);
    expect(c.policy.minFeePerModel["*"]).to.equal(0n);
  });

  it("names each bad or missing setting and its fix", function () {
    let err: ConfigError | undefined;
    try {
      parseConfig({ rpcUrl: "localhost", deployment: { coordinator: "0x12" }, batchSize: 0 }, {});
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).to.be.instanceOf(ConfigError);
    const text = err!.issues.join("\n");
    expect(text).to.contain("rpcUrl: must be an http(s) URL");
    expect(text).to.contain("deployment.coordinator: must be a 0x-prefixed 20-byte address");
    expect(text).to.contain("batchSize:");
    expect(text).to.contain("enclaveKey:");
    expect(text).to.contain("modelsDir:");
    expect(text).to.contain("dbPath:");
  });
});

describe("worker configuration: unknown and renamed settings", function () {
  const base = {
    rpcUrl: "http://127.0.0.1:8545",
    deployment: { coordinator: "0x" + "11".repeat(20), tee: "0x" + "22".repeat(20) },
    enclaveKey: env.VERITY_ENCLAVE_KEY,
    operatorKey: env.VERITY_OPERATOR_KEY,
    measurement: "0x" + "33".repeat(32),
    modelsDir: "models",
    dbPath: "db.sqlite",
  };
  const issues = (raw: Record<string, unknown>, e: NodeJS.ProcessEnv = {}): string[] => {
    try {
      parseConfig(raw, e);
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      return (err as ConfigError).issues;
    }
    return [];
  };

  it("refuses a misspelled setting with the nearest valid name instead of using the default", function () {
    expect(issues({ ...base, confirmation: 12 })).to.deep.equal([
      'confirmation: unknown setting (fix: did you mean "confirmations"?)',
    ]);
    expect(issues({ ...base, pollIntervallMs: 50 })).to.deep.equal([
      'pollIntervallMs: unknown setting (fix: did you mean "pollIntervalMs"?)',
    ]);
    expect(issues({ ...base, gas: { bumpPercnt: 30 } })).to.deep.equal([
      'gas.bumpPercnt: unknown setting (fix: did you mean "gas.bumpPercent"?)',
    ]);
    expect(issues({ ...base, deployment: { ...base.deployment, cordinator: "0x" } })).to.deep.equal([
      'deployment.cordinator: unknown setting (fix: did you mean "deployment.coordinator"?)',
    ]);
  });

  it("lists the valid names when nothing is close, and names renamed settings", function () {
    const [far] = issues({ ...base, intake: { colour: "red" } });
    expect(far).to.equal(
      "intake.colour: unknown setting (fix: remove it; valid here: enabled, port, host, allowedOrigins, retainSec)",
    );
    expect(issues({ ...base, metricsPort: 9000 })).to.deep.equal([
      "metricsPort: renamed (fix: use httpPort (the port serves /metrics and /healthz; the private-input intake is on intake.port))",
    ]);
    expect(issues(base, { VERITY_METRICS_PORT: "9000" })).to.deep.equal([
      "VERITY_METRICS_PORT: renamed (fix: use VERITY_HTTP_PORT: the port serves /metrics and /healthz; the private-input intake is on VERITY_INTAKE_PORT)",
    ]);
    expect(parseConfig(base, { VERITY_HTTP_PORT: "9001" }).httpPort).to.equal(9001);
  });
});
