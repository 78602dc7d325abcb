/**
 * PostgreSQL logical replication for one database: a replication user and a publication FOR ALL
 * TABLES on the source, the schema copied with `pg_dump --schema-only`, a subscription on the
 * target with copy_data that reaches the source only through the SSH tunnel the orchestrator
 * holds (endpoint). The subscription's slot on the source is named after it; initial-copy
 * slots are named `pg_<subscription oid>_sync_*`, which is why the oid is kept in the state.
 */
import { RemoteError } from "../../../errors.ts";
import { databaseDeadlineMs } from "../../../remote/deadline.ts";
import { sh } from "../../../remote/shell.ts";
import { databaseSize } from "../engines.ts";
import { withDatabasePassword } from "../password.ts";
import { refuseForeignSubscriber } from "./postgres-guard.ts";
import { postgresPreflight } from "./postgres-preflight.ts";
import { ident, literal, psql, SEQUENCE_SETVALS, waitUntil } from "./postgres-sql.ts";
import type { ReplicationContext, ReplicationEngine, ReplicationLag, ReplicationState } from "./types.ts";

const POLL_MS = 200;

export function names(state: ReplicationState): { user: string; publication: string; subscription: string } {
  const { user, publication, subscription } = state.objects;
  if (!user || !publication || !subscription) throw new Error("replication state without names");
  return { user, publication, subscription };
}

export function conninfo(ctx: ReplicationContext, user: string, application: string): string {
  const { host, port } = ctx.endpoint;
  return `host=${host} port=${port} dbname=${ctx.db.name} user=${user} password=${ctx.password} application_name=${application}`;
}

export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

function stalled(ctx: ReplicationContext, what: string): RemoteError {
  return new RemoteError(
    "timeout",
    `${what} of database ${ctx.db.name} did not finish before its deadline`,
    { host: ctx.target.host, command: "logical replication", exitCode: null },
    {
      retryable: true,
      hint: "check the subscription's errors in the target's PostgreSQL log and that the SSH tunnel stays up; a resumed run continues",
    },
  );
}

/** Source side: the user (password set again on every start, the secret is per run) and the publication. */
export async function prepareSource(ctx: ReplicationContext, state: ReplicationState): Promise<void> {
  const { user, publication } = names(state);
  const grant = `
do $$ begin
  if not exists (select from pg_roles where rolname = ${literal(user)}) then
    create role ${ident(user)} login replication;
  end if;
end $$;
alter role ${ident(user)} with login replication password ${literal(ctx.password)};
grant connect on database ${ident(ctx.db.name)} to ${ident(user)};
do $$ declare s text; begin
  for s in select nspname from pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema' loop
    execute format('grant usage on schema %I to %I', s, ${literal(user)});
    execute format('grant select on all tables in schema %I to %I', s, ${literal(user)});
  end loop;
end $$;
do $$ begin
  if not exists (select from pg_publication where pubname = ${literal(publication)}) then
    create publication ${ident(publication)} for all tables;
  end if;
end $$;
`;
  await psql(ctx.source, ctx.db, grant, ctx.signal);
}

/** Target side: a fresh database holding the source's schema, then the subscription. */
async function subscribe(ctx: ReplicationContext, state: ReplicationState): Promise<ReplicationState> {
  const { publication, subscription, user } = names(state);
  const exists = await psql(
    ctx.target,
    ctx.db,
    `select oid from pg_subscription where subname = ${literal(subscription)};`,
    ctx.signal,
    { database: "postgres" },
  );
  if (exists.length > 0) {
    // A resumed run holds a new tunnel, possibly on another port.
    await psql(
      ctx.target,
      ctx.db,
      `alter subscription ${ident(subscription)} connection ${literal(conninfo(ctx, user, subscription))};`,
      ctx.signal,
    );
    return { ...state, objects: { ...state.objects, subscriptionOid: exists[0] as string } };
  }
  await psql(
    ctx.target,
    ctx.db,
    `drop database if exists ${ident(ctx.db.name)} with (force);\ncreate database ${ident(ctx.db.name)};`,
    ctx.signal,
    { database: "postgres" },
  );
  const dump = withDatabasePassword(
    ctx.db,
    sh`runuser -u ${ctx.db.user ?? "postgres"} -- pg_dump --schema-only --no-owner --no-privileges --no-publications --no-subscriptions -p ${ctx.db.port ?? 5432} -d ${ctx.db.name}`,
  );
  const schema = await ctx.source.check(dump.command, {
    stdin: dump.stdin,
    signal: ctx.signal,
    timeoutMs: 5 * 60_000,
  });
  await psql(ctx.target, ctx.db, schema.stdout, ctx.signal, { timeoutMs: 5 * 60_000 });
  await psql(
    ctx.target,
    ctx.db,
    `create subscription ${ident(subscription)} connection ${literal(conninfo(ctx, user, subscription))} publication ${ident(publication)} with (copy_data = true);`,
    ctx.signal,
  );
  const [oid] = await psql(
    ctx.target,
    ctx.db,
    `select oid from pg_subscription where subname = ${literal(subscription)};`,
    ctx.signal,
  );
  return { ...state, objects: { ...state.objects, subscriptionOid: oid as string } };
}

