# Byte ranges of files, for the portability scan's later round trips (archive-scan.ts): Java
# archives' central directories, then the first bytes of their native members. Run as
# `sh -c THIS migrate-read-ranges NONCE FILE OFFSET LENGTH ...`. One od per range (it seeks to
# the offset); each range's hex lines follow a `@@NONCE INDEX@@` line, then `end`.
n=$1
shift
i=0
while [ "$#" -ge 3 ]; do
  printf '@@%s %s@@\n' "$n" "$i"
  od -An -tx1 -v -j "$2" -N "$3" "$1" 2>/dev/null
  i=$((i + 1))
  shift 3
done
echo end
