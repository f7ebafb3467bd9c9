/** Readable log lines on a terminal, JSON lines when piped, and the setting that forces either. */
import { Writable } from "node:stream";

import { expect } from "chai";

import { parseConfig } from "../../worker/config.ts";
import { createLogger, prettyLine, wantsPretty } from "../../worker/logformat.ts";

/** A stream that collects what is written; `isTTY` as a terminal or a pipe would say. */
function sink(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  }) as Writable & { isTTY: boolean; text: () => string };
  w.isTTY = isTTY;
  w.text = () => chunks.join("");
  return w;
}

describe("worker: log format", function () {
  it("formats one record as a line: UTC time, level, message, key=value (quoted when needed), without pid/hostname/service", function () {
    const line = prettyLine({
      level: 40,
      time: Date.UTC(2026, 0, 2, 3, 4, 5, 67),
      pid: 1,
      hostname: "h",
      service: "verity-node",
      msg: "model refused",
      weightsHash: "0xabc",
      detail: "two words",
      jobs: { seen: 2 },
      n: 3,
    });
    expect(line).to.equal('03:04:05.067 WARN  model refused weightsHash=0xabc detail="two words" jobs={"seen":2} n=3');
  });

  it("auto: readable lines on a terminal (coloured), JSON lines on a pipe; pretty and json force either", function () {
    const tty = sink(true);
    createLogger({ level: "info", format: "auto", service: "verity-node" }, tty).info(
      { requestId: "0x01" },
      "job done",
    );
    expect(tty.text()).to.match(
      /^\x1b\[2m\d\d:\d\d:\d\d\.\d{3}\x1b\[0m \x1b\[32mINFO \x1b\[0m job done \x1b\[2mrequestId=\x1b\[0m0x01\n$/,
    );

    const pipe = sink(false);
    createLogger({ level: "info", format: "auto", service: "verity-node" }, pipe).info(
      { requestId: "0x01" },
      "job done",
    );
    expect(JSON.parse(pipe.text())).to.deep.include({
      level: 30,
      msg: "job done",
      requestId: "0x01",
      service: "verity-node",
    });

    const forcedPretty = sink(false);
    createLogger({ level: "info", format: "pretty", service: "s" }, forcedPretty).warn("careful");
    expect(forcedPretty.text()).to.match(/^\d\d:\d\d:\d\d\.\d{3} WARN  careful\n$/);

    const forcedJson = sink(true);
    createLogger({ level: "info", format: "json", service: "s" }, forcedJson).warn("careful");
    expect(JSON.parse(forcedJson.text())).to.deep.include({ level: 40, msg: "careful" });

    expect(wantsPretty("auto", {})).to.equal(false);
  });

  it("logFormat defaults to auto and comes from VERITY_LOG_FORMAT", function () {
    const base = {
      rpcUrl: "http://127.0.0.1:8545",
      deployment: { coordinator: "0x" + "11".repeat(20), tee: "0x" + "22".repeat(20) },
      operatorKey: "0x" + "33".repeat(32),
      enclaveKey: "0x" + "44".repeat(32),
      measurement: "0x" + "55".repeat(32),
      modelsDir: "models",
      dbPath: ":memory:",
    };
    expect(parseConfig(base).logFormat).to.equal("auto");
    expect(parseConfig(base, { VERITY_LOG_FORMAT: "json" }).logFormat).to.equal("json");
  });
});
