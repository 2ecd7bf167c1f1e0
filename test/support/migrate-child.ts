// Runs the library layout migration in its own process and, when asked, kills itself (SIGKILL: no finally, no
// flush) right after step N: the kill-at-any-moment test drives it. Prints the number of steps and the report.
import { migrateLibraryLayout } from '../../main/sync/library/migrate-layout.js';

const [libraryDir, killAt] = process.argv.slice(2);
let steps = 0;
const report = await migrateLibraryLayout(libraryDir!, {
  onStep: () => {
    steps++;
    if (steps === Number(killAt)) process.kill(process.pid, 'SIGKILL');
  },
});
process.stdout.write(JSON.stringify({ steps, report }) + '\n');
