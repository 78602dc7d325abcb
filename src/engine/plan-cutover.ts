/**
 * The cutover's actions (pure), in the order src/steps/cutover.ts carries them out: freeze the
 * source, final delta sync (files, rewrites again, databases moved again), start the target,
 * switch traffic. Each reversible action carries its undo; a rollback starts the source's
 * services, switches traffic back and stops the target's services.
 */
import type { Action, FreezeAction, ServicesAction } from "./plan-actions.ts";
import { DUMP_TOOLS, RESTORE_TOOLS } from "./plan-actions.ts";
import { dbRef, dumpFile, pathSyncs, rewriteActions, type StepInputs } from "./plan-steps.ts";

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

function databaseMoves(inputs: StepInputs): Action[] {
  const { workload, source, target } = inputs;
  return workload.databases.flatMap((db): Action[] => {
    const file = dumpFile(workload, db, "final");
    const dumpTool = DUMP_TOOLS[db.engine];
    const restoreTool = RESTORE_TOOLS[db.engine];
    return [
      {
        type: "stream-dump",
        from: source.name,
        to: target.name,
        ...dbRef(db),
        tool: dumpTool,
        file,
        summary: `stream a fresh ${dumpTool.split(" ")[0]} of ${db.name} from ${source.name} to ${file} on ${target.name}`,
      },
      {
        type: "restore",
        host: target.name,
        ...dbRef(db),
        tool: restoreTool,
        file,
        rowCounts: "equal-to-source",
        summary: `restore ${db.name} on ${target.name} with ${restoreTool.split(" ")[0]}; row counts must equal those of the dumped snapshot`,
      },
    ];
  });
}

function switchActions(inputs: StepInputs): Action[] {
  const { workload, source, target, hosts } = inputs;
  const cutover = workload.cutover;
  if (cutover === undefined) return [];
  if (cutover.strategy === "proxy") {
    const from = `${source.address}:${cutover.upstreamPort}`;
    const to = `${target.address}:${cutover.upstreamPort}`;
    const base = {
      type: "proxy-switch" as const,
      gateway: cutover.gateway,
      upstreamFile: cutover.upstreamFile,
    };
    const gatewayAddress = hosts.get(cutover.gateway)?.address ?? cutover.gateway;
    return [
      {
        ...base,
        from,
        to,
        summary: `point nginx upstream ${cutover.upstreamFile} on ${cutover.gateway} (${gatewayAddress}) from ${from} to ${to}, test and reload`,
        undo: {
          ...base,
          from: to,
          to: from,
          summary: `point ${cutover.upstreamFile} on ${cutover.gateway} back to ${from} and reload`,
        },
      },
    ];
  }
  if (cutover.strategy === "dns") {
    const { server, zone, record, ttl } = cutover;
    const base = { type: "dns-switch" as const, server, zone, record, ttl };
    const keyed = cutover.keyFile === undefined ? base : { ...base, keyFile: cutover.keyFile };
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
      host: cutover.host,
      run: cutover.run,
      summary: `run on ${cutover.host}: ${cutover.run}`,
      undo: {
        type: "command",
        host: cutover.host,
        run: cutover.undo,
        summary: `run on ${cutover.host}: ${cutover.undo}`,
      },
    },
  ];
}

export function cutoverActions(inputs: StepInputs): Action[] {
  const { workload, source, target } = inputs;
  const freeze: FreezeAction = {
    type: "freeze",
    host: source.name,
    services: [...workload.services],
    summary:
      workload.services.length > 0
        ? `freeze: stop ${workload.services.join(", ")} on ${source.name}`
        : `freeze: no services listed, so ${source.name} keeps running (writes after this point are lost)`,
    undo: services("start", source.name, workload.services),
  };
  const start =
    workload.services.length > 0
      ? [services("start", target.name, workload.services, services("stop", target.name, workload.services))]
      : [];
  return [
    freeze,
    ...pathSyncs(inputs, "final"),
    ...rewriteActions(inputs, "final"),
    ...databaseMoves(inputs),
    ...start,
    ...switchActions(inputs),
  ];
}
