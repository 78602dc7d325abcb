/**
 * The whole pipeline on the fleet through `migrate apply`: three bureau systems move to their
 * targets, and every claim is checked on the hosts themselves — the gateway serves from the
 * targets, row counts match, configs name the new addresses, sources are stopped, and a tree of
 * hostile file names arrives bit for bit with its metadata.
 */
import { beforeAll, describe, expect, inject, it } from "vitest";
import { TAX_DB, TAX_ROWS } from "../../fixtures/fleet/index.ts";
import { address, apply, finished, journal, preparePlan, resetFleet, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");

/** Names that break naive scripts: spaces, quotes, Chinese, a leading dash, a newline, a glob. */
const SEED_ODD_TREE = `set -eu
d=/srv/portal/odd
mkdir -p "$d/empty dir" "$d/子目录"
printf 'spaces' > "$d/with space.txt"
printf 'quotes' > "$d/it's \\"quoted\\".txt"
printf '中文' > "$d/子目录/政务公开.html"
printf 'dash' > "$d/-rf"
printf 'newline' > "$d/new
line"
printf 'glob' > "$d/*"
ln "$d/-rf" "$d/hard link to dash"
ln -s "子目录/政务公开.html" "$d/link to 中文"
mkfifo "$d/fifo"
chown 1234:5678 "$d/with space.txt"
chmod 4750 "$d/with space.txt"
touch -h -d '2019-02-03 04:05:06.123456789' "$d/link to 中文"
touch -d '2001-01-01 00:00:00.5' "$d/new
line" "$d/empty dir"
`;

/** One line per entry; the same command on both hosts must print the same text. */
const DESCRIBE_ODD_TREE = `cd /srv/portal/odd && find . -printf '%p|%y|%s|%m|%U|%G|%T@|%l|%n\\0' | sort -z | tr '\\0' '\\n';
find . -type f -print0 | sort -z | xargs -0 sha256sum`;

describe.skipIf(skipReason !== "")("pipeline: migrate apply on the fleet", () => {
  let stateDir: string;
  let exitCode: number | undefined;
  let output: string;

  beforeAll(async () => {
    await resetFleet();
    const seeded = await sh("portal-src", SEED_ODD_TREE);
    expect(seeded.stderr).toBe("");
    // Licensing is audited to the national standard: its manifests use SM3 end to end.
    const prepared = preparePlan((plan) => {
      const licensing = plan.workloads?.find((w) => w.name === "licensing");
      if (licensing) licensing.hash = "sm3";
    });
    stateDir = prepared.stateDir;
    const result = await apply(prepared.planFile, stateDir);
    exitCode = result.exitCode;
    output = `${result.stdout}\n${result.stderr}`;
  });

  it("finishes every workload", () => {
    expect(exitCode, output.slice(-3000)).toBe(0);
    const ends = journal(stateDir).filter((r) => r.type === "workload-end");
    expect(ends.map((r) => (r.type === "workload-end" ? [r.workload, r.status] : []))).toEqual(
      expect.arrayContaining([
        ["portal", "succeeded"],
        ["tax-collection", "succeeded"],
        ["licensing", "succeeded"],
      ]),
    );
  });

  it("serves the portal through the gateway from the target", async () => {
    const upstream = await sh("gw", "cat /etc/nginx/conf.d/portal.upstream");
    expect(upstream.stdout).toContain(`server ${address("tgt-1")}:80;`);
    expect(upstream.stdout).not.toContain(address("portal-src"));
    const response = await fetch(`http://${address("gw")}/portal/`, { signal: AbortSignal.timeout(10_000) });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("市政务服务网");
  });

  it("stops the source services", async () => {
    for (const [host, unit] of [
      ["portal-src", "nginx"],
      ["tax-src", "tax"],
      ["lic-src", "licensing"],
    ] as const) {
      expect((await sh(host, `systemctl is-active ${unit}`)).stdout.trim(), `${unit} on ${host}`).toBe(
        "inactive",
      );
    }
    for (const [host, unit] of [
      ["tgt-2", "tax"],
      ["tgt-3", "licensing"],
    ] as const) {
      expect((await sh(host, `systemctl is-active ${unit}`)).stdout.trim(), `${unit} on ${host}`).toBe(
        "active",
      );
    }
  });

  it("restores the tax database with the source's row counts", async () => {
    const count = `for t in ${Object.keys(TAX_ROWS).join(" ")}; do printf '%s ' "$t"; psql -U postgres -h 127.0.0.1 -p 5432 -X -At -d ${TAX_DB} -c "select count(*) from $t" 2>/dev/null || runuser -u postgres -- psql -X -At -d ${TAX_DB} -c "select count(*) from $t"; done`;
    const source = await sh("tax-src", count.replace("127.0.0.1", address("tax-src")));
    const target = await sh("tgt-2", count.replace("127.0.0.1", address("tgt-2")));
    expect(target.stdout).toBe(source.stdout);
    for (const [table, rows] of Object.entries(TAX_ROWS))
      expect(target.stdout).toContain(`${table} ${rows}\n`);
    const reconfigure = finished(journal(stateDir), "tax-collection/cutover");
    expect(reconfigure?.databases).toEqual([
      expect.objectContaining({
        name: TAX_DB,
        rowCounts: expect.objectContaining({ "public.taxpayers": TAX_ROWS.taxpayers }),
      }),
    ]);
  });

  it("rewrites licensing's configuration to the new addresses, journaling before/after hashes", async () => {
    const config = await sh("tgt-3", "cat /etc/licensing/app.conf /etc/licensing/datasource.properties");
    for (const old of ["lic-src", "tax-src"]) expect(config.stdout).not.toContain(address(old));
    expect(config.stdout).toContain(address("tgt-2"));
    const outputs = finished(journal(stateDir), "licensing/reconfigure");
    const rewrites = outputs?.rewrites as {
      file: string;
      before: string;
      after: string;
      replacements: number;
    }[];
    expect(rewrites.map((r) => r.file)).toEqual([
      "/etc/licensing/app.conf",
      "/etc/licensing/datasource.properties",
    ]);
    for (const rewrite of rewrites) {
      expect(rewrite.before).not.toBe(rewrite.after);
      const hash = await sh("tgt-3", `sha256sum ${rewrite.file}`);
      expect(hash.stdout.slice(0, 64)).toBe(rewrite.after);
    }
  });

  it("carries odd file names, modes, owners, mtimes, links, fifos and empty dirs exactly", async () => {
    const source = await sh("portal-src", DESCRIBE_ODD_TREE);
    const target = await sh("tgt-1", DESCRIBE_ODD_TREE);
    expect(source.stdout).toContain("./-rf|f|4|644|0|0|");
    expect(source.stdout).toContain("|2\n"); // the hard link pair
    expect(target.stdout).toBe(source.stdout);
  });

  it("journals the transfer's figures and the cutover's freeze time", () => {
    const records = journal(stateDir);
    const transfer = finished(records, "portal/transfer");
    expect(transfer).toMatchObject({ filesSkipped: 0 });
    expect(transfer?.filesSent).toBeGreaterThan(300);
    expect(transfer?.bytesSent).toBeGreaterThan(10_000_000);
    const cutover = finished(records, "portal/cutover");
    expect(Date.parse(String(cutover?.frozenAt))).toBeGreaterThan(0);
    const verify = finished(records, "portal/verify");
    expect(verify?.manifestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(verify?.targetManifestDigest).toBe(verify?.manifestDigest);
    expect(finished(records, "licensing/snapshot")).toMatchObject({ hash: "sm3" });
    expect(finished(records, "licensing/verify")?.checks).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "manifest", ok: true })]),
    );
  });
});
