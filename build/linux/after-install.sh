#!/bin/bash
# Plaud Sync .deb post-install. Replaces electron-builder's default script, so it does that script's
# jobs too: the /usr/bin link, the Chromium sandbox mode, the desktop database, the AppArmor profile;
# then loads our udev rule. electron-builder fills in the two ${...} names when it packs the .deb
# (so no other brace-style shell variables may appear in this file).

APP_DIR='/opt/${sanitizedProductName}'
BIN_NAME='${executable}'

# Command-line launcher.
if command -v update-alternatives >/dev/null 2>&1; then
  update-alternatives --install "/usr/bin/$BIN_NAME" "$BIN_NAME" "$APP_DIR/$BIN_NAME" 100 || ln -sf "$APP_DIR/$BIN_NAME" "/usr/bin/$BIN_NAME"
else
  ln -sf "$APP_DIR/$BIN_NAME" "/usr/bin/$BIN_NAME"
fi

# Chromium's setuid sandbox is needed only where unprivileged user namespaces do not work.
if [ -L /proc/self/ns/user ] && unshare --user true 2>/dev/null; then
  chmod 0755 "$APP_DIR/chrome-sandbox" || true
else
  chmod 4755 "$APP_DIR/chrome-sandbox" || true
fi

command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database /usr/share/applications || true

# Ubuntu 24.04+ restricts user namespaces unless an AppArmor profile allows them; electron-builder ships one
# in resources/. Install it only where this AppArmor understands it.
if command -v apparmor_parser >/dev/null 2>&1 && apparmor_status --enabled >/dev/null 2>&1; then
  PROFILE_SRC="$APP_DIR/resources/apparmor-profile"
  PROFILE_DST="/etc/apparmor.d/$BIN_NAME"
  if [ -f "$PROFILE_SRC" ] && apparmor_parser --skip-kernel-load --debug "$PROFILE_SRC" >/dev/null 2>&1; then
    cp -f "$PROFILE_SRC" "$PROFILE_DST"
    if ! { [ -x /usr/bin/ischroot ] && /usr/bin/ischroot; }; then
      apparmor_parser --replace --write-cache --skip-read-cache "$PROFILE_DST" || true
    fi
  fi
fi

# Our udev rule (/usr/lib/udev/rules.d/70-plaud-sync.rules): load it now and apply it to a recorder that is
# already plugged in, so the user need not replug or reboot. Harmless where udev is not running (containers).
if command -v udevadm >/dev/null 2>&1; then
  udevadm control --reload-rules || true
  udevadm trigger --subsystem-match=usb --attr-match=idVendor=0bda || true
fi

exit 0
