/**
 * Where a run's facts go — the journal (and the report and status read from it), the terminal,
 * NDJSON, the run log — each fed through the plan's scrubber, so a secret that reached a message
 * (a command's stderr quoting a config file, a URL with a password) is cut out everywhere, not
 * only from the run log.
 */
import type { OnEvent } from "../engine/events.ts";
import type { Journal } from "../engine/journal/journal.ts";
import type { JournalRecord } from "../engine/journal/journal-record.ts";
import type { Scrubber } from "./scrub.ts";

export function scrubbedJournal(journal: Journal, scrubber: Scrubber): Journal {
  return {
    get records() {
      return journal.records;
    },
    append: (record: JournalRecord) => journal.append(scrubber.strings(record)),
    close: () => journal.close(),
  };
}

export function scrubbedEvents(onEvent: OnEvent, scrubber: Scrubber): OnEvent {
  return (event) => onEvent(scrubber.strings(event));
}
