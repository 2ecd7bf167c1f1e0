#!/usr/bin/env bash
# ATTACK (attack3): `plaud-sync pull` decides from the library alone. A playable file the user edited in place
# (a trimmed or tagged copy saved over it, the file the docs call "what you open") is overwritten by the next pull
# (its size differs from the manifest), without a word.
# Run from the worktree: bash test/attack/cli-pull-overwrites-edit.sh
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
printf "my edited audio" > "$f"
echo "--- edited in place; pull again:"
cli
echo "--- the edited file now starts with:"
head -c 15 "$f"; echo; find "$T/lib" -name "*.opus" -not -path "*/.originals/*" | sed "s|$T/lib/||"
