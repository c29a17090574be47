#!/usr/bin/env bash
# Measures `export --all` against a fetch-only floor and a Python reference and
# appends the results to docs/benchmarks.md.
#
# First it installs what is missing (requests, openpyxl and lxml through pip,
# GNU time through apt-get) and builds the release binary. Then, for each
# account count, it starts the product's demo server on 127.0.0.1 and runs
# these tools, in a different order each round:
#   floor   scripts/bench/fetch_floor.py: pages of 500 fetched and discarded
#   export  the product: `export --all` to an .xlsx
#   python  scripts/bench/reference_export.py: requests + openpyxl with lxml
#           (small count only)
# Every product workbook is checked for exactly the expected number of data
# rows. Everything started here is stopped on exit, and nothing leaves loopback.
#
# Settings, from the environment:
#   BENCH_SMALL_ACCOUNTS  accounts of the speed comparison (default 100000)
#   BENCH_LARGE_ACCOUNTS  accounts of the second memory measurement (default 300000)
#   BENCH_ROUNDS          timed runs of each tool per account count (default 3)
#   BENCH_RESULTS_PAGE    page the results are appended to (default docs/benchmarks.md)
#   BENCH_RUN_TIMEOUT     seconds one timed run may take before it is stopped (default 900)
set -euo pipefail
cd "$(dirname "$0")/.."

small=${BENCH_SMALL_ACCOUNTS:-100000}
large=${BENCH_LARGE_ACCOUNTS:-300000}
rounds=${BENCH_ROUNDS:-3}
results_page=${BENCH_RESULTS_PAGE:-docs/benchmarks.md}
run_timeout=${BENCH_RUN_TIMEOUT:-900}
binary=target/release/devrev-accounts-export
page_size=500
compare_rows=1000
# Each round uses one order. Together they put every tool in every position once.
orders=("floor export python" "export python floor" "python floor export")

command_line=""
for setting in BENCH_SMALL_ACCOUNTS BENCH_LARGE_ACCOUNTS BENCH_ROUNDS BENCH_RESULTS_PAGE BENCH_RUN_TIMEOUT; do
  if [[ -n "${!setting:-}" ]]; then
    command_line+="$setting=${!setting} "
  fi
done
command_line+="scripts/bench.sh"

for number in "$small" "$large" "$rounds" "$run_timeout"; do
  if ! [[ "$number" =~ ^[1-9][0-9]*$ ]]; then
    echo "error: BENCH_SMALL_ACCOUNTS, BENCH_LARGE_ACCOUNTS, BENCH_ROUNDS and BENCH_RUN_TIMEOUT must be positive whole numbers; got \"$number\"." >&2
    exit 2
  fi
done

benchmark_started=$(date +%s)
load_before=$(cut -d ' ' -f 1 /proc/loadavg)

fail() {
  echo "error: $*" >&2
  exit 1
}

# --- 1. What the benchmark needs -------------------------------------------

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi

# lxml is openpyxl's optional XML writer; without it openpyxl serializes in
# pure Python, several times slower, which would flatter the product.
if ! python3 -c 'import requests, openpyxl, lxml' 2>/dev/null; then
  echo "Installing the Python packages requests, openpyxl and lxml"
  python3 -m pip install --quiet requests openpyxl lxml
fi

if [[ ! -x /usr/bin/time ]]; then
  echo "Installing GNU time"
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q time
fi

export PATH="$HOME/.cargo/bin:$PATH"
echo "Building the release binary"
cargo build --release --locked

if ! "$binary" export --help | grep -q -- '--all'; then
  fail "$binary export has no --all option, so it cannot export every account. Build a version that has it."
fi

# --- Processes and files of this run ---------------------------------------

work_dir=$(mktemp -d -t devrev-bench.XXXXXX)
runs_file="$work_dir/runs.tsv"
: >"$runs_file"
token="bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
server_pid=""
run_pid=""
clock_ticks_per_second=$(getconf CLK_TCK)

stop_process() {
  local pid=$1
  local attempt
  for signal in INT TERM KILL; do
    kill "-$signal" "$pid" 2>/dev/null || return 0
    for ((attempt = 0; attempt < 50; attempt++)); do
      kill -0 "$pid" 2>/dev/null || return 0
      sleep 0.1
    done
  done
}

