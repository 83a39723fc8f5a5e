#!/usr/bin/env bash
# shellcheck disable=SC2015  # `A && ok ... || fail ...`: ok only prints, it never fails
# The Debian package test (ctest package.deb): builds the package with scripts/package from the
# already built tree, checks its metadata and contents, runs lintian, verifies the systemd units,
# checks the man pages against --help, then unpacks it into a temporary root (dpkg-deb -x) and
# runs the packaged evidence-index and evidence-server from there against the packaged corpus
# and page on a loopback port: health, a search, the page.
#
#   run-package-test.sh SOURCE_DIR BUILD_DIR
#
# Exits 77 (ctest: skipped) with a message when a tool it needs is missing.
set -euo pipefail
src=$1
build=$2

missing=()
for tool in dpkg-deb dpkg-shlibdeps lintian help2man systemd-analyze curl; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "SKIP: package test: ${missing[*]} not installed (Debian: apt-get install dpkg-dev lintian help2man systemd curl, or ./scripts/install-deps)"
  exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/package-test.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

echo "== build the package from $build"
"$src/scripts/package" --build-dir "$build" --out "$tmp/out"
debs=("$tmp"/out/backpain-evidence_*.deb)
deb=${debs[0]}
[ -f "$deb" ] || { echo "FAIL: no package written"; exit 1; }

echo "== metadata"
dpkg-deb --info "$deb"
field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = backpain-evidence ] && ok "Package" || fail "Package is '$(field Package)'"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] && ok "Architecture" || fail "Architecture"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
[ "$(field Version)" = "$version" ] && ok "Version $version" || fail "Version is '$(field Version)', not $version"
depends=$(field Depends)
for lib in libc6 libstdc++6 libxapian30 libcpp-httplib libpugixml1v5 adduser; do
  grep -q "$lib" <<<"$depends" && ok "Depends: $lib" || fail "Depends lacks $lib: $depends"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -t >"$tmp/control.list"
for f in control md5sums conffiles postinst prerm postrm; do
  grep -qx "./$f" "$tmp/control.list" && ok "control file $f" || fail "no control file $f"
done
for conffile in /etc/default/backpain-evidence /etc/backpain-evidence/update.env; do
  dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx "$conffile" &&
    ok "conffile $conffile" || fail "$conffile is not a conffile"
done
# The server is enabled on install; the daily update (it fetches from public services) is not.
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./postinst >"$tmp/postinst"
grep -q '^    for unit in evidence-server.service; do' "$tmp/postinst" &&
  ok "postinst enables evidence-server.service only" || fail "postinst enables: $(grep -m1 'for unit in' "$tmp/postinst")"
grep -q '^    for unit in evidence-update.service evidence-update.timer; do' "$tmp/postinst" &&
  ok "postinst installs the update units without enabling them" || fail "the update units are not in postinst's other units"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./postrm | grep -q 'for unit in evidence-server.service evidence-update.service evidence-update.timer; do' &&
  ok "postrm purges every unit" || fail "postrm does not name every unit"

echo "== contents"
dpkg-deb --contents "$deb" >"$tmp/contents"
awk '{print $6}' "$tmp/contents" >"$tmp/paths"
expected=(
  ./usr/bin/evidence-index ./usr/bin/evidence-server ./usr/bin/evidence-fetch
  ./usr/share/backpain-evidence/web/index.html ./usr/share/backpain-evidence/web/app.js
  ./usr/share/backpain-evidence/schema/vocabulary.json ./usr/share/backpain-evidence/schema/study.schema.json
  ./usr/share/backpain-evidence/docs/openapi.json
  ./usr/share/man/man1/evidence-index.1.gz ./usr/share/man/man1/evidence-server.1.gz
  ./usr/share/man/man1/evidence-fetch.1.gz
  ./lib/systemd/system/evidence-server.service ./etc/default/backpain-evidence
  ./lib/systemd/system/evidence-update.service ./lib/systemd/system/evidence-update.timer
  ./usr/libexec/backpain-evidence/update ./etc/backpain-evidence/update.env
  ./usr/lib/sysusers.d/backpain-evidence.conf
  ./usr/share/doc/backpain-evidence/copyright ./usr/share/doc/backpain-evidence/changelog.gz
)
for path in "${expected[@]}"; do
  grep -qx "$path" "$tmp/paths" && ok "$path" || fail "missing $path"
