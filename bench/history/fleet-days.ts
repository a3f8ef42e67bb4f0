/**
 * How one local day of leases unfolds for a server feature, by profile: lease (+1) and return (−1)
 * events at local minutes of that day. The draws come in a fixed order, so a seed gives the same year.
 */

import { type Rng, randInt } from "../../src/sim/random.ts";
import { clamp, exponential, normal, poisson } from "./distributions.ts";
import { type Group, MINUTES_PER_DAY, SHAPES, type Shape } from "./fleet-plan.ts";

/** Adds an event at `localMin` minutes after the day's local midnight (may run past the day's end). */
export type AddEvent = (localMin: number, delta: number) => void;

/** What a day's events depend on; `planned` is the level a compute feature is heading to (changed here). */
export interface DaySource {
  readonly profile: string;
  readonly rng: Rng;
  readonly seats: number;
  readonly persistent: number;
  readonly total: number;
  planned: number;
  readonly server: { readonly group: Group };
}

/** Compute / AI Enterprise: a level held for weeks, short bursts, a monthly maintenance night. */
export function computeDay(s: DaySource, date: Date, add: AddEvent): void {
  const rng = s.rng;
  const dow = date.getUTCDay();
  const weekend = dow === 0 || dow === 6;
  // Monthly maintenance night (first Sunday, 02:00): VMs go down in waves and come back.
  if (dow === 0 && date.getUTCDate() <= 7 && s.planned > 0) {
    const waves = randInt(rng, 1, 3);
    let t = 120 + rng() * 30;
    const level = s.planned;
    let left = level;
    for (let w = 0; w < waves; w++) {
      const n = w === waves - 1 ? left : Math.ceil(level / waves);
      add(t, -n);
      add(t + 10 + rng() * 30, n);
      left -= n;
      t += 3 + rng() * 8;
    }
  }
  if (rng() < (weekend ? 1 / 40 : 1 / 8)) {
    let t = 9 * 60 + rng() * 8 * 60;
    const dir = s.planned <= 1 ? 1 : s.planned >= s.total - 1 ? -1 : rng() < 0.5 ? 1 : -1;
    for (let k = randInt(rng, 1, 4); k > 0; k--) {
      const delta = Math.max(-s.planned, dir * randInt(rng, 1, 2));
      if (delta === 0) break;
      add(t, delta);
      s.planned += delta;
      t += 1 + rng() * 9;
    }
  }
}

/** Share of the usual attendance on `date`: holidays, the Christmas week, the summer months. */
function attendance(g: Group, date: Date): number {
  const month = date.getUTCMonth();
  if (g.holidays.has(date.toISOString().slice(5, 10))) return 0.05;
  if ((month === 11 && date.getUTCDate() >= 24) || (month === 0 && date.getUTCDate() <= 2)) return 0.25;
  return month === 6 || month === 7 ? g.summer : 1;
}

/** Desktops (office, engineering, light): workdays, ad-hoc and weekend sessions, the monthly reboot of persistent ones. */
export function deskDay(s: DaySource, date: Date, add: AddEvent): void {
  const rng = s.rng;
  const dow = date.getUTCDay();
  const shape = SHAPES[s.profile as "office" | "engineering" | "light"];
  const users = s.seats - s.persistent;
  const factor = attendance(s.server.group, date);
  const session = (start: number, minutes: number) => {
    add(start, 1);
    add(start + Math.max(5, minutes), -1);
  };
  if (dow !== 0 && dow !== 6) {
    for (let u = 0; u < users; u++) userDay(rng, shape, factor, add);
    for (let k = poisson(rng, shape.extra * users * factor); k > 0; k--)
      session(8 * 60 + rng() * 600, exponential(rng, shape.extraMeanMin));
  } else {
    for (let k = poisson(rng, shape.weekend * s.seats); k > 0; k--) session(8 * 60 + rng() * 720, exponential(rng, 120));
  }
  // Persistent desktops reboot after patching, on the second Saturday night of the month.
  if (dow === 6 && date.getUTCDate() >= 8 && date.getUTCDate() <= 14) {
    for (let p = 0; p < s.persistent; p++) {
      const t = 60 + rng() * 120;
      add(t, -1);
      add(t + 2 + rng() * 4, 1);
    }
  }
}

/** One user's workday, if they come: log on, maybe out for lunch, log off (maybe the next morning). */
function userDay(rng: Rng, shape: Shape, factor: number, add: AddEvent): void {
  if (rng() >= shape.attend * factor) return;
  const login = clamp(normal(rng, shape.loginMean, shape.loginSd), shape.loginMin, shape.loginMax) * 60;
  let logout = clamp(normal(rng, shape.logoutMean, shape.logoutSd), login / 60 + shape.minStayH, 23.9) * 60;
  if (rng() < shape.overnight) logout += MINUTES_PER_DAY;
  add(login, 1);
  if (rng() < shape.lunch) {
    const out = normal(rng, 12.25, 0.33) * 60;
    if (out > login + 30 && out < logout - 90) {
      add(out, -1);
      add(out + 20 + rng() * 40, 1);
    }
  }
  add(logout, -1);
}
