#!/usr/bin/env bash
# The two ways NetScsi is shipped, installed and run as a user would:
#   1. `dotnet pack` → a .NET tool package; `dotnet tool install --tool-path DIR --add-source PKGDIR netscsi`;
#   2. `dotnet publish -r linux-x64 --self-contained -p:PublishSingleFile=true` → one executable.
# Each must print its version and serve a memory LUN that libiscsi's iscsi-ls lists. Exits non-zero on failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/netscsi-package.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "PACKAGE: FAIL $*"; exit 1; }

# Serves a 16 MiB memory LUN with the given executable and checks iscsi-ls sees it.
check_serves() { # name executable
    local name=$1 exe=$2 port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$exe" target serve --listen "127.0.0.1:$port" --iqn iqn.2026-11.org.netscsi:package --lun memory:16M --log-level warning \
        >"$work/$name-serve.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    local listing
    listing=$(timeout 30 iscsi-ls -s "iscsi://127.0.0.1:$port") || { cat "$work/$name-serve.log"; fail "$name: iscsi-ls failed"; }
    echo "$listing" | grep -Eq "^Lun:0 +Type:DIRECT_ACCESS" || fail "$name: iscsi-ls did not list the LUN: $listing"
    kill -TERM "$pid"; wait "$pid"; local rc=$?
    pid=""
    [ "$rc" -eq 0 ] || fail "$name: exit $rc after SIGTERM (expected a graceful 0)"
    echo "$name: serves, iscsi-ls lists LUN 0 (16 MiB), graceful stop"
}

dotnet pack "$root/src/NetScsi.Cli" -c Release -o "$work/pkg" -nologo -v quiet >"$work/pack.log" 2>&1 || { cat "$work/pack.log"; fail "dotnet pack"; }
dotnet tool install --tool-path "$work/tool" --add-source "$work/pkg" netscsi >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dotnet tool install"; }
version=$("$work/tool/netscsi" --version) || fail "tool: netscsi --version"
echo "tool: netscsi --version = $version"
check_serves tool "$work/tool/netscsi"

dotnet publish "$root/src/NetScsi.Cli" -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true -o "$work/single" -nologo -v quiet \
    >"$work/publish.log" 2>&1 || { cat "$work/publish.log"; fail "dotnet publish single-file"; }
version=$("$work/single/netscsi" --version) || fail "single-file: netscsi --version"
echo "single-file: netscsi --version = $version ($(du -h "$work/single/netscsi" | cut -f1))"
check_serves single-file "$work/single/netscsi"
echo "PACKAGE: PASS"
