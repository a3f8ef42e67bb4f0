/** What /proc says about a process (Linux): memory, CPU time, open file descriptors. */

import { readdirSync, readFileSync } from "node:fs";

/** VmRSS of a process in bytes. */
export async function rssOf(pid: number): Promise<number> {
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(await Bun.file(`/proc/${pid}/status`).text());
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb[1]) * 1024;
}

/** utime + stime of a process in ms (clock ticks of 10 ms). */
export function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export const fdCountOf = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;