/** Until every table finished its initial copy (state r or s), under a deadline that follows the size. */
async function waitCopied(ctx: ReplicationContext, state: ReplicationState): Promise<void> {
  const size = await databaseSize(ctx.source, ctx.db, ctx.signal);
  const deadline = Date.now() + databaseDeadlineMs(size);
  const query = `select count(*) filter (where srsubstate not in ('r', 's')), count(*) from pg_subscription_rel where srsubid = ${Number(state.objects.subscriptionOid)};`;
  for (;;) {
    const [row] = await psql(ctx.target, ctx.db, query, ctx.signal);
    const [pending, total] = (row ?? "1\t0").split("\t").map(Number);
    if (pending === 0 && (total ?? 0) > 0) return;
    if (Date.now() > deadline) throw stalled(ctx, "the initial copy");
    await sleep(POLL_MS * 5, ctx.signal);
  }
}

/**
 * Once after the initial copy, while the source is still live: the copied tables' visibility
 * maps set and their statistics fresh, so the exact row counts at the cutover (inside the
 * downtime) can read the primary key's index instead of every row, and the switched
 * application's first queries get plans made for the real sizes.
 */
async function vacuumTarget(ctx: ReplicationContext): Promise<void> {
  const size = await databaseSize(ctx.target, ctx.db, ctx.signal);
  await psql(ctx.target, ctx.db, "vacuum (analyze);", ctx.signal, { timeoutMs: databaseDeadlineMs(size) });
}

/** The subscription's slot and its initial-copy slots on the source, as a WHERE condition. */
function slotMatch(state: ReplicationState): string {
  const { subscription } = names(state);
  const oid = state.objects.subscriptionOid;
  return `slot_name = ${literal(subscription)}${oid ? ` or slot_name like ${literal(`pg_${oid}_sync_%`)}` : ""}`;
}

async function dropSlots(ctx: ReplicationContext, state: ReplicationState): Promise<void> {
  const { subscription } = names(state);
  const match = slotMatch(state);
  // A slot still held by its walsender cannot be dropped: end the sender first and wait for it
  // to go on the server (a round trip per try costs more than the wait), then retry.
  for (let attempt = 0; attempt < 20; attempt++) {
    const [left] = await psql(
      ctx.source,
      ctx.db,
      `select pg_terminate_backend(active_pid) from pg_replication_slots where (${match}) and active_pid is not null;
${waitUntil(`not exists (select from pg_replication_slots where (${match}) and active_pid is not null)`, 50)}
select count(pg_drop_replication_slot(slot_name)) from pg_replication_slots where (${match}) and not active;
select count(*) from pg_replication_slots where ${match};`,
      ctx.signal,
    ).then((rows) => rows.slice(-1));
    if (left === "0") return;
    await sleep(POLL_MS, ctx.signal);
  }
  throw new RemoteError(
    "remote",
    `the replication slot ${subscription} on ${ctx.source.host} could not be dropped`,
    { host: ctx.source.host, command: "pg_drop_replication_slot", exitCode: null },
    { retryable: true, hint: `drop it by hand: select pg_drop_replication_slot('${subscription}');` },
  );
}

