import { expect } from "chai";
import { MaxUint256, keccak256, toUtf8Bytes } from "ethers";
import type { HDNodeWallet } from "ethers";
import { network } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import { requestIdOf, requestParams, RequestStatus, toRequest, type Request, operatorShare } from "@verity-ai/sdk";
import { E18, INPUT_64, teeProof } from "../helpers/fixture.ts";
import { deployEnv, eventsOf, registerModelAs } from "../helpers/coordinator.ts";

const conn = await network.create();
const { networkHelpers } = conn;

async function deploy() {
  const d = await deployEnv(conn);
  const staking = await d.staking.getAddress();
  // Enough extra stake that missed-deadline slashes never make an operator ineligible.
  for (const op of [d.operator, d.operator2]) {
    await d.token.connect(op).approve(staking, 20_000n * E18);
    await d.staking.connect(op).stake(20_000n * E18);
  }
  await d.token.connect(d.other).approve(await d.coordinator.getAddress(), MaxUint256);
  // A second model, owned by another account, with another price and royalty.
  const modelB = await registerModelAs(d, d.other, { name: "iris-b", price: 7n * E18, royaltyBps: 3_500n });
  return { ...d, modelB };
}

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STEPS = 150;
const SEED = 0x5eed_c0de;

describe("InferenceCoordinator: conservation invariant", function () {
  it(`token balance == internal balances + open escrow + protocol fees + royalties, over ${STEPS} random steps`, async function () {
    const d = await networkHelpers.loadFixture(deploy);
    const rand = prng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const below = (n: bigint): bigint => (n <= 0n ? 0n : BigInt(Math.floor(rand() * 1e9)) % n);

    const coordinator = await d.coordinator.getAddress();
    const requesters = [d.requester, d.other];
    const operators: [HardhatEthersSigner, HDNodeWallet][] = [
      [d.operator, d.enclave],
      [d.operator2, d.enclave2],
    ];
    const holders = [d.admin, d.treasury, d.modelOwner, d.operator, d.operator2, d.requester, d.other];
    const penalty = (await d.coordinator.limits())[3];
    const models = [d.modelId, d.modelB];
    // Who may own a model: ownership moves between them.
    const owners = [d.modelOwner, d.other, d.operator];

    // Model of the coordinator's books.
    const model = new Map<string, bigint>(holders.map((h) => [h.address, 0n]));
    let modelFees = 0n;
    const royalties = new Map<string, bigint>(models.map((m) => [m, 0n]));
    const ownerOf = new Map<string, HardhatEthersSigner>([
      [d.modelId, d.modelOwner],
      [d.modelB, d.other],
    ]);
    const open = new Map<bigint, Request>();
    const fulfilled: Request[] = [];
    const counts: Record<string, number> = {};

    const credit = (a: string, x: bigint) => model.set(a, (model.get(a) ?? 0n) + x);

    async function check(step: number, action: string) {
      let sum = 0n;
      for (const h of holders) {
        const b = await d.coordinator.balanceOf(h.address);
        expect(b, `step ${step} ${action}: balance of ${h.address}`).to.equal(model.get(h.address));
        sum += b;
      }
      const fees = await d.coordinator.protocolFeesAccrued();
      expect(fees, `step ${step} ${action}: protocol fees`).to.equal(modelFees);
      let accrued = 0n;
      for (const m of models) {
        const r = await d.coordinator.royaltiesOf(m);
        expect(r, `step ${step} ${action}: royalties of ${m}`).to.equal(royalties.get(m));
        accrued += r;
      }
      let escrow = 0n;
      for (const r of open.values()) escrow += r.fee;
      expect(await d.token.balanceOf(coordinator), `step ${step} ${action}: conservation`).to.equal(
        sum + escrow + fees + accrued,
      );
    }

    async function unexpired(margin = 30n) {
      const now = BigInt(await networkHelpers.time.latest());
      return [...open.values()].filter((r) => r.deadline > now + margin);
    }

    async function fulfilOne(r: Request, op: HardhatEthersSigner, enclave: HDNodeWallet, output: string) {
      const proof = await teeProof(d, r, output, enclave, op.address);
      await d.coordinator.connect(op).fulfill(r, output, proof);
      open.delete(requestIdOf(r));
      fulfilled.push(r);
      credit(op.address, operatorShare(r));
      royalties.set(r.modelId, royalties.get(r.modelId)! + r.royalty);
      modelFees += r.protocolFee;
    }

    function operatorFor(r: Request) {
      if (r.operator !== "0x0000000000000000000000000000000000000000") {
        return operators.find(([o]) => o.address === r.operator)!;
      }
      return pick(operators);
    }

    await check(-1, "start");
    for (let step = 0; step < STEPS; step++) {
      const roll = rand();
      let action: string;
      if (roll < 0.12) {
        action = "deposit";
        const who = pick(requesters);
        const amount = 1n + below(30n * E18);
        await d.coordinator.connect(who).deposit(amount);
        credit(who.address, amount);
      } else if (roll < 0.42) {
        action = "request";
        const who = pick(requesters);
        const tip = rand() < 0.5 ? 0n : below(3n * E18);
        const assigned = rand() < 0.5 ? "0x0000000000000000000000000000000000000000" : pick(operators)[0].address;
        const isPrivate = rand() < 0.2;
        const before = model.get(who.address)!;
        const tx = await d.coordinator.connect(who).requestInference(
          requestParams({
            modelId: pick(models),
            operator: assigned,
            tip,
            timeout: pick([60, 120, 600, 3600]),
            storeOutput: rand() < 0.3,
            input: isPrivate ? "0x" : INPUT_64,
            inputCommitment: isPrivate ? keccak256(toUtf8Bytes(`secret ${step}`)) : "0x" + "00".repeat(32),
          }),
        );
        const receipt = (await tx.wait())!;
        const parsed = receipt.logs
          .map((l) => d.coordinator.interface.parseLog(l))
          .find((p) => p?.name === "InferenceRequested")!;
        const r = toRequest(parsed.args.request.toObject());
        open.set(requestIdOf(r), r);
        // Assigned operators accept their jobs (which makes missing the deadline slashable).
        if (assigned !== "0x0000000000000000000000000000000000000000") {
          const op = operators.find(([o]) => o.address === assigned)![0];
          await d.coordinator.connect(op).acceptRequest(r);
        }
        // Paid from balance first, the shortfall (if any) pulled from the wallet.
        model.set(who.address, before >= r.fee ? before - r.fee : 0n);
        if (before < r.fee) counts["request-shortfall"] = (counts["request-shortfall"] ?? 0) + 1;
      } else if (roll < 0.6) {
        action = "fulfil";
        const candidates = await unexpired();
        if (candidates.length === 0) continue;
        const r = pick(candidates);
        const [op, enclave] = operatorFor(r);
        await fulfilOne(r, op, enclave, "0x" + (step % 256).toString(16).padStart(64, "0"));
      } else if (roll < 0.69) {
        action = "fulfilBatch";
        const [op, enclave] = pick(operators);
        const mine = (await unexpired()).filter(
          (r) => r.operator === op.address || r.operator === "0x0000000000000000000000000000000000000000",
        );
        const batch = mine.slice(0, 1 + Math.floor(rand() * 3));
        const done = fulfilled.length > 0 && rand() < 0.5 ? [pick(fulfilled)] : [];
        const all = [...batch, ...done];
        if (all.length === 0) continue;
        const outputs = all.map((_, i) => "0x" + (i + 1).toString(16).padStart(64, "0"));
        const proofs = await Promise.all(all.map((r, i) => teeProof(d, r, outputs[i], enclave, op.address)));
        expect(await d.coordinator.connect(op).fulfillBatch.staticCall(all, outputs, proofs)).to.equal(
          BigInt(batch.length),
        );
        await d.coordinator.connect(op).fulfillBatch(all, outputs, proofs);
        for (const r of batch) {
          open.delete(requestIdOf(r));
          fulfilled.push(r);
          credit(op.address, operatorShare(r));
          royalties.set(r.modelId, royalties.get(r.modelId)! + r.royalty);
          modelFees += r.protocolFee;
        }
      } else if (roll < 0.78) {
        action = "refund";
        if (open.size === 0) continue;
        const r = pick([...open.values()]);
        const now = BigInt(await networkHelpers.time.latest());
        if (r.deadline >= now) await networkHelpers.time.increaseTo(r.deadline + 1n);
        const assigned = r.operator !== "0x0000000000000000000000000000000000000000";
        const claimBefore = await d.staking.claimableOf(r.requester);
        const stakeBefore = assigned ? (await d.staking.stakeOf(r.operator)).staked : 0n;
        await d.coordinator.connect(pick(holders)).refund(r);
        open.delete(requestIdOf(r));
        credit(r.requester, r.fee);
        expect(await d.coordinator.requestStatus(requestIdOf(r))).to.equal(RequestStatus.Refunded);
        if (assigned) {
          action = "refund+slash";
          expect((await d.staking.stakeOf(r.operator)).staked).to.equal(stakeBefore - penalty);
          expect(await d.staking.claimableOf(r.requester)).to.equal(claimBefore + penalty / 2n);
        } else {
          expect(await d.staking.claimableOf(r.requester)).to.equal(claimBefore);
        }
      } else if (roll < 0.86) {
        action = "withdraw";
        const rich = holders.filter((h) => model.get(h.address)! > 0n);
        if (rich.length === 0) continue;
        const who = pick(rich);
        const amount = 1n + below(model.get(who.address)!);
        await d.coordinator.connect(who).withdraw(amount, pick(holders).address);
        credit(who.address, -amount);
      } else if (roll < 0.93) {
        // An account claims a random subset of the models (possibly some it does not own).
        action = "claim";
        const who = pick(owners);
        const ids = models.filter(() => rand() < 0.6);
        const foreign = ids.find((m) => ownerOf.get(m) !== who);
        const total = ids.reduce((t, m) => t + royalties.get(m)!, 0n);
        const c = d.coordinator.connect(who).claimRoyalties(ids);
        if (foreign !== undefined) {
          action = "claim-not-owner";
          await expect(c)
            .to.be.revertedWithCustomError(d.coordinator, "CoordinatorNotModelOwner")
            .withArgs(foreign, ownerOf.get(foreign)!.address, who.address);
        } else if (total === 0n) {
          action = "claim-nothing";
          await expect(c).to.be.revertedWithCustomError(d.coordinator, "CoordinatorNothingToWithdraw");
        } else {
          const receipt = (await (await c).wait())!;
          const paid = ids.filter((m) => royalties.get(m)! > 0n);
          expect(
            eventsOf(d.coordinator, receipt, "RoyaltiesClaimed").map((e) => [
              e.args.modelId,
              e.args.owner,
              e.args.amount,
            ]),
          ).to.deep.equal(paid.map((m) => [m, who.address, royalties.get(m)!]));
          for (const m of ids) royalties.set(m, 0n);
          credit(who.address, total);
        }
      } else if (roll < 0.96) {
        // A model changes hands: its accrued royalties go with it.
        action = "transfer";
        const m = pick(models);
        const from = ownerOf.get(m)!;
        const to = pick(owners.filter((o) => o !== from));
        await d.registry.connect(from).transferModelOwnership(m, to.address);
        await d.registry.connect(to).acceptModelOwnership(m);
        ownerOf.set(m, to);
      } else {
        action = "withdrawProtocolFees";
        if (modelFees === 0n) continue;
        await d.coordinator.withdrawProtocolFees();
        modelFees = 0n;
      }
      counts[action] = (counts[action] ?? 0) + 1;
      await check(step, action);
    }

    // Every kind of step ran.
    for (const a of [
      "deposit",
      "request",
      "request-shortfall",
      "fulfil",
      "fulfilBatch",
      "refund",
      "refund+slash",
      "withdraw",
      "withdrawProtocolFees",
      "claim",
      "claim-not-owner",
      "claim-nothing",
      "transfer",
    ]) {
      expect(counts[a] ?? 0, `${a} never ran: ${JSON.stringify(counts)}`).to.be.greaterThan(0);
    }
  });
});
