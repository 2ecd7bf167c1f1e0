#!/usr/bin/env bash
# ATTACK (attack3): `plaud-sync pull` decides from the library alone. A playable file the user renamed (or deleted)
# is made again under its old readable name at every pull, and the CLI calls it "1 new recording(s)" and "pulled".
# Run from the worktree: bash test/attack/cli-pull-recreates.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
T=$(mktemp -d /tmp/attack3-cli-XXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/vol" "$T/st"
cat > "$T/mkvol.ts" <<TS
import { layOutRecorder } from '$PWD/test/support/recorder.ts';
await layOutRecorder(process.argv[2]!, { recordings: [{ startSec: 1709280000, seconds: 1 }] });
TS
npx tsx "$T/mkvol.ts" "$T/vol"
cli() { npx tsx test/support/cli-entry.ts pull --volume "$T/vol" --library "$T/lib" --state-dir "$T/st"; }
cli
f=$(find "$T/lib" -name '*.opus' -not -path '*/.originals/*')
mv "$f" "$(dirname "$f")/Meeting with Bob.opus"
echo "--- renamed to 'Meeting with Bob.opus'; pull again:"
cli
echo "--- playable files now:"
find "$T/lib" -name '*.opus' -not -path '*/.originals/*' | sed "s|$T/lib/||"
