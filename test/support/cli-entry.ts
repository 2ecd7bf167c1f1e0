// Entry for running the CLI from sources under tsx (tests); the installed bin runs the compiled copy.
import { main } from '../../main/cli/index.js';

main(process.argv).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
