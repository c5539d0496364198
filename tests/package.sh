#!/usr/bin/env bash
# The system install and the Debian package (cmake/packaging.cmake).
#   tests/package.sh install SOURCE_DIR BUILD_DIR VERSION   (ctest install_tree)
#     `cmake --install --prefix STAGE`: the tree, a unit pointing at the staged
#     binaries that `systemd-analyze verify` accepts, the installed config
#     valid, and a second install keeping an edited config and rule file.
#   tests/package.sh deb SOURCE_DIR BUILD_DIR VERSION   (ctest package_deb)
#     cpack's .deb: version, Depends, conffiles, its tree unpacked with
#     `dpkg -x` into a throwaway root, every library `ldd` finds for its
#     binaries provided by a package named in Depends, the unit verified, the
#     packaged config valid, and the packaged ticketd started with it (ports
#     and store moved) until /readyz, then stopped. Exits 77 (skipped) without
#     dpkg-dev or file(1).
# Man pages are expected when CMake found pandoc and docs/man has sources.
set -euo pipefail
mode=$1 src=$2 build=$3 version=$4
work=$(mktemp -d)
pid=""
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAILED: $*"; exit 1; }

man_sources=$(sed -n 's/^TICKETD_MAN_SOURCES:PATH=//p' "$build/CMakeCache.txt")
expect_man=()
pandoc=$(sed -n 's/^PANDOC_PROGRAM:FILEPATH=//p' "$build/CMakeCache.txt")
if [ -x "$pandoc" ] && [ -n "$man_sources" ]; then
  for f in "$man_sources"/*.md; do
    [ -e "$f" ] || continue
    page=$(basename "$f" .md)
    expect_man+=("share/man/man${page##*.}/$page.gz")
  done
fi
# The binaries and man pages may not be built yet when this runs alone.
cmake --build "$build" --target ticketd ticketctl ticketd_man >/dev/null

# Checks an installed tree: PREFIX (usr or the stage), CONF (its etc/ticketd),
# UNIT (the unit file).
check_tree() {
  local prefix=$1 conf=$2 unit=$3
  for f in bin/ticketd bin/ticketctl share/doc/ticketd/README.md \
           share/doc/ticketd/examples/ticketd.yaml \
           share/bash-completion/completions/ticketctl "${expect_man[@]}"; do
    [ -e "$prefix/$f" ] || fail "$prefix/$f not installed"
  done
  [ -f "$conf/ticketd.yaml" ] || fail "$conf/ticketd.yaml not installed"
  for r in "$src"/rules/*.yaml; do
    [ -f "$conf/rules/$(basename "$r")" ] || fail "$conf/rules/$(basename "$r") not installed"
  done
  [ -f "$unit" ] || fail "$unit not installed"
  "$prefix/bin/ticketd" --version | grep -qx "ticketd $version" \
    || fail "ticketd --version: $("$prefix/bin/ticketd" --version), expected $version"
  "$prefix/bin/ticketctl" check-rules "$conf/rules" >/dev/null || fail "ticketctl check-rules $conf/rules"
}

# systemd-analyze verify of UNIT: clean about our unit (other installed units
# may warn). Skipped without systemd-analyze.
verify_unit() {
  command -v systemd-analyze >/dev/null || { echo "systemd-analyze not found: unit not verified"; return; }
  local out
  out=$(systemd-analyze verify "$1" 2>&1) || { echo "$out"; fail "systemd-analyze verify $1"; }
  if grep -F "ticketd.service" <<<"$out"; then fail "systemd-analyze verify reports the unit"; fi
}


case $mode in
install)
  stage=$work/stage
  cmake --install "$build" --prefix "$stage" >/dev/null
  unit=$stage/lib/systemd/system/ticketd.service
  check_tree "$stage" "$stage/etc/ticketd" "$unit"
  [ ! -e "$stage/var" ] || fail "$stage/var installed (StateDirectory= makes /var/lib/ticketd)"
  grep -qx "ExecStart=$stage/bin/ticketd --config $stage/etc/ticketd/ticketd.yaml" "$unit" \
    || fail "ExecStart of $unit: $(grep ^ExecStart= "$unit")"
  verify_unit "$unit"
  # The installed config as ExecStartPre checks it (its store path is only
  # opened at start).
  "$stage/bin/ticketd" --config "$stage/etc/ticketd/ticketd.yaml" --check-config >/dev/null 2>&1 \
    || fail "ticketd --check-config of the installed config: $("$stage/bin/ticketd" --config "$stage/etc/ticketd/ticketd.yaml" --check-config 2>&1)"
  # Edits survive a second install.
  echo "# edited" >>"$stage/etc/ticketd/ticketd.yaml"
  echo "# edited" >>"$stage/etc/ticketd/rules/10-hosts.yaml"
  cmake --install "$build" --prefix "$stage" >/dev/null
  tail -n1 "$stage/etc/ticketd/ticketd.yaml" | grep -qx "# edited" || fail "an edited ticketd.yaml was replaced"
  tail -n1 "$stage/etc/ticketd/rules/10-hosts.yaml" | grep -qx "# edited" || fail "an edited rule file was replaced"
  echo "install tree OK: $stage"
  ;;
deb)
  for tool in dpkg-deb dpkg-shlibdeps file cpack; do
    command -v $tool >/dev/null || { echo "$tool not found (scripts/install-deps.sh package): skipped"; exit 77; }
  done
  cpack --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 \
    || { cat "$work/cpack.log"; fail "cpack"; }
  deb=$(ls "$work"/out/ticketd_*.deb)
  echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"
  field() { dpkg-deb -f "$deb" "$1"; }
  [ "$(field Package)" = ticketd ] || fail "Package: $(field Package)"
  [ "$(field Version)" = "$version" ] || fail "Version: $(field Version), expected $version"
  depends=$(field Depends)
  echo "Depends: $depends"
  # Package names of Depends (alternatives included, versions dropped).
  dep_names=$(tr ',|' '\n\n' <<<"$depends" | sed 's/(.*)//; s/^ *//; s/ *$//; s/:.*//' | grep -v '^$')

  dpkg-deb -e "$deb" "$work/control"
  conffiles=$(cat "$work/control/conffiles")
  for f in /etc/ticketd/ticketd.yaml $(cd "$src/rules" && printf '/etc/ticketd/rules/%s\n' *.yaml); do
    grep -qx "$f" <<<"$conffiles" || fail "$f is not a conffile"
  done
  for s in postinst prerm postrm; do
    [ -x "$work/control/$s" ] || fail "no executable $s"
    sh -n "$work/control/$s" || fail "$s: syntax"
  done

  root=$work/root
  dpkg -x "$deb" "$root"
  check_tree "$root/usr" "$root/etc/ticketd" "$root/lib/systemd/system/ticketd.service"
  [ ! -e "$root/var" ] || fail "the package ships /var (StateDirectory= makes /var/lib/ticketd)"
  # Every library resolves; each the binaries link directly (NEEDED) is in a
  # package the .deb depends on (which brings the libraries those need).
  # One dpkg -S for all of them (merged /usr: the path dpkg knows may be the
  # /lib or the /usr/lib one).
  needed=()   # "binary library-path"
  for bin in "$root"/usr/bin/*; do
    out=$(ldd "$bin")
    if grep -q "not found" <<<"$out"; then echo "$out"; fail "ldd $bin: a library is missing"; fi
    for soname in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      lib=$(awk -v so="$soname" '$1 == so && $2 == "=>" {print $3}' <<<"$out")
      [ -n "$lib" ] || fail "ldd $bin: $soname not resolved"
      needed+=("$(basename "$bin") $lib")
    done
  done
  candidates() { local real; real=$(readlink -f "$1"); printf '%s\n' "$1" "$real" "${1#/usr}" "/usr$1" "${real#/usr}" "/usr$real"; }
  declare -A owners
  while IFS= read -r line; do
    owners[${line##*: }]=$(sed 's/: [^:]*$//; s/:[a-z0-9]*//g; s/,/ /g' <<<"$line")
  done < <(for n in "${needed[@]}"; do candidates "${n#* }"; done | sort -u | xargs dpkg -S 2>/dev/null || true)
  for n in "${needed[@]}"; do
    bin=${n%% *} lib=${n#* }
    owner=""
    for p in $(candidates "$lib"); do
      if [ -n "${owners[$p]:-}" ]; then owner=${owners[$p]}; break; fi
    done
    [ -n "$owner" ] || fail "ldd $bin: no package owns $lib"
    # An owner, or a package name it provides (libspdlog1.10 provides
    # libspdlog1.10-fmt9, which its shlibs file names).
    covered=no
    for o in $owner; do
      provides=$(dpkg-query -W -f='${Provides}' "$o" | tr ',' '\n' | sed 's/(.*)//; s/^ *//; s/ *$//')
      for name in "$o" $provides; do
        if grep -qx "$name" <<<"$dep_names"; then covered=yes; fi
      done
    done
    [ $covered = yes ] || fail "$bin needs $lib from $owner, not in Depends: $depends"
  done
  # The unit as installed, its /usr/bin pointed at the unpacked binaries
  # (verify requires ExecStart's binary to exist).
  unit=$root/lib/systemd/system/ticketd.service
  grep -qx "ExecStart=/usr/bin/ticketd --config /etc/ticketd/ticketd.yaml" "$unit" \
    || fail "ExecStart of the packaged unit: $(grep ^ExecStart= "$unit")"
  mkdir "$work/unit"
  sed "s|=/usr/bin/|=$root/usr/bin/|" "$unit" >"$work/unit/ticketd.service"
  verify_unit "$work/unit/ticketd.service"
  # The packaged config as ExecStartPre checks it: its rules_dir is the
  # default, rules/ next to it.
  "$root/usr/bin/ticketd" --config "$root/etc/ticketd/ticketd.yaml" --check-config >/dev/null 2>&1 \
    || fail "ticketd --check-config of the packaged config: $("$root/usr/bin/ticketd" --config "$root/etc/ticketd/ticketd.yaml" --check-config 2>&1)"
  # It starts: the packaged binary and config, on free loopback ports with
  # the store in the work directory, answers /readyz and stops cleanly on
  # SIGTERM as the unit's stop does.
  if command -v curl >/dev/null && command -v python3 >/dev/null; then
    free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
    http=$(free_port) syslog=$(free_port) snmp=$(free_port)
    sed -e "s|127.0.0.1:8080|127.0.0.1:$http|; s|127.0.0.1:5514|127.0.0.1:$syslog|g; s|127.0.0.1:1162|127.0.0.1:$snmp|" \
        -e "s|/var/lib/ticketd/|$work/state/|" "$root/etc/ticketd/ticketd.yaml" >"$root/etc/ticketd/started.yaml"
    "$root/usr/bin/ticketd" --config "$root/etc/ticketd/started.yaml" >"$work/ticketd.log" 2>&1 &
    pid=$!
    for _ in $(seq 300); do
      curl -fs "http://127.0.0.1:$http/readyz" >/dev/null && break
      kill -0 $pid 2>/dev/null || { cat "$work/ticketd.log"; fail "the packaged ticketd exited at start"; }
      sleep 0.1
    done
    curl -fs "http://127.0.0.1:$http/readyz" >/dev/null || { kill $pid; cat "$work/ticketd.log"; fail "the packaged ticketd is not ready"; }
    kill -TERM $pid
    rc=0
    wait $pid || rc=$?
    pid=""
    [ $rc -eq 0 ] || { cat "$work/ticketd.log"; fail "the packaged ticketd exited $rc on SIGTERM"; }
    [ -f "$work/state/ticketd.db" ] || fail "no store at $work/state/ticketd.db"
  fi
  echo "package OK"
  ;;
*) fail "usage: $0 install|deb SOURCE_DIR BUILD_DIR VERSION" ;;
esac