export const postgresReplication: ReplicationEngine = {
  preflight: postgresPreflight,

  initialState(id) {
    return {
      engine: "postgresql",
      objects: {
        user: `migrate_repl_${id}`,
        publication: `migrate_pub_${id}`,
        subscription: `migrate_sub_${id}`,
      },
    };
  },

  async start(ctx, previous) {
    if (!previous) throw new Error("postgresReplication.start needs the journaled initialState");
    await refuseForeignSubscriber(ctx, names(previous).subscription);
    await prepareSource(ctx, previous);
    const state = await subscribe(ctx, previous);
    await waitCopied(ctx, state);
    if (!previous.seededAt) await vacuumTarget(ctx);
    const [lsn] = await psql(
      ctx.source,
      ctx.db,
      `select confirmed_flush_lsn from pg_replication_slots where slot_name = ${literal(names(state).subscription)};`,
      ctx.signal,
    );
    return { ...state, ...(state.seededAt ? {} : lsn ? { seededAt: lsn } : {}) };
  },

  async lag(ctx, state): Promise<ReplicationLag> {
    const [row] = await psql(
      ctx.source,
      ctx.db,
      `select coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn), 0)::bigint,
  coalesce(extract(epoch from r.replay_lag)::text, '')
from pg_replication_slots s left join pg_stat_replication r on r.pid = s.active_pid
where s.slot_name = ${literal(names(state).subscription)};`,
      ctx.signal,
    );
    const [bytes, seconds] = (row ?? "0\t").split("\t");
    const lagBytes = Math.max(0, Number(bytes) || 0);
    return { bytes: lagBytes, seconds: seconds ? Number(seconds) : lagBytes === 0 ? 0 : null };
  },

  async freeze(ctx) {
    // default_transaction_read_only rather than revoking CONNECT: reads (reports, the row
    // counts) keep working, the replication connection is untouched, and rollback undoes it
    // with one RESET. Sessions already open are ended so they pick the setting up.
    const db = ctx.db.name;
    await psql(
      ctx.source,
      ctx.db,
      `alter database ${ident(db)} set default_transaction_read_only = on;
select count(pg_terminate_backend(pid)) from pg_stat_activity
where datname = ${literal(db)} and pid <> pg_backend_pid() and backend_type = 'client backend';`,
      ctx.signal,
      { database: "postgres" },
    );
  },

  async thaw(ctx) {
    await psql(
      ctx.source,
      ctx.db,
      `alter database ${ident(ctx.db.name)} reset default_transaction_read_only;`,
      ctx.signal,
      { database: "postgres" },
    );
  },

  async sourcePosition(ctx) {
    const [lsn] = await psql(ctx.source, ctx.db, "select pg_current_wal_lsn();", ctx.signal);
    return lsn ?? "0/0";
  },

  async waitApplied(ctx, state, position, deadlineMs) {
    // The slot's confirmed position is what the subscriber reported applied and flushed; the
    // walsender asks for that report as soon as it has sent everything, so it follows closely.
    const deadline = Date.now() + deadlineMs;
    const applied = `coalesce((select confirmed_flush_lsn >= ${literal(position)}::pg_lsn from pg_replication_slots where slot_name = ${literal(names(state).subscription)}), false)`;
    // Polled on the server, so the wait ends within one poll of the target's report, not one SSH round trip.
    const query = `${waitUntil(applied, 250)}\nselect ${applied};`;
    for (;;) {
      const [done] = await psql(ctx.source, ctx.db, query, ctx.signal).then((rows) => rows.slice(-1));
      if (done === "t") return;
      if (Date.now() > deadline) throw stalled(ctx, "catching up");
      await sleep(POLL_MS, ctx.signal);
    }
  },

  async finishCutover(ctx) {
    const setvals = await psql(ctx.source, ctx.db, SEQUENCE_SETVALS, ctx.signal);
    if (setvals.length > 0) await psql(ctx.target, ctx.db, setvals.join("\n"), ctx.signal);
  },

  async present(ctx, state) {
    const { user, publication, subscription } = names(state);
    const subscriptions = await psql(
      ctx.target,
      ctx.db,
      `select 'subscription ' || subname from pg_subscription where subname = ${literal(subscription)};`,
      ctx.signal,
      { database: "postgres" },
    );
    const source = await psql(
      ctx.source,
      ctx.db,
      `select 'slot ' || slot_name from pg_replication_slots where ${slotMatch(state)}
union all select 'publication ' || pubname from pg_publication where pubname = ${literal(publication)}
union all select 'user ' || rolname from pg_roles where rolname = ${literal(user)};`,
      ctx.signal,
    );
    return [...subscriptions, ...source];
  },

  async teardown(ctx, state) {
    const { user, publication, subscription } = names(state);
    const [present] = await psql(
      ctx.target,
      ctx.db,
      `select count(*) from pg_subscription where subname = ${literal(subscription)};`,
      ctx.signal,
      { database: "postgres" },
    );
    if (present !== "0") {
      // Detached from its slot first, so dropping it needs no connection to the source.
      await psql(
        ctx.target,
        ctx.db,
        `alter subscription ${ident(subscription)} disable;
alter subscription ${ident(subscription)} set (slot_name = none);
drop subscription ${ident(subscription)};`,
        ctx.signal,
      );
    }
    await dropSlots(ctx, state);
    await psql(
      ctx.source,
      ctx.db,
      `drop publication if exists ${ident(publication)};
select pg_terminate_backend(pid) from pg_stat_activity where usename = ${literal(user)};
do $$ begin
  if exists (select from pg_roles where rolname = ${literal(user)}) then
    execute format('drop owned by %I', ${literal(user)});
    execute format('drop role %I', ${literal(user)});
  end if;
end $$;`,
      ctx.signal,
    );
  },
};
