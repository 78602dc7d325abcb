# Portability scan, placed before inventory.sh (script.ts joins them); uses its m.
# Header reads only, in batches, so the cost neither grows with file sizes nor forks per file:
# `head -c 20` of every executable or library and `tail -c 22` (the ZIP end record) of every
# Java archive, many files per process through find -exec ... {} +. /dev/null goes first so
# head and tail always print their `==> NAME <==` line before each file's bytes. Both streams
# travel as hex on one line each, `h HEX` and `t HEX`, cut at scan_bytes (the caller then
# reports the scan as truncated). Archives' directories are read in a second round trip.
scan_bytes=8388608
nl='
'
probe_scan() {
  for a in "$@"; do
    case $a in scan:*) ;; *) continue ;; esac
    v=${a#scan:}
    m scan "$v"
    [ -e "$v" ] || continue
    # Names holding a newline cannot travel in head's header line and are left out.
    printf 'h\t'
    find "$v" -type f \( -perm -100 -o -perm -010 -o -perm -001 -o -name '*.so' -o -name '*.so.*' -o -name '*.node' \) \
      ! -name '*.jar' ! -name '*.war' ! -name '*.ear' ! -name '*.pyd' ! -name "*$nl*" \
      -exec head -c 20 -- /dev/null {} + 2>/dev/null | head -c "$scan_bytes" | od -An -tx1 -v | tr -d ' \n'
    printf '\nt\t'
    find "$v" -type f \( -name '*.jar' -o -name '*.war' -o -name '*.ear' -o -name '*.pyd' \) ! -name "*$nl*" \
      -exec tail -c 22 -- /dev/null {} + 2>/dev/null | head -c "$scan_bytes" | od -An -tx1 -v | tr -d ' \n'
    echo
  done
}
# The runtime a service starts: ExecStart's program from the unit file; its version and ELF
# header only when it is a known runtime (nothing else on the source is ever executed).
probe_runtimes() {
  for a in "$@"; do
    case $a in svc:*) ;; *) continue ;; esac
    u=${a#svc:}
    case $u in *.*) ;; *) u=$u.service ;; esac
    m runtime "$u"
    x=
    for dir in /etc/systemd/system /run/systemd/system /usr/local/lib/systemd/system /lib/systemd/system /usr/lib/systemd/system; do
      if [ -f "$dir/$u" ]; then
        x=$(sed -n 's/^[[:space:]]*ExecStart=[-@+!:]*//p' "$dir/$u" | head -n 1)
        break
      fi
    done
    b=${x%%[[:space:]]*}
    case $b in */env | env)
      x=${x#*[[:space:]]}
      b=${x%%[[:space:]]*}
      ;;
    esac
    [ -n "$b" ] || continue
    case ${b##*/} in
    java | python | python[0-9]* | php | php[0-9]* | php-fpm* | node | nodejs) ;;
    *) echo "exec $b"; continue ;;
    esac
    case $b in /*) ;; *) b=$(command -v "$b") || continue ;; esac
    echo "exec $b"
    case ${b##*/} in
    java) echo "version $($T "$b" -version 2>&1 | head -n 1)" ;;
    php*) echo "version $($T "$b" -v 2>/dev/null | head -n 1)" ;;
    *) echo "version $($T "$b" --version 2>&1 | head -n 1)" ;;
    esac
    printf 'elf '
    od -An -tx1 -v -N20 "$b" 2>/dev/null | tr -d ' \n'
    echo
  done
}
