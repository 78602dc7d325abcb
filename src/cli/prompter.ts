/**
 * The confirmation seam: apply and rollback ask before changing hosts when a person is at a
 * terminal; tests and CI pass --yes (or a scripted Prompter) instead.
 */
import { createInterface } from "node:readline/promises";
import { UserError } from "../errors.ts";

export interface Prompter {
  /** Ask a yes/no question; anything but y/yes is no. */
  confirm(question: string): Promise<boolean>;
}

/** Questions on stderr (stdout stays data), answers from stdin. */
export function terminalPrompter(
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stderr,
): Prompter {
  return {
    async confirm(question) {
      const rl = createInterface({ input, output });
      try {
        const answer = await rl.question(`${question} [y/N] `);
        return /^(y|yes)$/i.test(answer.trim());
      } finally {
        rl.close();
      }
    },
  };
}

/** Whether a person can be asked: both stdin and stderr are terminals. */
export function canPrompt(
  stdin: { isTTY?: boolean } = process.stdin,
  stderr: { isTTY?: boolean } = process.stderr,
): boolean {
  return Boolean(stdin.isTTY && stderr.isTTY);
}

/** A command that changes hosts asks first; with nobody to ask it needs --yes (`withYes`: the command line). */
export function requireConsent(
  command: string,
  yes: boolean | undefined,
  interactive: boolean,
  withYes: string,
): void {
  if (yes || interactive) return;
  throw new UserError(
    "usage",
    `${command} changes hosts and asks first, but there is no terminal to ask on`,
    {
      hint: `pass --yes: ${withYes}`,
    },
  );
}
