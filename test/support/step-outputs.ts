/**
 * TEST DATA: outputs shaped as each step's contract promises (src/steps/contracts.ts), for
 * journals that are written and read back, where every record is validated.
 */
import type { StepOutputs } from "../../src/steps/contracts.ts";

const at = "2026-11-25T00:00:00.000Z";

export const OUTPUTS: StepOutputs = {
  snapshot: {
    manifestFile: "/state/p/workloads/a/manifest-snapshot.jsonl",
    manifestDigest: "sha256:snap",
    hash: "sha256",
    files: 3,
    bytes: 300,
    databases: [],
  },
  transfer: {
    manifestDigest: "sha256:sent",
    batches: 1,
    filesSent: 3,
    filesSkipped: 0,
    bytesSent: 300,
    changedDuringTransfer: 0,
    durationMs: 10,
    averageBps: 30_000,
  },
  reconfigure: { rewrites: [], commandsRun: 0, databases: [] },
  cutover: {
    manifestFile: "/state/p/workloads/a/manifest-final.jsonl",
    manifestDigest: "sha256:final",
    delta: { filesSent: 0, bytesSent: 0 },
    rewrites: [],
    frozenAt: at,
    switchedAt: at,
    traffic: { strategy: "none" },
    databases: [],
  },
  verify: { checks: [], manifestDigest: "sha256:final", targetManifestDigest: "sha256:final" },
  rollback: { reason: "rollback requested by the operator" },
  rehearse: {
    started: ["app.service"],
    checks: [{ name: "http http://10.0.0.1/health", ok: true, detail: "200" }],
    measured: {
      listMs: 40,
      changedFiles: 1,
      changedBytes: 100,
      hashMs: 5,
      treeMs: 30,
      transferBps: 30_000,
      dumpMs: 0,
      dumpBytes: 0,
      restoreMs: 0,
      startMs: 200,
      verifyMs: 50,
      stopMs: 100,
      switchMs: 20,
    },
    projectedDowntimeMs: 400,
  },
};
