# Shared by the end-to-end scripts (sourced, not run): locating the binary and the pinned AWS CLI,
# a temporary directory kept on failure, and one `arca serve` on a free port with the credentials
# it prints exported and the CLI isolated from the user's ~/.aws.
#
# Before sourcing, set E2E_NAME (the log prefix, e.g. "walkthrough"). After sourcing:
#   ROOT CALLER_DIR ARCA_BIN VENV REAL_AWS PY TMP    paths
#   say/fail/abs                                     helpers
#   start_server [ARGS...]                           sets URL ADDR SERVER_PID ACCOUNT, exports AWS_*
#   stop_server                                      SIGTERM, then SIGKILL after 5 s
#   isolate_npm                                      npm_config_* of ours only
# The EXIT trap stops the server, prints the server's log tail on failure and keeps $TMP then (or
# always with KEEP_TMP=1).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CALLER_DIR=$PWD
abs() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$CALLER_DIR" "$1" ;; esac; }

target_dir=${CARGO_TARGET_DIR:-$ROOT/target} # cargo resolves a relative one against the cwd
ARCA_BIN=$(abs "${ARCA_BIN:-$target_dir/debug/arca}")
VENV=$(abs "${ARCA_VENV:-$ROOT/.venv}")

say() { printf '[%s] %s\n' "$E2E_NAME" "$*"; }
fail() {
    printf '[%s] FAIL: %s\n' "$E2E_NAME" "$*" >&2
    exit 1
}

[[ -x $ARCA_BIN ]] || fail "server binary not found: $ARCA_BIN (run: cargo build -p arca)"
if [[ -x $VENV/bin/aws ]]; then
    REAL_AWS="$VENV/bin/aws"
    PY="$VENV/bin/python"
else
    REAL_AWS=$(command -v aws) || fail "no aws CLI in $VENV/bin or on PATH (run scripts/test to create the venv)"
    PY=$(command -v python3)
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/arca-$E2E_NAME.XXXXXX")
SERVER_PID=
stop_server() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}
# A stand-in public registry: `python3 -m http.server` over a static tree on 127.0.0.1.
PUB_PID=
PUB_PORT=
# pick_public_port: sets PUB_PORT (a free port) unless set, for trees that must name their own URL.
pick_public_port() {
    [[ -n $PUB_PORT ]] ||
        PUB_PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
}
# start_public DIR READY_PATH: serves DIR on PUB_PORT (the same port again after stop_public), sets
# PUBLIC (http://127.0.0.1:PORT, no slash) and PUB_PID, and waits until READY_PATH answers.
start_public() {
    pick_public_port
    "$PY" -m http.server --bind 127.0.0.1 --directory "$1" "$PUB_PORT" >>"$TMP/public.log" 2>&1 &
    PUB_PID=$!
    PUBLIC="http://127.0.0.1:$PUB_PORT"
    local ready="import urllib.request; urllib.request.urlopen('$PUBLIC/$2')"
    for _ in $(seq 100); do
        "$PY" -c "$ready" 2>/dev/null && return 0
        sleep 0.1
    done
    "$PY" -c "$ready" || fail "the stand-in registry did not start"
}
stop_public() {
    if [[ -n $PUB_PID ]]; then
        kill "$PUB_PID" 2>/dev/null || true
        wait "$PUB_PID" 2>/dev/null || true
    fi
    PUB_PID=
}
e2e_cleanup() {
    local rc=$?
    stop_server
    stop_public
    if ((rc != 0)); then
        # The server logs to stdout (server.out); stderr (server.log) holds anything else.
        for f in "$TMP/server.out" "$TMP/server.log"; do
            if [[ -s $f ]]; then
                echo "----- ${f##*/} (last 40 lines) -----" >&2
                tail -n 40 "$f" >&2 || true
            fi
        done
    fi
    if [[ ${KEEP_TMP:-0} == 1 || $rc != 0 ]]; then
        echo "[$E2E_NAME] files kept in $TMP" >&2
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap e2e_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server [EXTRA SERVE ARGS...]: `arca serve` on 127.0.0.1:0 with data in $TMP/data.
start_server() {
    mkdir -p "$TMP/data" "$TMP/aws-home"
    # Created before the server starts: the background job opens them only when it is scheduled,
    # and the loop below must not read a file that is not there yet (seen on a loaded machine).
    : >"$TMP/server.out"
    : >"$TMP/server.log"
    (
        cd "$TMP"
        # No fixed credentials: the scripts use the ones the server generates and prints.
        unset ARCA_ACCESS_KEY_ID ARCA_SECRET_ACCESS_KEY ARCA_ACCOUNT_ID ARCA_CONFIG ARCA_LISTEN ARCA_DATA_DIR \
            ARCA_PUBLIC_URL
        ARCA_LOG=${ARCA_LOG:-info} exec "$ARCA_BIN" serve --listen 127.0.0.1:0 --data-dir "$TMP/data" "$@"
    ) >"$TMP/server.out" 2>"$TMP/server.log" &
    SERVER_PID=$!

    URL=
    for _ in $(seq 300); do
        URL=$(sed -n 's|^Arca is listening on \(http://127\.0\.0\.1:[0-9][0-9]*\)$|\1|p' "$TMP/server.out" | head -n1)
        [[ -n $URL ]] && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.out" >&2; fail "the server exited before listening"; }
        sleep 0.1
    done
    [[ -n $URL ]] || { cat "$TMP/server.out" >&2; fail "the server did not print 'Arca is listening on http://127.0.0.1:PORT' within 30 s"; }
    ADDR=${URL#http://}

    local health_ok=
    for _ in $(seq 100); do
        if "$PY" - "$URL/health" <<'EOF' 2>/dev/null; then
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
EOF
            health_ok=1
            break
        fi
        sleep 0.1
    done
    [[ -n $health_ok ]] || fail "GET $URL/health did not answer 200"
    say "server up at $URL (pid $SERVER_PID)"

    # The credentials the server printed, exactly as a user would copy them.
    local creds
    creds=$(grep -E '^  export AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|DEFAULT_REGION)=[A-Za-z0-9/+=._-]+$' "$TMP/server.out" || true)
    [[ $(grep -c . <<<"$creds") == 3 ]] || { cat "$TMP/server.out" >&2; fail "the server did not print the three 'export AWS_…=' lines"; }
    ACCOUNT=$(sed -n 's/.*# account id \([0-9]\{12\}\);.*/\1/p' "$TMP/server.out")
    # Isolate the CLI from the user's ~/.aws and from any other credential source.
    unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_REGION AWS_ENDPOINT_URL \
        AWS_ENDPOINT_URL_CODEARTIFACT AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
        AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_PAGER
    export AWS_CONFIG_FILE="$TMP/aws-home/config" AWS_SHARED_CREDENTIALS_FILE="$TMP/aws-home/credentials"
    export AWS_EC2_METADATA_DISABLED=true HOME="$TMP/aws-home"
    eval "$creds"
    export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION
}

# isolate_npm: npm reads npm_config_* from the environment: keep only ours (cache in $TMP), and keep
# npm away from any other registry (update checks, audit, funding lookups).
isolate_npm() {
    while IFS='=' read -r name _; do unset "$name"; done < <(env | grep -i '^npm_config_' || true)
    export npm_config_update_notifier=false npm_config_audit=false npm_config_fund=false \
        npm_config_cache="$TMP/npm-cache" npm_config_loglevel=warn
}

# json_check FILE PYTHON-EXPR: fails unless the expression (over the parsed JSON `d`) holds.
json_check() {
    "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$1" "$2" ||
        { cat "$1" >&2; fail "unexpected output: $2"; }
}
