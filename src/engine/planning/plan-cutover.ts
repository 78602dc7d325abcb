/**
 * The cutover's actions (pure), described from its input in the order src/steps/cutover.ts
 * carries them out: freeze the source, final delta sync (files, rewrites again, databases moved
 * again), start the target, switch traffic. Each reversible action carries its undo; a rollback
 * starts the source's services, switches traffic back and stops the target's services.
 */
import type { Action, FreezeAction, ServicesAction } from "./plan-actions.ts";
import {
  type Described,
  dbRef,
  dumpCommand,
  pathSyncs,
  replicateAction,
  restoreCommand,
  rewriteActions,
} from "./plan-steps.ts";

function services(
  type: "start" | "stop",
  host: string,
  list: string[],
  undo?: ServicesAction,
): ServicesAction {
  const action: ServicesAction = {
    type,
    host,
    services: [...list],
    summary: `${type} ${list.join(", ")} on ${host}`,
  };
  if (undo) action.undo = undo;
  return action;
}

function databaseMoves(described: Described): Action[] {
  const { source, target, databases } = described.inputs.cutover;
  return databases.flatMap((db): Action[] => {
    if (db.mode === "replicate") return [replicateAction(described, db, "catch-up")];
    const file = db.finalDumpFile;
    const dump = dumpCommand(db).text;
    const restore = restoreCommand(db, file).text;
    return [
      {
        type: "stream-dump",
        from: source.name,
        to: target.name,
        ...dbRef(db),
        tool: dump,
        file,
        summary: `stream a fresh dump of ${db.name} from ${source.name} (${dump}) to ${file} on ${target.name}`,
      },
      {
        type: "restore",
        host: target.name,
        ...dbRef(db),
        tool: restore,
        file,
        rowCounts: "equal-to-source",
        summary: `restore ${db.name} on ${target.name}: ${restore}; row counts must equal those of the dumped snapshot`,
      },
    ];
  });
}

function switchActions(described: Described): Action[] {
  const { source, target, traffic } = described.inputs.cutover;
  if (traffic.strategy === "none") return [];
  if (traffic.strategy === "proxy") {
    const { gateway, upstreamFile, upstreamPort } = traffic;
    const from = `${source.address}:${upstreamPort}`;
    const to = `${target.address}:${upstreamPort}`;
    const base = { type: "proxy-switch" as const, gateway: gateway.name, upstreamFile };
    return [
      {
        ...base,
        from,
        to,
        summary: `point nginx upstream ${upstreamFile} on ${gateway.name} (${gateway.address}) from ${from} to ${to}, test and reload`,
        undo: {
          ...base,
          from: to,
          to: from,
          summary: `point ${upstreamFile} on ${gateway.name} back to ${from} and reload`,
        },
      },
    ];
  }
  if (traffic.strategy === "dns") {
    const { server, zone, record, ttl } = traffic;
    const base = { type: "dns-switch" as const, server, zone, record, ttl };
    const keyed = traffic.keyFile === undefined ? base : { ...base, keyFile: traffic.keyFile };
    return [
      {
        ...keyed,
        from: source.address,
        to: target.address,
        summary: `nsupdate ${record} in ${zone} at ${server}: ${source.address} -> ${target.address} (ttl ${ttl}s)`,
        undo: {
          ...keyed,
          from: target.address,
          to: source.address,
          summary: `nsupdate ${record} back to ${source.address}`,
        },
      },
    ];
  }
  return [
    {
      type: "command",
      host: traffic.host,
      run: traffic.run,
      summary: `run on ${traffic.host}: ${traffic.run}`,
      undo: {
        type: "command",
        host: traffic.host,
        run: traffic.undo,
        summary: `run on ${traffic.host}: ${traffic.undo}`,
      },
    },
  ];
}

export function cutoverActions(described: Described): Action[] {
  const { source, target, services: list } = described.inputs.cutover;
  const freeze: FreezeAction = {
    type: "freeze",
    host: source.name,
    services: [...list],
    summary:
      list.length > 0
        ? `freeze: stop ${list.join(", ")} on ${source.name}`
        : `freeze: no services listed, so ${source.name} keeps running (writes after this point are lost)`,
    undo: services("start", source.name, list),
  };
  const start =
    list.length > 0 ? [services("start", target.name, list, services("stop", target.name, list))] : [];
  return [
    freeze,
    ...pathSyncs(described, "final"),
    ...rewriteActions(described, "final"),
    ...databaseMoves(described),
    ...start,
    ...switchActions(described),
  ];
}
