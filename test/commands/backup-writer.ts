/**
 * A history writer for the backup tests, in its own process as an exporter is: it takes the owner
 * lock and records refreshes (every series changing each time) as fast as it can until SIGTERM,
 * then closes the store. Prints "recording" once the first refresh is written.
 * Usage: bun run test/commands/backup-writer.ts DB_PATH
 */
import { createLogger } from "../../src/log.ts";
import { HistoryStore } from "../../src/store/index.ts";
import { BACKUP_T0, busyRefresh } from "./backup-fixture.ts";

const path = process.argv[2]!;
const store = new HistoryStore({
  path,
  orgName: "writer-org",
  maxGapS: 130,
  rawRetentionS: 8 * 86_400,
  retentionS: 400 * 86_400,
  now: Date.now,
  log: createLogger({ write: (l) => process.stderr.write(l) }),
  owner: { pid: process.pid, host: "test", since: Date.now() },
});
let stopping = false;
process.on("SIGTERM", () => {
  stopping = true;
});
for (let i = 0; !stopping; i++) {
  store.record(busyRefresh(BACKUP_T0 + 60 * i, i));
  if (i === 0) process.stdout.write("recording\n");
  await Bun.sleep(1);
}
store.close();
