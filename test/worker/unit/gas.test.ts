/** The gas model: callback budgets on top of every batch, learning per mode, forgetting after a revert. */
import { expect } from "chai";

import { callbackGasBudget } from "@verity-ai/sdk";

import { BATCH_RESERVE, GasModel } from "../../../worker/stages/gas.ts";
import { request } from "./fixtures.ts";

describe("gas model", function () {
  const plain = [request(1), request(2)];
  const withCallback = [
    request(1),
    request(2, { callback: "0x00000000000000000000000000000000000000cc", callbackGasLimit: 100_000n }),
  ];

  it("adds the callback budgets and the reserve to the estimate, then the margin, for every batch", function () {
    const g = new GasModel(20);
    expect(g.limit(1, plain, 1_000_000n)).to.equal(((1_000_000n + BATCH_RESERVE) * 120n) / 100n);
    const budget = callbackGasBudget(withCallback[1]!);
    expect(budget > 100_000n).to.equal(true);
    expect(g.limit(1, withCallback, 1_000_000n)).to.equal(((1_000_000n + budget + BATCH_RESERVE) * 120n) / 100n);
  });

  it("needs an estimate until a receipt of that mode was seen, then uses the per-result gas of that mode", function () {
    const g = new GasModel(0);
    expect(() => g.limit(1, plain)).to.throw(Error, "no estimate and nothing learnt for mode 1");
    g.learn(1, 50_001n, 2, 0n);
    expect(g.perResult(1)).to.equal(25_001n); // rounded up
    expect(g.perResult(2)).to.equal(undefined);
    expect(g.limit(1, plain)).to.equal(2n * 25_001n + BATCH_RESERVE);
    g.learn(1, 40_000n, 2, 0n); // a cheaper batch does not lower it
    expect(g.perResult(1)).to.equal(25_001n);
    g.learn(1, 300_000n + 60_000n, 3, 60_000n); // callbacks are not per-result gas
    expect(g.perResult(1)).to.equal(100_000n);
    g.forget();
    expect(g.perResult(1)).to.equal(undefined);
  });

  it("estimates once per mode: later batches use the first estimate per result until a receipt teaches the real one", function () {
    const g = new GasModel(0);
    expect(g.perResult(1)).to.equal(undefined);
    const three = [request(1), request(2), request(3)];
    expect(g.limit(1, three, 100_000n)).to.equal(100_000n + BATCH_RESERVE);
    expect(g.perResult(1)).to.equal(33_334n); // rounded up
    expect(g.perResult(2)).to.equal(undefined);
    expect(g.limit(1, plain)).to.equal(2n * 33_334n + BATCH_RESERVE);
    g.limit(1, plain, 10n); // a later estimate (e.g. after a skip) does not replace the first
    expect(g.perResult(1)).to.equal(33_334n);
    g.learn(1, 50_000n, 2, 0n); // a receipt wins over the estimate
    expect(g.perResult(1)).to.equal(25_000n);
    expect(g.trusted(1)).to.equal(false); // an estimate alone never earns trust
    g.forget();
    expect(g.perResult(1)).to.equal(undefined);
    g.limit(1, [request(1)], 90_000n); // a single's estimate says nothing per result of a batch
    expect(g.perResult(1)).to.equal(undefined);
  });

  it("trusts a mode (no simulation) only once it learnt from a clean batch; a skip or a revert ends the trust", function () {
    const g = new GasModel(0);
    g.trust(1);
    expect(g.trusted(1)).to.equal(false); // nothing learnt yet
    g.learn(1, 50_000n, 2, 0n);
    expect(g.trusted(1)).to.equal(true);
    expect(g.trusted(2)).to.equal(false);
    g.distrust();
    expect(g.trusted(1)).to.equal(false);
    expect(g.perResult(1)).to.equal(25_000n); // the gas learnt is kept
    g.trust(1);
    g.forget();
    expect(g.trusted(1)).to.equal(false);
  });
});
