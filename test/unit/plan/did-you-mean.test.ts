import { describe, expect, it } from "vitest";
import { unknownNameHint } from "../../../src/plan/did-you-mean.ts";

describe("the hint for a name that is not known", () => {
  it("offers the close names, closest first", () => {
    expect(unknownNameHint("portl", ["tax", "portal"], "workloads")).toBe("did you mean portal?");
    expect(unknownNameHint("fin-app-1", ["fin-app-01", "fin-app-02", "tax"], "workloads")).toBe(
      "did you mean fin-app-01, fin-app-02?",
    );
  });

  it("matches regardless of case", () => {
    expect(unknownNameHint("Portal", ["portal"], "workloads")).toBe("did you mean portal?");
  });

  it("lists every known name under the plural when none is close", () => {
    expect(unknownNameHint("zzz", ["finance", "land"], "bureaus")).toBe("bureaus: finance, land");
  });

  it("says the list is empty rather than inventing names", () => {
    expect(unknownNameHint("zzz", [], "workloads")).toBe("workloads: ");
  });
});
