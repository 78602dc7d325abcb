/**
 * Reverse replication for a rollback after a replicated cutover (PostgreSQL). At the switch,
 * before any traffic reaches the target, the target gets a replication user, a publication FOR
 * ALL TABLES and a logical slot at its current position: from then on the slot keeps every write
 * the target takes. A rollback subscribes the source to that slot with copy_data = false (the
 * source already holds everything up to the switch), through the orchestrator's tunnel, so the
 * target's writes are carried back instead of left behind.
 *
 * The calls take the forward engine's context with the roles swapped: `ctx.source` is the
 * publishing side (the migration's target), `ctx.target` the subscribing one (the migration's
 * source). The forward engine's freeze, position, wait, sequences, presence and teardown then
 * serve unchanged; the slot is named after the subscription, as a subscription's own slot is.
 */
import { conninfo, names, prepareSource } from "./postgres.ts";
import { ident, literal, psql } from "./postgres-sql.ts";
import type { ReverseReplication } from "./reverse-types.ts";

export const postgresReverse: ReverseReplication = {
  async unavailable(ctx) {
    const [row] = await psql(
      ctx.source,
      ctx.db,
      `select current_setting('wal_level'),
  current_setting('max_replication_slots')::int - (select count(*) from pg_replication_slots);`,
      ctx.signal,
    );
    const [level, free] = (row ?? "\t0").split("\t");
    if (level !== "logical")
      return `wal_level on ${ctx.source.host} is ${level}, and a slot there needs logical`;
    if (Number(free) < 1) return `no replication slot is free on ${ctx.source.host} (max_replication_slots)`;
    return undefined;
  },

  async reserve(ctx, state) {
    const { subscription } = names(state);
    await prepareSource(ctx, state);
    await psql(
      ctx.source,
      ctx.db,
      `select count(pg_create_logical_replication_slot(${literal(subscription)}, 'pgoutput'))
where not exists (select from pg_replication_slots where slot_name = ${literal(subscription)});`,
      ctx.signal,
    );
  },

  async reserved(ctx, state) {
    const { subscription } = names(state);
    const [slots] = await psql(
      ctx.source,
      ctx.db,
      `select count(*) from pg_replication_slots where slot_name = ${literal(subscription)};`,
      ctx.signal,
    );
    return slots !== "0";
  },

  async follow(ctx, state) {
    const { publication, subscription, user } = names(state);
    // The password is per process: set again, and the connection pointed at this run's tunnel.
    await prepareSource(ctx, state);
    const connection = literal(conninfo(ctx, user, subscription));
    const [exists] = await psql(
      ctx.target,
      ctx.db,
      `select count(*) from pg_subscription where subname = ${literal(subscription)};`,
      ctx.signal,
      { database: "postgres" },
    );
    const sql =
      exists === "0"
        ? `create subscription ${ident(subscription)} connection ${connection} publication ${ident(publication)}
  with (copy_data = false, create_slot = false, slot_name = ${literal(subscription)});`
        : `alter subscription ${ident(subscription)} connection ${connection};
alter subscription ${ident(subscription)} enable;`;
    await psql(ctx.target, ctx.db, sql, ctx.signal);
  },
};
