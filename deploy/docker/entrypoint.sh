#!/bin/sh
# The image's entrypoint: runs its arguments (the exporter's command line) as the unprivileged user
# EXPORTER_UID:EXPORTER_GID (set by the Dockerfile).
#
# Started as root (the image's default), it first makes the history's folder writable by that user,
# since platforms such as Railway mount a volume there owned by root, then drops to the user and
# execs. Started as anyone else (docker run --user, Kubernetes runAsUser), it only execs. Either way
# the command replaces this shell: signals reach the exporter itself and its exit code is the
# container's.
#
# Only what the history needs is touched, never recursively and never through a symbolic link: the
# folder of DB_PATH when that user cannot write it, and the history's own files in it ("<DB_PATH>"
# and "<DB_PATH>-*": -wal, -shm, -journal, the owner locks) when another user owns them.
set -eu

if [ "$(id -u)" != 0 ]; then exec "$@"; fi

say() { printf 'entrypoint: %s\n' "$*" >&2; }

case "${EXPORTER_UID:-}:${EXPORTER_GID:-}" in
  0:* | *:0 | :* | *: | *[!0-9:]* | *:*:*)
    say "EXPORTER_UID and EXPORTER_GID must be the numeric ids of a user other than root to run the exporter as"
    exit 64 ;;
esac

# The file name and default are those of src/config/settings.ts (DB_FILE_NAME, DEFAULT_DB_PATH).
DB_FILE_NAME=nvidia-cls-exporter.db

# DB_PATH as src/config/history.ts derives it: the last -db-path flag, else DB_PATH, else the file on
# the Railway volume, else ./data/ under the working folder.
db_path() {
  flag=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --) break ;;
      -db-path=* | --db-path=*) flag=${1#*=} ;;
      -db-path | --db-path) if [ $# -gt 1 ]; then flag=$2; shift; fi ;;
    esac
    shift
  done
  mount=$(printf '%s' "${RAILWAY_VOLUME_MOUNT_PATH:-}" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
  if [ -n "$flag" ]; then printf '%s' "$flag"
  elif [ -n "${DB_PATH:-}" ]; then printf '%s' "$DB_PATH"
  elif [ -n "$mount" ]; then printf '%s/%s' "$(printf '%s' "$mount" | sed 's:/*$::')" "$DB_FILE_NAME"
  else printf './data/%s' "$DB_FILE_NAME"
  fi
}

as_user() { setpriv --reuid="$EXPORTER_UID" --regid="$EXPORTER_GID" --clear-groups -- "$@"; }

# System folders (and the image's own code at /app) are never given away, whatever DB_PATH says: a
# folder the exporter's user owns there would let it replace what root runs.
protected() {
  case "$1" in
    / | /app | /bin | /boot | /dev | /etc | /home | /lib | /lib32 | /lib64 | /libx32 | /media | /mnt | /opt | /proc | /root | /run | /sbin | /srv | /sys | /tmp | /usr | /var | /var/lib) return 0 ;;
    /app/src* | /app/node_modules* | /app/migrations* | /bin/* | /boot/* | /dev/* | /etc/* | /lib/* | /lib32/* | /lib64/* | /libx32/* | /proc/* | /root/* | /sbin/* | /sys/* | /usr/*) return 0 ;;
  esac
  return 1
}

# Makes the folder of $1 (created when missing) and the history's files in it the user's, when it is
# named without ".." and reached through no symbolic link, and is not a system folder; else it is
# left as it is (the exporter then says whether it can write there).
prepare() {
  case "$1" in :memory: | "") return 0 ;; esac
  case "/$1/" in
    */../*)
      say "the history file $1 is named through '..': its folder is left as it is (name it without '..')"
      return 0 ;;
  esac
  dir=$(dirname -- "$1")
  # Lexically (no link followed) and as the kernel resolves it: they differ when a link is on the path.
  plain=$(realpath -m -s -- "$dir") && real=$(realpath -m -- "$dir") || {
    say "the history folder $dir cannot be resolved: left as it is"
    return 0
  }
  if [ "$plain" != "$real" ]; then
    say "the history folder $dir goes through a symbolic link: left as it is (name the folder it points to in DB_PATH)"
    return 0
  fi
  if protected "$real"; then
    say "the history folder $real is a system folder: left as it is (put DB_PATH in a folder of its own, such as /app/data)"
    return 0
  fi
  mkdir -p -- "$real"
  # Made (or found) by root just now: still no link in its place.
  if [ -L "$real" ] || [ "$(realpath -e -- "$real")" != "$real" ]; then
    say "the history folder $real changed into a symbolic link: left as it is"
    return 0
  fi
  if ! as_user test -w "$real" || ! as_user test -x "$real"; then
    chown -h -- "$EXPORTER_UID:$EXPORTER_GID" "$real"
    chmod u+rwx -- "$real"
    say "the history folder $real now belongs to $EXPORTER_UID:$EXPORTER_GID"
  fi
  base=$(basename -- "$1")
  for file in "$real/$base" "$real/$base"-*; do
    [ -e "$file" ] && [ ! -L "$file" ] || continue
    [ "$(stat -c %u -- "$file")" = "$EXPORTER_UID" ] && continue
    chown -h -- "$EXPORTER_UID:$EXPORTER_GID" "$file"
    say "the history file $file now belongs to $EXPORTER_UID:$EXPORTER_GID"
  done
}

# --no-prepare (the image's health check): drop to the user and exec, touching nothing.
if [ "${1:-}" = --no-prepare ]; then
  shift
else
  prepare "$(db_path "$@")"
fi

# The user's home, as Docker sets it for a USER; unchanged when the id has no passwd entry.
home=$(getent passwd "$EXPORTER_UID" | cut -d: -f6) || home=""
if [ -n "$home" ]; then export HOME="$home"; fi

exec setpriv --reuid="$EXPORTER_UID" --regid="$EXPORTER_GID" --clear-groups --no-new-privs -- "$@"