cleanup() {
  if [[ -n "$run_pid" ]]; then
    # `timeout` leads its own process group, so this stops the measured program too.
    kill -TERM -- "-$run_pid" 2>/dev/null || true
  fi
  if [[ -n "$server_pid" ]]; then
    stop_process "$server_pid"
  fi
  rm -rf "$work_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts the demo server with $1 accounts on a free loopback port and sets base_url.
start_server() {
  local accounts=$1
  local log="$work_dir/server-$accounts.log"
  local attempt

  DEVREV_EXPORT_CONFIG_DIR="$work_dir/server-config" \
    "$binary" demo-server --port 0 --accounts "$accounts" --token "$token" >"$log" 2>&1 &
  server_pid=$!

  base_url=""
  for ((attempt = 0; attempt < 300; attempt++)); do
    base_url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -n 1 || true)
    [[ -n "$base_url" ]] && break
    kill -0 "$server_pid" 2>/dev/null || fail "the demo server stopped while starting: $(cat "$log")"
    sleep 0.1
  done
  [[ -n "$base_url" ]] || fail "the demo server printed no address within 30 seconds: $(cat "$log")"
  echo "Demo server with $accounts accounts at $base_url"
}

stop_server() {
  stop_process "$server_pid"
  server_pid=""
}

# Prints the CPU time the demo server has used so far, in clock ticks.
server_cpu_ticks() {
  # Fields 14 and 15 of /proc/PID/stat are user and system time. The command
  # name in field 2 contains no spaces here, so splitting on spaces is safe.
  awk '{ print $14 + $15 }' "/proc/$server_pid/stat"
}

# Runs one command under `timeout` and GNU time and sets run_seconds,
# run_rss_kib, run_cpu_seconds (the command's user + system time) and
# run_server_cpu_seconds (the demo server's, over the same interval). Its
# standard output goes to $work_dir/run.out. A failure or a timeout ends the
# benchmark with the command's standard error.
run_timed() {
  local time_file="$work_dir/run.time"
  local status=0
  local server_ticks_before
  server_ticks_before=$(server_cpu_ticks)

  timeout --kill-after=10 "$run_timeout" /usr/bin/time -v -o "$time_file" "$@" \
    >"$work_dir/run.out" 2>"$work_dir/run.err" &
  run_pid=$!
  wait "$run_pid" || status=$?
  run_pid=""

  if ((status == 124)); then
    fail "$* did not finish within $run_timeout seconds (BENCH_RUN_TIMEOUT)."
  elif ((status != 0)); then
    fail "$* exited with status $status: $(tail -n 20 "$work_dir/run.err")"
  fi
  run_seconds=$(awk -F': ' '/Elapsed \(wall clock\) time/ {
      count = split($2, part, ":"); seconds = 0
      for (i = 1; i <= count; i++) seconds = seconds * 60 + part[i]
      print seconds }' "$time_file")
  run_rss_kib=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$time_file")
  run_cpu_seconds=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ { total += $2 } END { print total }' "$time_file")
  [[ -n "$run_seconds" && -n "$run_rss_kib" && -n "$run_cpu_seconds" ]] ||
    fail "could not read the measurements in $time_file: $(cat "$time_file")"
  run_server_cpu_seconds=$(awk -v before="$server_ticks_before" -v after="$(server_cpu_ticks)" \
    -v hertz="$clock_ticks_per_second" 'BEGIN { print (after - before) / hertz }')
}

# Reads one field of the one-line JSON in $work_dir/run.out.
output_field() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work_dir/run.out" "$1"
}

