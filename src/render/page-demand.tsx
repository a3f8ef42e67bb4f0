/**
 * The status page's demand sections: seats in use against seats bought (per group and across the
 * org) with the 30-day figures, the entitlements by end date, and the chart frames page.js fills.
 * hono/jsx escapes every text and attribute value; nothing here is raw markup.
 */
import {
  BAND_WORDS,
  type DemandLine,
  type DemandSections,
  durationWords,
  type EntitlementLine,
  EXPIRY_WORDS,
  type GroupSection,
} from "./page-model.ts";

const num = (n: number | undefined) => (n === undefined ? "?" : String(n));
const day = (unixS: number) => new Date(unixS * 1000).toISOString().slice(0, 10);
const minute = (iso: string) => iso.slice(0, 16).replace("T", " ");

function Bar({ line }: { line: DemandLine }) {
  const { inUse, seats } = line.row;
  const pct = inUse !== undefined && seats ? `(${Math.round((inUse / seats) * 100)} %)` : "";
  return (
    <div class="use">
      <span class="figures">
        <b class="in-use">{num(inUse)}</b> of <span class="seats">{num(seats)}</span> {pct}
      </span>
      <span class={`bar band-${line.band}`} title={BAND_WORDS[line.band]}>
        <span class={`fill p${line.fill}`} />
      </span>
      <span class="band-words">{BAND_WORDS[line.band]}</span>
    </div>
  );
}

function Insight({ line }: { line: DemandLine }) {
  if ("missing" in line.insight)
    return (
      <td colSpan={2} class="missing">
        {line.insight.missing}
      </td>
    );
  const r = line.insight.row;
  return (
    <>
      <td>
        {r.peak_in_use} <small>at {minute(r.peak_at)} UTC</small>
      </td>
      <td>{durationWords(r.time_at_capacity_seconds)}</td>
    </>
  );
}

function DemandTable({ lines, caption, scope }: { lines: DemandLine[]; caption: string; scope: string }) {
  return (
    <div class="scroll">
      <table class="demand" data-scope={scope}>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Feature</th>
            <th scope="col">In use of seats bought</th>
            <th scope="col">Overage</th>
            <th scope="col">30-day peak</th>
            <th scope="col">Time at capacity (30 d)</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((line) => (
            <tr class="feature" data-feature={line.row.labels.feature_name}>
              <th scope="row">{line.row.labels.feature_name}</th>
              <td>
                <Bar line={line} />
              </td>
              <td>{line.row.overage === undefined ? "" : String(line.row.overage)}</td>
              <Insight line={line} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Group({ g }: { g: GroupSection }) {
  return (
    <section class="group" data-group-id={g.id}>
      <h3>{g.name}</h3>
      <DemandTable lines={g.lines} caption={`Virtual group ${g.name} (id ${g.id})`} scope="virtual_group" />
    </section>
  );
}

export function Demand({ sections }: { sections: DemandSections }) {
  if (sections.org.length === 0)
    return (
      <section id="demand">
        <h2>Seats</h2>
        <p>No feature known yet: waiting for data from CLS.</p>
      </section>
    );
  return (
    <section id="demand">
      <h2>Seats across the organisation</h2>
      <DemandTable lines={sections.org} caption="All virtual groups together, per feature" scope="org" />
      <h2>Seats per virtual group</h2>
      {sections.groups.map((g) => (
        <Group g={g} />
      ))}
    </section>
  );
}

/** One frame per org feature; page.js draws into `.plot` and reports in `.chart-status`. */
export function Charts({ features, historyOn }: { features: string[]; historyOn: boolean }) {
  if (features.length === 0) return null;
  if (!historyOn)
    return (
      <section id="charts">
        <h2>Use against seats</h2>
        <p class="missing">history off: no charts</p>
      </section>
    );
  return (
    <section id="charts">
      <h2>Use against seats</h2>
      {features.map((f) => (
        <figure class="chart" data-feature={f} data-scope="org">
          <figcaption>{f}</figcaption>
          <fieldset class="ranges">
            <legend>Range</legend>
            {RANGES.map(([from, words]) => (
              <button type="button" data-from={from} aria-pressed={from === DEFAULT_RANGE ? "true" : "false"}>
                {words}
              </button>
            ))}
          </fieldset>
          <div class="plot" />
          <p class="chart-status" role="status">
            loading…
          </p>
        </figure>
      ))}
    </section>
  );
}

const RANGES = [
  ["-24h", "24 h"],
  ["-7d", "7 d"],
  ["-30d", "30 d"],
  ["-365d", "1 y"],
] as const;
const DEFAULT_RANGE = "-7d";

function Expiry({ e }: { e: EntitlementLine }) {
  if (e.level === "none") return <td>{EXPIRY_WORDS.none}</td>;
  const left = e.level === "ended" ? "" : ` (${e.days} d left)`;
  return (
    <td>
      {day(e.end!)}
      {left}
      {EXPIRY_WORDS[e.level] && <strong class="expiry-words"> {EXPIRY_WORDS[e.level]}</strong>}
    </td>
  );
}

export function Entitlements({ lines }: { lines: EntitlementLine[] }) {
  if (lines.length === 0)
    return (
      <section id="entitlements">
        <h2>Entitlements by end date</h2>
        <p>No entitlement known yet.</p>
      </section>
    );
  return (
    <section id="entitlements">
      <h2>Entitlements by end date</h2>
      <div class="scroll">
        <table class="entitlements">
          <thead>
            <tr>
              <th scope="col">Ends</th>
              <th scope="col">Feature</th>
              <th scope="col">Seats</th>
              <th scope="col">Virtual group</th>
              <th scope="col">Product key</th>
            </tr>
          </thead>
          <tbody>
            {lines.map((e) => (
              <tr class={`expiry expiry-${e.level}`}>
                <Expiry e={e} />
                <td>{e.feature}</td>
                <td>{num(e.total)}</td>
                <td>{e.group}</td>
                <td>{e.productKey}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
