import { useEffect, useState } from "react";

/** Wall-clock time re-read every `intervalMs`, so clocks (elapsed, downtime) tick between events. */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
