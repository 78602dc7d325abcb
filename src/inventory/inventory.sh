# migrate inventory: one round trip per host. Run as `sh -c THIS migrate-inventory NONCE ARGS...`
# (see script.ts). POSIX sh; every fact is best effort, a missing tool leaves its section empty.
n=$1; shift
cd / || exit 1
m() { printf '\n@@%s %s@@\n' "$n" "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
# A hung probe (a locked database, a stale NFS mount) must not hold the whole host past its deadline.
if have timeout; then T="timeout 30"; else T=; fi
asuser() {
  u=$1; shift
  if [ "$(id -un)" = "$u" ]; then "$@"
  elif [ "$(id -u)" = 0 ] && have runuser; then runuser -u "$u" -- "$@"
  elif [ "$(id -u)" = 0 ]; then su "$u" -s /bin/sh -c '"$0" "$@"' -- "$@"
  else "$@"; fi
}
probe_listen() {
  if have ss; then m listen-ss; ss -ltnpH 2>/dev/null || ss -ltnH
  elif have netstat; then m listen-netstat; netstat -ltnp 2>/dev/null || netstat -ltn; fi
}
probe_services() {
  if have systemctl && units=$(systemctl list-units --type=service --state=running --no-legend --plain 2>/dev/null); then
    m services-systemd; printf '%s\n' "$units"
  else m services-ps; ps -eo comm= 2>/dev/null; fi
}
probe_paths() {
  for a in "$@"; do
    case $a in path:*) ;; *) continue;; esac
    v=${a#path:}
    m path "$v"
    if [ ! -e "$v" ]; then echo missing
    elif find "$v" -maxdepth 0 -printf '' >/dev/null 2>&1; then
      $T find "$v" ! -type d -printf '%s\n' 2>/dev/null | awk '{n++; s+=$1} END {printf "%.0f %.0f\n", n, s}'
    else
      echo "$($T find "$v" ! -type d 2>/dev/null | wc -l) $($T du -sk "$v" 2>/dev/null | awk '{printf "%.0f", $1*1024}')"
    fi
  done
}
# `pg?:PORT` / `my?:PORT` (a host with no database in the plan): look only when the server's
# local socket exists, so hosts without databases do not pay for starting the clients.
pg_socket() { [ -S "/var/run/postgresql/.s.PGSQL.$1" ] || [ -S "/tmp/.s.PGSQL.$1" ]; }
my_socket() { [ -S /var/run/mysqld/mysqld.sock ] || [ -S /var/lib/mysql/mysql.sock ]; }
probe_databases() {
  for a in "$@"; do
    v=${a#*:}
    case $a in
    pg\?:*) pg_socket "$v" || continue;;
    my\?:*) my_socket || continue;;
    esac
    case $a in
    pg:* | pg\?:*)
      m pg "$v"
      if have psql; then
        asuser postgres $T psql -XAtq -p "$v" -d postgres -c "select 'version', current_setting('server_version') union all select datname, pg_database_size(datname)::text from pg_database where datallowconn" 2>&1
      else echo "absent|psql not installed"; fi;;
    my:* | my\?:*)
      m my "$v"
      if have mysql; then
        $T mysql -NB -P "$v" -e "select 'version', version() union all select table_schema, sum(data_length + index_length) from information_schema.tables group by table_schema" 2>&1
      else echo "absent	mysql not installed"; fi;;
    esac
  done
}
# The slower probes (sockets, services, sizes, databases) run side by side when a scratch
# directory is available; their sections are printed afterwards in a fixed order.
d=$(mktemp -d 2>/dev/null) || d=
if [ -n "$d" ]; then
  trap 'rm -rf "$d"' EXIT
  probe_listen >"$d/listen" &
  probe_services >"$d/services" &
  probe_paths "$@" >"$d/paths" &
  probe_databases "$@" >"$d/databases" &
  probe_scan "$@" >"$d/scan" &
  probe_runtimes "$@" >"$d/runtimes" &
fi
m os-release; cat /etc/os-release 2>/dev/null
m uname; uname -s; uname -r; uname -m; uname -n
m nproc; nproc 2>/dev/null || getconf _NPROCESSORS_ONLN
m meminfo; grep -E '^(MemTotal|MemAvailable):' /proc/meminfo 2>/dev/null
if df -PB1 / >/dev/null 2>&1; then m df 1; df -PB1 2>/dev/null; else m df 1024; df -Pk 2>/dev/null; fi
for f in /var/spool/cron/crontabs/* /var/spool/cron/* /etc/crontab /etc/cron.d/*; do
  if [ -f "$f" ] && [ -r "$f" ]; then m cron "$f"; cat "$f"; fi
done
if [ -n "$d" ]; then
  wait
  cat "$d/listen" "$d/services" "$d/paths" "$d/databases" "$d/scan" "$d/runtimes"
else
  probe_listen; probe_services; probe_paths "$@"; probe_databases "$@"; probe_scan "$@"; probe_runtimes "$@"
fi
m end
