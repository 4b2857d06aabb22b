#!/bin/sh
# Pack the PyInstaller .app into a compressed disk image with an Applications shortcut.
#
#   sh packaging/macos/make_dmg.sh "dist/LSTM Studio.app" dist/LSTM-Studio-<version>-macos-arm64.dmg \
#       "LSTM Studio <version>"
#
# packaging/build.py runs it on macOS. Needs hdiutil (part of macOS). The .app is only ad-hoc
# signed by PyInstaller: without a Developer ID and notarisation, users open it the first time
# with right-click > Open.
set -eu

if [ $# -ne 3 ]; then
    echo "usage: $0 APP DMG VOLUME_NAME" >&2
    exit 2
fi
APP=$1
DMG=$2
VOLUME=$3
[ -d "$APP" ] || { echo "make_dmg.sh: no app bundle at $APP" >&2; exit 1; }

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
ditto "$APP" "$STAGE/$(basename "$APP")"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -quiet -volname "$VOLUME" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"
echo "wrote $DMG"
