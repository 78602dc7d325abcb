# Portability scan, placed before inventory.sh (script.ts joins them); uses its m and T.
# Header reads only, so the cost per file does not grow with the file: 20 bytes of every
# executable or library (od), the last 22 bytes of every Java archive and, when its directory
# names a native library, the directory itself (tail/head). Nothing else is opened.
# Output lines (TAB separated, the path always last so it may hold spaces and tabs):
#   e HEX PATH               first 20 bytes of a file that starts like ELF
#   w PATH                   a Windows Python extension (.pyd)
#   z CDOFFSET CDSIZE PATH   a Java archive (- - when its end record was not found)
#   c HEX                    that archive's central directory (only when it names a library)
#   candidates N / truncated
scan_limit=10000
zip_limit=262144
nl='
'
scan_zip() {
  set -- $(tail -c 22 "$f" 2>/dev/null | od -An -tu1 -v)
  # An archive comment would move the end record; JARs do not carry one, so it is not searched.
  if [ "$#" -ne 22 ] || [ "$1 $2 $3 $4" != "80 75 5 6" ]; then
    printf 'z\t-\t-\t%s\n' "$f"
    return 0
  fi
  size=$((${13} + ${14} * 256 + ${15} * 65536 + ${16} * 16777216))
  off=$((${17} + ${18} * 256 + ${19} * 65536 + ${20} * 16777216))
  printf 'z\t%s\t%s\t%s\n' "$off" "$size" "$f"
  [ "$size" -le "$zip_limit" ] || size=$zip_limit
  if tail -c +$((off + 1)) "$f" 2>/dev/null | head -c "$size" | LC_ALL=C grep -q -E '\.(so|dll|dylib|jnilib|node)'; then
    printf 'c\t'
    tail -c +$((off + 1)) "$f" 2>/dev/null | head -c "$size" | od -An -tx1 -v | tr -d ' \n'
    echo
  fi
}
scan_files() {
  c=0
  while IFS= read -r f; do
    if [ "$c" -ge "$scan_limit" ]; then echo truncated; break; fi
    c=$((c + 1))
    case $f in
    *.pyd) printf 'w\t%s\n' "$f" ;;
    *.jar | *.war | *.ear) scan_zip ;;
    *)
      h=$(od -An -tx1 -v -N20 "$f" 2>/dev/null)
      case $h in *7f*45*4c*46*)
        printf 'e\t'
        printf '%s' $h
        printf '\t%s\n' "$f"
        ;;
      esac
      ;;
    esac
  done
  echo "candidates $c"
}
probe_scan() {
  for a in "$@"; do
    case $a in scan:*) ;; *) continue ;; esac
    v=${a#scan:}
    m scan "$v"
    [ -e "$v" ] || continue
    # Executables and anything named like a library or a Java archive; names holding a newline
    # cannot travel in this line format and are left out.
    find "$v" -type f \( -perm -100 -o -perm -010 -o -perm -001 -o -name '*.so' -o -name '*.so.*' \
      -o -name '*.node' -o -name '*.pyd' -o -name '*.jar' -o -name '*.war' -o -name '*.ear' \) \
      ! -name "*$nl*" -print 2>/dev/null | head -n $((scan_limit + 1)) | scan_files
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