done
for unit in "$src"/deploy/systemd/*.service "$src"/deploy/systemd/*.timer; do
  [ -f "$unit" ] || continue
  grep -qx "./lib/systemd/system/$(basename "$unit")" "$tmp/paths" &&
    ok "unit $(basename "$unit")" || fail "unit $(basename "$unit") not packaged"
done
corpus_src=$(find "$src/corpus" -name '*.json' | wc -l)
corpus_deb=$(grep -c '/usr/share/backpain-evidence/corpus/.*\.json$' "$tmp/contents" || true)
[ "$corpus_src" -eq "$corpus_deb" ] && ok "corpus: $corpus_deb records" || fail "corpus: $corpus_deb records packaged, $corpus_src in corpus/"
[ -z "$(awk '$2 != "root/root"' "$tmp/contents")" ] && ok "owned by root/root" || fail "files not owned by root/root"
grep -q '/var/lib' "$tmp/contents" && fail "the package ships files under /var/lib (the index is made by postinst)" ||
  ok "nothing shipped under /var/lib"

echo "== lintian"
if lintian --fail-on error "$deb" >"$tmp/lintian.log" 2>&1; then
  ok "lintian: no errors"
else
  fail "lintian reports errors"
fi
cat "$tmp/lintian.log"

echo "== unpack into a temporary root"
root="$tmp/root"
dpkg-deb -x "$deb" "$root"

echo "== systemd units"
# The units as shipped, side by side (a timer needs its service), with their programs looked up
# in the unpacked root: systemd-analyze checks that ExecStart names an executable.
mkdir -p "$tmp/units"
for unit in "$root"/lib/systemd/system/*; do
  sed "s|^\(Exec[A-Za-z]*=[-@:+!]*\)/usr/|\1$root/usr/|" "$unit" >"$tmp/units/$(basename "$unit")"
done
for unit in "$tmp"/units/*; do
  # It exits 0 on unknown keys and bad values: any message at all is a failure.
  if systemd-analyze verify --man=no "$unit" >"$tmp/verify.log" 2>&1 && [ ! -s "$tmp/verify.log" ]; then
    ok "systemd-analyze verify $(basename "$unit")"
  else
    fail "systemd-analyze verify $(basename "$unit")"
  fi
  cat "$tmp/verify.log"
done

echo "== man pages in step with --help"
# Every long option the program's --help names (with its subcommands') is in its man page, and
# the man page names no option the program does not have.
options() { grep -o -- '--[a-z][a-z0-9-]*' | sort -u; }
for p in evidence-index evidence-server evidence-fetch; do
  {
    "$root/usr/bin/$p" --help
    if [ "$p" = evidence-fetch ]; then
      "$root/usr/bin/$p" pubmed --help
      "$root/usr/bin/$p" ctgov --help
    fi
  } | options >"$tmp/$p.help"
  zcat "$root/usr/share/man/man1/$p.1.gz" | sed 's/\\-/-/g' | options >"$tmp/$p.man"
  if diff "$tmp/$p.help" "$tmp/$p.man" >"$tmp/$p.diff"; then
    ok "$p.1 names the $(wc -l <"$tmp/$p.help") options of --help"
  else
    fail "$p.1 differs from --help (< help, > man):"
    cat "$tmp/$p.diff"
  fi
done

echo "== the packaged programs, from the unpacked root"
data="$root/usr/share/backpain-evidence"
"$root/usr/bin/evidence-index" --help | grep -q "Data folder.*: $data\$" && ok "evidence-index reads $data" ||
  fail "evidence-index does not default to the packaged data folder"
"$root/usr/bin/evidence-index" --quiet --db "$tmp/index" "$data/corpus" >"$tmp/index.log" 2>&1 ||
  { cat "$tmp/index.log"; echo "FAIL: indexing the packaged corpus"; exit 1; }
ok "indexed the packaged corpus: $(head -1 "$tmp/index.log")"
# No --web nor --vocabulary: the packaged page and vocabulary are the defaults.
"$root/usr/bin/evidence-server" --quiet --db "$tmp/index" --host 127.0.0.1 --port 0 >"$tmp/server.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$tmp/server.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$tmp/server.log"; echo "FAIL: the server did not start"; exit 1; }
base="http://127.0.0.1:$port"
curl -fsS "$base/healthz" >/dev/null && ok "GET /healthz" || fail "GET /healthz"
ready=$(curl -fsS "$base/readyz" || true)
grep -q '"records":[1-9]' <<<"$ready" && ok "GET /readyz: $ready" || fail "GET /readyz: $ready"
search=$(curl -fsS "$base/api/search?q=acupuncture%20chronic%20low%20back%20pain&per_page=3" || true)
grep -q '"LBP[0-9]*"' <<<"$search" && ok "GET /api/search finds corpus records" || fail "GET /api/search: ${search:0:300}"
if curl -fsS -o "$tmp/page.html" "$base/" && cmp -s "$tmp/page.html" "$data/web/index.html"; then
  ok "GET / is the packaged page"
else
  fail "GET / is not the packaged web/index.html"
fi
curl -fsS "$base/app.js" | cmp -s - "$data/web/app.js" && ok "GET /app.js" || fail "GET /app.js"

echo "== the packaged daily update"
update="$root/usr/libexec/backpain-evidence/update"
"$update" --help | grep -q 'installed: /var/lib/backpain-evidence/index' && ok "update --help" || fail "update --help"
# Installed, it looks for the programs in one folder (the package's /usr/bin): pointed at the
# unpacked root's, with an empty query for each source, it checks its settings, fetches nothing
# and says so (no network needed).
printf 'EVIDENCE_PUBMED_QUERY=\nEVIDENCE_CTGOV_QUERY=\n' >"$tmp/update.env"
if EVIDENCE_BIN="$root/usr/bin" EVIDENCE_DB="$tmp/index" EVIDENCE_INBOX="$tmp/inbox" \
  "$update" --config "$tmp/update.env" >"$tmp/update.log" 2>&1 && grep -q 'nothing new to index' "$tmp/update.log"; then
  ok "update from the package runs: $(tail -1 "$tmp/update.log")"
else
  fail "update from the package:"
  cat "$tmp/update.log"
fi

if [ "$failures" -gt 0 ]; then
  echo "package test: $failures failure(s)"
  exit 1
fi
echo "package test: all checks passed"
