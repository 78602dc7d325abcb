/**
 * GitHub Actions workflow commands: `::error file=F,line=L,col=C,title=T::message` puts a plan
 * diagnostic on the pull request's diff. Escaping follows the runner's rules (toolkit/core).
 */
import type { Diagnostic } from "../plan/diagnostics.ts";

function escapeData(text: string): string {
  return text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

export function annotation(d: Diagnostic): string {
  const props = [`file=${escapeProperty(d.file)}`, `line=${d.line}`, `col=${d.column}`];
  if (d.endLine !== undefined) props.push(`endLine=${d.endLine}`);
  if (d.endColumn !== undefined) props.push(`endColumn=${d.endColumn}`);
  props.push(`title=${escapeProperty(`migrate: ${d.code}`)}`);
  const message = d.hint ? `${d.message} (hint: ${d.hint})` : d.message;
  return `::${d.severity === "error" ? "error" : "warning"} ${props.join(",")}::${escapeData(message)}`;
}

/** An annotation not tied to a file position, e.g. a failed workload at the end of apply. */
export function plainAnnotation(
  level: "error" | "warning" | "notice",
  title: string,
  message: string,
): string {
  return `::${level} title=${escapeProperty(title)}::${escapeData(message)}`;
}
