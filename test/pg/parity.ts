import type { Snapshot } from "../../src/snapshot/types.ts";
import { snapshotAt } from "../store/helpers.ts";

/**
 * Three hours of refreshes a minute apart from `t0` with everything the writer has rules for:
 * values changing every few minutes, a series that goes and comes back, a gap longer than maxGapS,
 * a repeated refresh, a small step back, a rename of a server (its id unchanged) and a value CLS
 * did not report.
 */
export function eventfulHistory(t0: number): Snapshot[] {
  const out: Snapshot[] = [];
  for (let m = 0; m < 180; m++) {
    if (m >= 100 && m < 110) continue; // exporter down: a gap
    const t = t0 + m * 60;
    const values: Record<string, number | undefined> = {
      "s1/vpc": Math.floor(m / 7) % 5,
      "s1/vws": m % 13 < 6 ? 2 : 3,
      "s2/vpc": m % 11 < 4 ? 9 : 10,
    };
    if (m >= 40 && m < 55) delete values["s2/vpc"]; // the series goes away and comes back
    if (m === 70) values["s1/vws"] = undefined; // not reported: no observation
    let s = snapshotAt(t, values);
    if (m >= 120) s = renamed(s, "s2", "renamed s2");
    out.push(s);
    if (m === 60) out.push(s); // the same refresh served again: nothing new
    if (m === 90) out.push(snapshotAt(t - 30, values)); // a small step back: the snapshot only
  }
  return out;
}

function renamed(s: Snapshot, server: string, name: string): Snapshot {
  return {
    ...s,
    serverFeatures: s.serverFeatures.map((r) => (r.labels.server_id === server ? { ...r, labels: { ...r.labels, server_name: name } } : r)),
  };
}