# Runs tool $1 against the current server with $2 accounts in round $3,
# checks its result and records the run.
run_tool() {
  local tool=$1 accounts=$2 round=$3
  local workbook="$work_dir/$tool-$accounts-$round.xlsx"
  local expected_pages=$(((accounts + page_size - 1) / page_size))

  case "$tool" in
    floor)
      run_timed python3 scripts/bench/fetch_floor.py --base-url "$base_url" --token "$token"
      local pages
      pages=$(output_field pages)
      if ((pages != expected_pages && pages != expected_pages + 1)); then
        fail "the floor read $pages pages of $page_size for $accounts accounts, expected $expected_pages."
      fi
      ;;
    export)
      run_timed env DEVREV_TOKEN="$token" DEVREV_EXPORT_CONFIG_DIR="$work_dir/export-config" \
        "$binary" export --all --time-zone utc --out "$workbook" --base-url "$base_url"
      grep -q "^Saved $accounts accounts " "$work_dir/run.out" ||
        fail "the export did not report $accounts saved accounts: $(cat "$work_dir/run.out" "$work_dir/run.err")"
      timeout 300 python3 scripts/bench/check_xlsx.py "$workbook" --expect-rows "$accounts" >/dev/null ||
        fail "the product's workbook $workbook does not have $accounts data rows (see above)."
      ;;
    python)
      run_timed python3 scripts/bench/reference_export.py --base-url "$base_url" --token "$token" --out "$workbook"
      local rows
      rows=$(output_field rows)
      ((rows == accounts)) || fail "the Python reference wrote $rows rows for $accounts accounts."
      ;;
  esac

  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$accounts" "$round" "$run_seconds" "$run_rss_kib" \
    "$run_cpu_seconds" "$run_server_cpu_seconds" >>"$runs_file"
  printf '  round %s  %-6s %8.2f s wall  %7.2f s CPU  %7.2f s server CPU  %7.1f MB peak RSS\n' \
    "$round" "$tool" "$run_seconds" "$run_cpu_seconds" "$run_server_cpu_seconds" \
    "$(awk -v kib="$run_rss_kib" 'BEGIN { print kib * 1024 / 1e6 }')"
}

# Runs every round against a new server with $1 accounts. Tools not named in
# $2 (a space-separated list) are skipped.
benchmark_size() {
  local accounts=$1 tools=$2
  local round tool order

  start_server "$accounts"

  # One untimed fetch warms the page cache and the server, and checks that the
  # server sends every account.
  local warmup
  warmup=$(timeout "$run_timeout" python3 scripts/bench/fetch_floor.py --base-url "$base_url" --token "$token" --count-accounts) ||
    fail "the warm-up fetch from $base_url failed."
  local received
  received=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["accounts"])' "$warmup")
  ((received == accounts)) || fail "the demo server sent $received accounts, expected $accounts."

  for ((round = 1; round <= rounds; round++)); do
    read -ra order <<<"${orders[$(((round - 1) % ${#orders[@]}))]}"
    for tool in "${order[@]}"; do
      [[ " $tools " == *" $tool "* ]] || continue
      run_tool "$tool" "$accounts" "$round"
    done
  done

  stop_server
}

# --- 2. to 5. The measurements ---------------------------------------------

echo "Benchmarking with $small accounts (floor, export, Python reference)"
benchmark_size "$small" "floor export python"

echo "Checking the product's workbook against the Python reference"
last_product="$work_dir/export-$small-$rounds.xlsx"
last_reference="$work_dir/python-$small-$rounds.xlsx"
timeout 300 python3 scripts/bench/check_xlsx.py "$last_product" --expect-rows "$small" \
  --compare-with "$last_reference" --compare-rows "$compare_rows" ||
  fail "the product's workbook and the Python reference's differ (see above)."
rm -f "$work_dir"/*.xlsx

echo "Benchmarking with $large accounts (floor, export)"
benchmark_size "$large" "floor export"
rm -f "$work_dir"/*.xlsx

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
memory_gib=$(awk '/^MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
os_name=$(sed -n 's/^PRETTY_NAME=//p' /etc/os-release 2>/dev/null | tr -d '"')
machine="$(nproc) cores, ${cpu_model:-unknown CPU}, $memory_gib GiB memory, $os_name, Linux $(uname -r), $(rustc --version)"
load="$load_before before the build, $(cut -d ' ' -f 1 /proc/loadavg) at the end"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "unknown")
if [[ -n "$(git status --porcelain 2>/dev/null)" ]]; then
  commit="$commit with uncommitted changes in the working tree"
fi
software=$(python3 -c 'import platform, requests, openpyxl, lxml
print(f"Python {platform.python_version()}, requests {requests.__version__}, openpyxl {openpyxl.__version__}, lxml {lxml.__version__}")')
order_list=$(printf '%s; ' "${orders[@]:0:$rounds}")

python3 scripts/bench/report.py "$runs_file" \
  --results-page "$results_page" \
  --small "$small" --large "$large" --rounds "$rounds" \
  --orders "${order_list%; }" --compare-rows "$compare_rows" \
  --date "$(date -u '+%Y-%m-%d %H:%M UTC')" \
  --machine "$machine" --load "$load" --software "$software" --commit "$commit" --command "$command_line" \
  --total-seconds "$(($(date +%s) - benchmark_started))"
