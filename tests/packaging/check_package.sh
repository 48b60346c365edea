#!/usr/bin/env bash
# Checks a trailsight .deb built by scripts/package (which calls this with --check):
#   tests/packaging/check_package.sh build/package/trailsight_<version>_<arch>.deb
# 1. its contents: the executable, the unit, the sysusers file, the config (a conffile), the
#    alert rules and the dashboard; its maintainer scripts parse; its dependencies;
# 2. the package unpacked into a scratch root (dpkg-deb -x): the installed executable accepts
#    the installed config (validate-config), whose paths the service writes are under its
#    StateDirectory, the only place ProtectSystem=strict leaves writable; systemd-sysusers
#    reads the sysusers.d file;
# 3. the unit, with systemd-analyze verify, which must print nothing about it (it only warns
#    about unknown keys or bad values and still exits 0): first two broken copies must fail,
#    so the check itself is shown to catch them;
# 4. the alert rules (promtool check rules, and the rules' unit tests in packaging/prometheus)
#    and the dashboard (JSON with a query in every panel);
# 5. every metric name the rules and the dashboard use is registered in app/service_metrics.cc.
#    The integration test MetricsIntegrationTest.EveryMetricThePackageNamesIsServed checks the
#    same names against a running service's /metrics.
# Prints one line per check; exits 1 at the first failure.
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
deb="${1:?usage: $0 PACKAGE.deb}"
[ -f "$deb" ] || { echo "package: $deb does not exist" >&2; exit 1; }

scratch="$(mktemp -d "${TMPDIR:-/tmp}/trailsight-package.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
checks=0

fail() {
  echo "package: FAILED: $*" >&2
  exit 1
}
passed() {
  checks=$((checks + 1))
  echo "package: ok: $*"
}

# --- 1. contents
listing="$(dpkg-deb -c "$deb")"
# Prints the mode of PATH ("./usr/bin/trailsight") in the package, or nothing.
mode_of() { awk -v path="$1" '$6 == path { print $1 }' <<<"$listing"; }
expect_file() {
  local path="$1" mode="$2"
  local actual
  actual="$(mode_of "$path")"
  [ -n "$actual" ] || fail "$path is not in the package"
  [ "$actual" = "$mode" ] || fail "$path has mode $actual, expected $mode"
}
expect_file ./usr/bin/trailsight -rwxr-xr-x
expect_file ./lib/systemd/system/trailsight.service -rw-r--r--
expect_file ./usr/lib/sysusers.d/trailsight.conf -rw-r--r--
expect_file ./etc/trailsight/trailsight.yaml -rw-------
expect_file ./usr/share/trailsight/prometheus/trailsight-alerts.yml -rw-r--r--
expect_file ./usr/share/trailsight/grafana/trailsight-dashboard.json -rw-r--r--
expect_file ./usr/share/doc/trailsight/examples/trailsight.yaml -rw-r--r--
passed "contents: $(grep -c '^-' <<<"$listing") files, modes as expected"

[ "$(dpkg-deb -f "$deb" Package)" = trailsight ] || fail "the package is not named trailsight"
depends="$(dpkg-deb -f "$deb" Depends)"
for library in librdkafka1 libyaml-cpp procps passwd; do
  grep -q "$library" <<<"$depends" || fail "Depends lacks $library: $depends"
done
passed "control: trailsight $(dpkg-deb -f "$deb" Version), depends on librdkafka1, procps, ..."

dpkg-deb -e "$deb" "$scratch/control"
conffiles="$(cat "$scratch/control/conffiles")"
[ "$conffiles" = /etc/trailsight/trailsight.yaml ] ||
  fail "conffiles is not exactly /etc/trailsight/trailsight.yaml: $conffiles"
for script in postinst prerm postrm; do
  [ -x "$scratch/control/$script" ] || fail "maintainer script $script is missing or not executable"
  sh -n "$scratch/control/$script" || fail "maintainer script $script does not parse"
done
passed "conffiles and maintainer scripts (postinst, prerm, postrm parse)"

# --- 2. The package unpacked into a scratch root.
root="$scratch/root"
dpkg-deb -x "$deb" "$root"
config="$root/etc/trailsight/trailsight.yaml"
validated="$("$root/usr/bin/trailsight" validate-config "$config" 2>&1)" ||
  fail "the installed config does not validate: $validated"
[ "$validated" = "$config: ok" ] || fail "validate-config printed: $validated"
version="$("$root/usr/bin/trailsight" --version)"
passed "the installed executable validates the installed config ($version)"

