// Hardhat 2.x configuration for the local development / test node of the witness ledger.
//
// Only the JSON-RPC node is used (`npx hardhat node --port N`); contracts are compiled by
// scripts/compile_contracts.py with the pinned solc-js (see solcjs-wrapper.js), not by Hardhat.
// The hardfork matches the evmVersion the contracts are compiled for.

/** @type {import('hardhat/config').HardhatUserConfig} */
module.exports = {
  defaultNetwork: "hardhat",
  networks: {
    hardhat: {
      chainId: 31337,
      hardfork: "cancun",
      mining: { auto: true, interval: 0 },
    },
  },
};
