import { createRequire } from "node:module";

import hardhatToolboxMochaEthersPlugin from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

// The compiler is never downloaded: Hardhat runs the WASM build shipped in the `solc` npm package.
// Version and path are both read from that package so they cannot disagree.
const require = createRequire(import.meta.url);
const SOLC_VERSION: string = require("solc/package.json").version;
const SOLC_PATH: string = require.resolve("solc/soljson.js");

/**
 * Public chains. RPC URLs, the deployer's key and explorer keys are configuration variables: Hardhat
 * reads them from its keystore (`npx hardhat keystore set VERITY_DEPLOYER_KEY`) or from environment
 * variables of the same name, only when a command uses that network — never from a file.
 */
const deployer = [configVariable("VERITY_DEPLOYER_KEY")];
const publicChain = (rpcVariable: string, chainType: "l1" | "op" = "l1") =>
  ({ type: "http", chainType, url: configVariable(rpcVariable), accounts: deployer }) as const;

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
    // `npm run rehearsal`: a stand-in for a public chain (its chain id is not a local one, so every
    // local-only guard applies) with a block a second, served by `hardhat node --network rehearsal`.
    rehearsal: { type: "edr-simulated", chainType: "l1", chainId: 271_828, mining: { auto: true, interval: 1000 } },
    // An L1 testnet and L2 testnets (Sepolia-based).
    sepolia: publicChain("SEPOLIA_RPC_URL"),
    baseSepolia: publicChain("BASE_SEPOLIA_RPC_URL", "op"),
    optimismSepolia: publicChain("OPTIMISM_SEPOLIA_RPC_URL", "op"),
    arbitrumSepolia: publicChain("ARBITRUM_SEPOLIA_RPC_URL"),
    // Any other EVM JSON-RPC chain: set VERITY_RPC_URL (and VERITY_DEPLOYER_KEY) and use --network custom.
    custom: publicChain("VERITY_RPC_URL"),
  },
  verify: {
    etherscan: { apiKey: configVariable("ETHERSCAN_API_KEY") },
  },
});
