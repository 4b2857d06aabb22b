#!/bin/sh
# Add LSTM Studio to this user's application menu, or take it out again.
#
#   ./install.sh              menu entry + icons under ~/.local/share, `lstm-studio` in ~/.local/bin
#   ./install.sh --uninstall  remove exactly those (the unpacked folder itself stays)
#
# The app runs from the folder this script sits in: unpack it where it should live first.
set -eu

APP_ID=io.github.lstmstudio.LSTMStudio
HERE=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd -P)
EXE="$HERE/lstm-studio"
RES="$HERE/_internal/lstm_studio/resources"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
APPS="$DATA/applications"
ICONS="$DATA/icons/hicolor"
BIN="$HOME/.local/bin"

refresh() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$APPS" 2>/dev/null || true
    fi
    # Refresh an existing icon cache only: a new cache nobody else updates would hide icons later.
    if [ -f "$ICONS/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t "$ICONS" 2>/dev/null || true
    fi
}

remove_from_menu() {
    rm -f "$APPS/$APP_ID.desktop" "$ICONS/256x256/apps/$APP_ID.png" \
        "$ICONS/scalable/apps/$APP_ID.svg"
    # Only our own link: never a `lstm-studio` someone else put there.
    if [ -L "$BIN/lstm-studio" ] && [ "$(readlink "$BIN/lstm-studio")" = "$EXE" ]; then
        rm -f "$BIN/lstm-studio"
    fi
    refresh
    echo "LSTM Studio removed from the menu."
}

add_to_menu() {
    if [ ! -x "$EXE" ] || [ ! -f "$RES/$APP_ID.desktop" ]; then
        echo "install.sh: run me from the unpacked LSTM Studio folder." >&2
        exit 1
    fi
    case "$HERE" in
        *[\"\`\$\\%]*)
            echo "install.sh: move the folder to a path without \" \` \$ \\ or % first." >&2
            exit 1 ;;
    esac
    mkdir -p "$APPS" "$ICONS/256x256/apps" "$ICONS/scalable/apps" "$BIN"
    cp "$RES/icons/lstm-studio.png" "$ICONS/256x256/apps/$APP_ID.png"
    cp "$RES/icons/lstm-studio.svg" "$ICONS/scalable/apps/$APP_ID.svg"
    # The shipped entry runs `lstm-studio` from PATH; point it at this folder instead.
    while IFS= read -r line || [ -n "$line" ]; do
        case "$line" in
            Exec=*) printf 'Exec="%s"\n' "$EXE" ;;
            *) printf '%s\n' "$line" ;;
        esac
    done < "$RES/$APP_ID.desktop" > "$APPS/$APP_ID.desktop.part"
    mv "$APPS/$APP_ID.desktop.part" "$APPS/$APP_ID.desktop"
    if [ ! -e "$BIN/lstm-studio" ] || [ -L "$BIN/lstm-studio" ]; then
        ln -sfn "$EXE" "$BIN/lstm-studio"
    fi
    refresh
    echo "LSTM Studio added to the menu ($APPS/$APP_ID.desktop)."
}

case "${1:-}" in
    "") add_to_menu ;;
    --uninstall) remove_from_menu ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) echo "usage: $0 [--uninstall]" >&2; exit 2 ;;
esac
