/**
 * Hostile values for the injection suite: what a careless or malicious plan author could put in
 * names, paths, rewrite strings, URLs and commands. Each marker file is what a successful
 * injection would create on a host; the suite proves none exists anywhere.
 */
export const PWNED = "/tmp/pwned";

/** A directory name carrying every shell metacharacter that is legal in a normalized path. */
export const ODD_DIR = `/srv/odd dir/-x 'q' "dq" $(touch ${PWNED}) \`touch ${PWNED}\` ; && | > 政务 $HOME`;

/** A rewrite replacement that would run commands if it ever reached a shell unquoted. */
export const HOSTILE_REPLACEMENT = `$(touch ${PWNED}) 'q' "dq" \`touch ${PWNED}\`; rm -rf /nonexistent && -n \\ \n第二行 %s %n`;

/** A declared command whose output shows whether the remote shell read it exactly once. */
export const LITERAL_COMMAND = `printf '%s' 'it'\\''s $(touch ${PWNED}) "q" \`id\`' > /var/tmp/cmd-out`;
export const LITERAL_COMMAND_OUTPUT = `it's $(touch ${PWNED}) "q" \`id\``;
