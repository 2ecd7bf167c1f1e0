#!/bin/bash
# Plaud Sync .deb post-remove: undo after-install.sh. The recordings library and the user's settings and
# ledger live in the user's home and are never touched here.

APP_DIR='/opt/${sanitizedProductName}'
BIN_NAME='${executable}'

if command -v update-alternatives >/dev/null 2>&1; then
  update-alternatives --remove "$BIN_NAME" "$APP_DIR/$BIN_NAME" || true
else
  rm -f "/usr/bin/$BIN_NAME"
fi

PROFILE_DST="/etc/apparmor.d/$BIN_NAME"
if [ -f "$PROFILE_DST" ]; then
  if command -v apparmor_parser >/dev/null 2>&1 && ! { [ -x /usr/bin/ischroot ] && /usr/bin/ischroot; }; then
    apparmor_parser --remove "$PROFILE_DST" >/dev/null 2>&1 || true
  fi
  rm -f "$PROFILE_DST"
fi

# dpkg has already removed the rule file; reload so the grant stops applying.
if command -v udevadm >/dev/null 2>&1; then
  udevadm control --reload-rules || true
fi

exit 0
