// GraphQL over HTTP conformance: graphql-http's server audits against a live server.
// Every MUST has to pass, and every SHOULD unless KNOWN_GAPS explains why not.
import assert from "node:assert/strict";
import { test } from "node:test";

import { serverAudits, type AuditResult } from "graphql-http";
import { startServer } from "./server";

/** SHOULDs the server does not meet, by audit id, and why (none today). */
const KNOWN_GAPS: Record<string, string> = {};

test("graphql-http server audits: every MUST and every SHOULD passes", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());

  const results: AuditResult[] = [];
  for (const audit of serverAudits({ url: server.url, fetchFn: fetch })) {
    results.push(await audit.fn());
  }

  for (const level of ["MUST", "SHOULD", "MAY"]) {
    const all = results.filter((r) => r.name.startsWith(`${level} `));
    const passed = all.filter((r) => r.status === "ok").length;
    t.diagnostic(`${level}: ${passed} of ${all.length} met`);
  }
  for (const result of results) {
    if (result.status === "ok" || !result.name.startsWith("SHOULD ")) continue;
    const why = KNOWN_GAPS[result.id] ?? "not explained yet";
    t.diagnostic(`SHOULD not met: ${result.id} ${result.name} — ${result.reason} — ${why}`);
  }

  const failedMusts = results
    .filter((r) => r.name.startsWith("MUST ") && r.status !== "ok")
    .map((r) => `${r.id} ${r.name}: ${r.status === "ok" ? "" : r.reason}`);
  assert.deepEqual(failedMusts, []);
  const unexplainedShoulds = results
    .filter((r) => r.name.startsWith("SHOULD ") && r.status !== "ok" && !(r.id in KNOWN_GAPS))
    .map((r) => `${r.id} ${r.name}: ${r.status === "ok" ? "" : r.reason}`);
  assert.deepEqual(unexplainedShoulds, []);
});
