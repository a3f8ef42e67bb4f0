/**
 * The org bench/history.ts models (bench/history/fleet.ts): its features, the roles of its license
 * servers and the profile of each feature per role, how people use their desktops, the virtual
 * groups with their time zones and holidays, and which servers join, leave or are renamed.
 */

export type Profile = "office" | "engineering" | "light" | "compute" | "idle";
export type Role = "vdi" | "engineering" | "compute";

export const MINUTES_PER_DAY = 1_440;

export const FEATURES = [
  { name: "NVIDIA Virtual PC", version: "17.0" },
  { name: "NVIDIA Virtual Applications", version: "17.0" },
  { name: "NVIDIA RTX Virtual Workstation", version: "17.0" },
  { name: "NVIDIA AI Enterprise", version: "5.0" },
  { name: "NVIDIA vCompute Server", version: "17.0" },
  { name: "NVIDIA Omniverse Enterprise", version: "2024.1" },
  { name: "GRID Virtual PC", version: "13.0" },
  { name: "GRID Virtual Applications", version: "13.0" },
  { name: "Quadro Virtual Data Center Workstation", version: "13.0" },
  { name: "NVIDIA AI Enterprise Essentials", version: "5.0" },
] as const;

/** Per role, the profile of each of the 10 features and its seat range [min, max] (users, or GPUs for compute). */
export const ROLES: Record<Role, { features: [Profile, number, number][]; pools: number[] }> = {
  vdi: {
    features: [
      ["office", 60, 120],
      ["office", 20, 50],
      ["light", 1, 6],
      ["compute", 2, 8],
      ["idle", 0, 0],
      ["light", 1, 6],
      ["office", 8, 20],
      ["light", 1, 6],
      ["light", 1, 6],
      ["idle", 0, 0],
    ],
    pools: [0, 1, 6],
  },
  engineering: {
    features: [
      ["light", 1, 6],
      ["light", 1, 6],
      ["engineering", 15, 35],
      ["compute", 2, 8],
      ["idle", 0, 0],
      ["engineering", 3, 10],
      ["idle", 0, 0],
      ["light", 1, 6],
      ["engineering", 3, 10],
      ["idle", 0, 0],
    ],
    pools: [2, 5, 8],
  },
  compute: {
    features: [
      ["light", 1, 6],
      ["idle", 0, 0],
      ["light", 1, 6],
      ["compute", 4, 24],
      ["compute", 2, 16],
      ["light", 1, 6],
      ["idle", 0, 0],
      ["idle", 0, 0],
      ["idle", 0, 0],
      ["compute", 2, 16],
    ],
    pools: [3, 4, 9],
  },
};

/** Session shapes, hours local time. */
export interface Shape {
  attend: number;
  persistent: number;
  loginMean: number;
  loginSd: number;
  loginMin: number;
  loginMax: number;
  logoutMean: number;
  logoutSd: number;
  minStayH: number;
  overnight: number;
  lunch: number;
  /** Ad-hoc weekday sessions per non-persistent user, and their mean length in minutes. */
  extra: number;
  extraMeanMin: number;
  weekend: number;
}

export const SHAPES: Record<"office" | "engineering" | "light", Shape> = {
  office: {
    attend: 0.85,
    persistent: 0.15,
    loginMean: 8.5,
    loginSd: 0.67,
    loginMin: 6,
    loginMax: 11,
    logoutMean: 17.25,
    logoutSd: 1,
    minStayH: 2,
    overnight: 0.04,
    lunch: 0.1,
    extra: 0.15,
    extraMeanMin: 60,
    weekend: 0.04,
  },
  engineering: {
    attend: 0.8,
    persistent: 0.3,
    loginMean: 9,
    loginSd: 1,
    loginMin: 6.5,
    loginMax: 12,
    logoutMean: 18.5,
    logoutSd: 1.5,
    minStayH: 3,
    overnight: 0.12,
    lunch: 0.05,
    extra: 0.1,
    extraMeanMin: 120,
    weekend: 0.06,
  },
  light: {
    attend: 0.5,
    persistent: 0,
    loginMean: 9,
    loginSd: 1,
    loginMin: 6.5,
    loginMax: 12,
    logoutMean: 17,
    logoutSd: 1.2,
    minStayH: 1,
    overnight: 0.03,
    lunch: 0.05,
    extra: 0.05,
    extraMeanMin: 60,
    weekend: 0.02,
  },
};

export interface Group {
  id: string;
  name: string;
  /** Minutes to add to UTC for local time (no daylight saving). */
  tz: number;
  holidays: Set<string>;
  summer: number;
}

export const GROUPS: Omit<Group, "holidays">[] = [
  { id: "5001", name: "EMEA", tz: 60, summer: 0.7 },
  { id: "5002", name: "US-East", tz: -300, summer: 0.8 },
  { id: "5003", name: "US-West", tz: -480, summer: 0.8 },
  { id: "5004", name: "APAC", tz: 480, summer: 0.9 },
];
export const HOLIDAYS: Record<string, string[]> = {
  EMEA: ["01-01", "04-18", "04-21", "05-01", "05-29", "06-09", "10-03", "12-25", "12-26"],
  "US-East": ["01-01", "01-20", "02-17", "05-26", "07-04", "09-01", "11-27", "11-28", "12-25"],
  "US-West": ["01-01", "01-20", "02-17", "05-26", "07-04", "09-01", "11-27", "11-28", "12-25"],
  APAC: ["01-01", "01-29", "01-30", "01-31", "04-04", "05-01", "10-01", "10-02", "12-25"],
};

/** Servers: [group index, role, joins at fraction of span (0 = from the start), leaves at fraction (1 = stays)]. */
export const SERVER_PLAN: [number, Role, number, number][] = [
  ...Array.from({ length: 6 }, (): [number, Role, number, number] => [0, "vdi", 0, 1]),
  [0, "engineering", 0, 1],
  [0, "engineering", 0.8, 1],
  [0, "compute", 0, 1],
  [0, "compute", 0, 1],
  [0, "vdi", 0, 0.4],
  ...Array.from({ length: 4 }, (): [number, Role, number, number] => [1, "vdi", 0, 1]),
  [1, "engineering", 0, 1],
  [1, "engineering", 0, 1],
  [1, "compute", 0, 1],
  [1, "compute", 0, 1],
  [1, "compute", 0, 0.65],
  [2, "vdi", 0, 1],
  [2, "vdi", 0, 1],
  [2, "vdi", 0.52, 1],
  [2, "engineering", 0, 1],
  [2, "compute", 0, 1],
  [2, "compute", 0, 1],
  ...Array.from({ length: 3 }, (): [number, Role, number, number] => [3, "vdi", 0, 1]),
  [3, "engineering", 0, 1],
  [3, "compute", 0, 1],
  [3, "compute", 0.2, 1],
];
/** The server (index in SERVER_PLAN) renamed at this fraction of the span. */
export const RENAMED: [number, number] = [1, 0.55];
