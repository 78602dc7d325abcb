/** The worker thread of kept-manifest.ts: writes one final manifest and posts its summary. */
import { parentPort, workerData } from "node:worker_threads";
import { type KeptManifestJob, writeKeptManifest } from "./kept-manifest.ts";

parentPort!.postMessage(await writeKeptManifest(workerData as KeptManifestJob));
