/**
 * The audit record of one remote command. Reported for every command through `onCommand`
 * (wired to the structured log); stdin content and environment values are never part of it.
 */
export interface CommandAudit {
  host: string;
  command: string;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  /** Bytes received from the command (stdout + stderr). */
  bytesIn: number;
  /** Bytes sent to the command's stdin. */
  bytesOut: number;
  timedOut: boolean;
  canceled: boolean;
}

export type OnCommand = (audit: CommandAudit) => void;
