import { createRequire } from "node:module";

import hardhatToolboxMochaEthersPlugin from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { defineConfig } from "hardhat/config";

// The compiler is never downloaded: Hardhat runs the WASM build shipped in the `solc` npm package.
// Version and path are both read from that package so they cannot disagree.
const require = createRequire(import.meta.url);
const SOLC_VERSION: string = require("solc/package.json").version;
const SOLC_PATH: string = require.resolve("solc/soljson.js");

const settings = {
  evmVersion: "cancun",
  viaIR: true,
  optimizer: { enabled: true, runs: 10_000 },
};

export default defineConfig({
  plugins: [hardhatToolboxMochaEthersPlugin],
  solidity: {
    profiles: {
      default: { version: SOLC_VERSION, path: SOLC_PATH, settings },
      production: { version: SOLC_VERSION, path: SOLC_PATH, settings },
    },
  },
  paths: {
    tests: { mocha: "test", solidity: "test" },
    // Ignition modules live in deploy/modules, deployments are written to deploy/deployments.
    ignition: "deploy",
  },
  typechain: { outDir: "typechain-types" },
  test: {
    solidity: { fuzz: { runs: 256 } },
    mocha: { timeout: 120_000 },
  },
  networks: {
    hardhat: { type: "edr-simulated", chainType: "l1" },
    // The chain `npm start` serves on 127.0.0.1: instant mining plus a block a second, so workers
    // waiting for confirmations make progress when nobody sends transactions.
    embedded: { type: "edr-simulated", chainType: "l1", mining: { auto: true, interval: 1000 } },
    localhost: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
  },
});