# The keys whose paths the service writes: absolute and under its StateDirectory.
unit="$root/lib/systemd/system/trailsight.service"
grep -qx 'StateDirectory=trailsight' "$unit" || fail "the unit has no StateDirectory=trailsight"
grep -qx 'ProtectSystem=strict' "$unit" || fail "the unit lacks ProtectSystem=strict"
for key in dir dead_letter_path; do
  value="$(awk -v key="$key:" '$1 == key { print $2 }' "$config")"
  [[ "$value" == /var/lib/trailsight/* ]] ||
    fail "$key in the installed config is \"$value\", not under /var/lib/trailsight/"
done
grep -q '^ExecStart=/usr/bin/trailsight run --config /etc/trailsight/trailsight.yaml$' "$unit" ||
  fail "ExecStart does not run the installed executable on the installed config"
passed "the config writes only under /var/lib/trailsight (StateDirectory, ProtectSystem=strict)"

# The user the unit runs as, as postinst creates it on a host with systemd.
grep -qx -e 'User=trailsight' "$unit" || fail "the unit does not run as the user trailsight"
mkdir -p "$scratch/users/etc"
users="$(systemd-sysusers --root="$scratch/users" --dry-run \
  "$root/usr/lib/sysusers.d/trailsight.conf" 2>&1)" || fail "systemd-sysusers: $users"
grep -q "Creating user 'trailsight'" <<<"$users" || fail "systemd-sysusers creates no user: $users"
passed "sysusers.d: systemd-sysusers would create the user trailsight the unit runs as"

# --- 3. The unit. systemd-analyze verify checks that the commands it runs exist, on this
# host: a copy whose /usr/bin/trailsight points into the scratch root is verified (ExecReload's
# /bin/kill comes from procps, a dependency). Everything else verify says is about the host's
# own units (a container's, say) and is shown, not counted.
# verify_unit FILE: succeeds when verify exits 0 and says nothing about FILE's unit.
verify_unit() {
  local output status=0
  output="$(systemd-analyze verify "$1" 2>&1)" || status=$?
  local ours
  ours="$(grep -F "trailsight" <<<"$output" || true)"
  if [ "$status" -ne 0 ] || [ -n "$ours" ]; then
    echo "${ours:-$output}"
    return 1
  fi
  [ -z "$output" ] || echo "package: (about the host's units, not counted) $output"
}
verify="$scratch/verify"
good="$verify/good/trailsight.service"
mkdir -p "$verify/good" "$verify/typo" "$verify/value"
sed "s|/usr/bin/trailsight|$root/usr/bin/trailsight|g" "$unit" >"$good"
sed 's/^ProtectSystem=strict$/ProtectSysem=strict/' "$good" >"$verify/typo/trailsight.service"
sed 's/^KillSignal=SIGTERM$/KillSignal=SIGTREM/' "$good" >"$verify/value/trailsight.service"
for broken in typo value; do
  if verify_unit "$verify/$broken/trailsight.service" >/dev/null; then
    fail "systemd-analyze verify accepted a unit with a $broken: the check cannot catch one"
  fi
done
why="$(verify_unit "$good")" ||
  fail "systemd-analyze verify rejects the unit: $why"
passed "systemd-analyze verify: the unit is clean (and a unit with a typo or a bad value fails)"

# --- 4. Alert rules and dashboard.
rules="$root/usr/share/trailsight/prometheus/trailsight-alerts.yml"
dashboard="$root/usr/share/trailsight/grafana/trailsight-dashboard.json"
promtool check rules "$rules" >"$scratch/promtool.out" 2>&1 ||
  fail "promtool check rules: $(cat "$scratch/promtool.out")"
alerts="$(grep -c '^ *- alert:' "$rules")"
passed "promtool check rules: $alerts alerts"
# promtool resolves rule_files relative to the test file: run it on a copy next to the rules.
cp "$root_dir/packaging/prometheus/trailsight-alerts.test.yml" "$(dirname "$rules")/"
cases="$(dirname "$rules")/trailsight-alerts.test.yml"
promtool test rules "$cases" >"$scratch/promtool.out" 2>&1 ||
  fail "promtool test rules: $(cat "$scratch/promtool.out")"
passed "promtool test rules: the alerts fire on their scenarios and stay quiet otherwise"

python3 - "$dashboard" <<'PYTHON' || fail "the dashboard is not a dashboard"
import json, sys
dashboard = json.load(open(sys.argv[1]))
panels = [p for p in dashboard["panels"] if p["type"] != "row"]
assert dashboard["uid"] and panels, "no uid or no panels"
for panel in panels:
    assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]
PYTHON
panels="$(grep -c '"type": "timeseries"' "$dashboard")"
passed "dashboard: JSON, a query in each of its $panels panels"

# --- 5. Metric names: each name used must be one the service registers. A histogram's series
# are its name with _bucket, _sum or _count.
metrics_source="$root_dir/app/service_metrics.cc"
quoted_name='"trailsight_[a-z0-9_]*"'
registered="$(grep -o "$quoted_name" "$metrics_source" | tr -d '"' | sort -u)"
histograms="$(grep -A1 'AddHistogram(' "$metrics_source" | grep -o "$quoted_name" | tr -d '"')"
used="$(grep -ho 'trailsight_[a-zA-Z0-9_:]*' "$rules" "$dashboard" | sort -u)"
used_count="$(wc -l <<<"$used")"
[ "$used_count" -ge 20 ] || fail "the rules and dashboard use only $used_count names"
while read -r name; do
  base="$(sed -E 's/_(bucket|sum|count)$//' <<<"$name")"
  grep -qx -e "$name" <<<"$registered" || grep -qx -e "$base" <<<"$histograms" ||
    fail "$name, used by the rules or the dashboard, is not a metric of app/service_metrics.cc"
done <<<"$used"
passed "metric names: all $used_count used are registered in app/service_metrics.cc"

echo "package: $checks checks passed on $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
