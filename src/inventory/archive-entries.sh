# The first 20 bytes of native libraries inside Java archives. Run as
# `sh -c THIS migrate-archive-entries ARCHIVE OFFSET METHOD SIZE ...` (archive-entries.ts), four
# arguments per entry, from offsets the central directory gave. Prints `x INDEX HEX` per entry
# (HEX empty when unreadable), then `end`. A deflated entry is read through gzip with a gzip
# header put in front of the raw deflate data; only its first 64 KiB are ever read.
entry() {
  f=$1 off=$2 method=$3 size=$4
  set -- $(tail -c +$((off + 1)) "$f" 2>/dev/null | head -c 30 | od -An -tu1 -v)
  if [ "$#" -ne 30 ] || [ "$1 $2 $3 $4" != "80 75 3 4" ]; then return 0; fi
  data=$((off + 30 + ${27} + ${28} * 256 + ${29} + ${30} * 256))
  [ "$size" -le 65536 ] || size=65536
  case $method in
  0) tail -c +$((data + 1)) "$f" 2>/dev/null | head -c 20 ;;
  8)
    {
      printf '\037\213\010\000\000\000\000\000\000\003'
      tail -c +$((data + 1)) "$f" 2>/dev/null | head -c "$size"
    } | gzip -dc 2>/dev/null | head -c 20
    ;;
  esac | od -An -tx1 -v
}
i=0
while [ "$#" -ge 4 ]; do
  printf 'x\t%s\t' "$i"
  entry "$1" "$2" "$3" "$4" | tr -d ' \n'
  echo
  i=$((i + 1))
  shift 4
done
echo end
