#!/bin/bash
# events-bench.sh — `berth events` (through berth-monitor) against `runc events`, interleaved, on the
# same kind of busybox container, cgroups beneath this process's own cgroup. Prints medians and ratios
# for the targets of issue 5:
#   1. one `events --stats` sample: wall time ≤ 0.2× runc's (berth: warm monitor; cold start shown too)
#   2. `events --interval 1s` on one container for 10 s: CPU ≤ 0.1× runc's (berth: client + monitor CPU)
#   3. 100 containers watched at 1 s by one monitor (`events --all`): monitor CPU < 1% of a core
#   4. OOM: time from the kernel's OOM kill (dmesg) to the oom line on stdout (target ≤ 100 ms)
# Usage: tests/bench/events-bench.sh [N_SAMPLES (default 20)] [N_CONTAINERS (default 100)]
# Env: BERTH (default build/runtime/berth), BERTH_MONITOR, RUNC (default runc).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
BERTH=${BERTH:-$top/build/runtime/berth}
export BERTH_MONITOR=${BERTH_MONITOR:-$top/build/monitor/berth-monitor}
RUNC=${RUNC:-runc}
N=${1:-20}
NC=${2:-100}
[ "$(id -u)" = 0 ] || { echo "events-bench: needs root" >&2; exit 1; }
command -v "$RUNC" >/dev/null || { echo "events-bench: $RUNC not found" >&2; exit 1; }

work=$(mktemp -d /tmp/berth-events-bench.XXXXXX)
broot=$work/berth-root rroot=$work/runc-root
own=/; while IFS= read -r l; do p=${l#*:*:}; [ ${#p} -gt ${#own} ] && own=$p; done </proc/self/cgroup
cgbase=${own%/}/berth-events-bench-$$
ids=()
cleanup() {
	set +e
	for id in "${ids[@]}"; do "$BERTH" --root "$broot" delete -f "$id" >/dev/null 2>&1; done
	for id in $("$RUNC" --root "$rroot" list -q 2>/dev/null); do "$RUNC" --root "$rroot" delete -f "$id" >/dev/null 2>&1; done
	local m; for m in $(awk '$9 ~ /^cgroup2?$/ { print $5 }' /proc/self/mountinfo); do
		[ -d "$m$cgbase" ] && find "$m$cgbase" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT

"$top/tests/lib/make-rootfs.sh" "$work/rootfs" >/dev/null
(cd "$work" && "$RUNC" spec)
# bundle DIR CGNAME [jq filter]: config only; the rootfs is shared (read-only, absolute root.path).
bundle() {
	mkdir -p "$1"
	jq --arg r "$work/rootfs" --arg cg "$cgbase/$2" "
		.root.path = \$r | .process.terminal = false | .process.args = [\"sleep\", \"100000\"]
		| .linux.cgroupsPath = \$cg | .linux.resources.memory = {\"limit\": 67108864} | ${3:-.}" \
		"$work/config.json" >"$1/config.json"
}
bundle "$work/b-one" one; bundle "$work/r-one" rone
"$BERTH" --root "$broot" run -d --bundle "$work/b-one" one </dev/null >/dev/null; ids+=(one)
"$RUNC" --root "$rroot" run -d --bundle "$work/r-one" rone </dev/null >/dev/null 2>&1

export BERTH RUNC broot rroot N
python3 - <<'PY'
import os, subprocess, time, statistics, signal
B, R, broot, rroot, N = os.environ["BERTH"], os.environ["RUNC"], os.environ["broot"], os.environ["rroot"], int(os.environ["N"])

def run(argv, timeout=None):
    """wall ms, cpu ms (rusage of the child), exit status"""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    if timeout:
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGINT)
    _, st, ru = os.wait4(p.pid, 0)
    p.returncode = 0
    return (time.monotonic() - t0) * 1e3, (ru.ru_utime + ru.ru_stime) * 1e3, st

def monitor_pid():
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                cmd = open(f"/proc/{d}/cmdline", "rb").read().split(b"\0")
            except OSError:
                continue
            if cmd and cmd[0].endswith(b"berth-monitor") and broot.encode() in cmd:
                return int(d)
    return None

def cpu_ns(pid):
    return int(open(f"/proc/{pid}/schedstat").read().split()[0])

def wait_monitor_gone():
    for _ in range(200):
        if monitor_pid() is None:
            return
        time.sleep(0.05)

med = statistics.median
base = {k: [run(a) for _ in range(N)] for k, a in (("true", ["/bin/true"]), ("berth --version", [B, "--version"]))}
print("# 0. process start-up on this machine (the floor under any client)")
for k, v in base.items():
    print(f"{k}: wall {med(x[0] for x in v):.1f} ms, cpu {med(x[1] for x in v):.1f} ms")
print(f"load average: {open('/proc/loadavg').read().split()[0]} on {os.cpu_count()} cpus")
print(f"# 1. one `events --stats` sample, {N} interleaved runs (median)")
bw, bc, rw, rc, cold_w, cold_c, mon = [], [], [], [], [], [], []
for i in range(N):
    if i % 5 == 0:   # a cold start now and then: no monitor running
        wait_monitor_gone()
        w, c, _ = run([B, "--root", broot, "events", "--stats", "one"])
        cold_w.append(w); cold_c.append(c)
    m = monitor_pid(); m0 = cpu_ns(m) if m else 0
    w, c, st = run([B, "--root", broot, "events", "--stats", "one"]); assert st == 0
    m1 = cpu_ns(m) if m and monitor_pid() == m else m0
    bw.append(w); bc.append(c); mon.append((m1 - m0) / 1e6)
    w, c, st = run([R, "--root", rroot, "events", "--stats", "rone"]); assert st == 0
    rw.append(w); rc.append(c)
med = statistics.median
print(f"berth (warm monitor): wall {med(bw):.1f} ms, cpu {med(bc):.1f} ms client + {med(mon):.2f} ms monitor")
print(f"berth (cold: starts the monitor): wall {med(cold_w):.1f} ms, cpu {med(cold_c):.1f} ms client")
print(f"runc: wall {med(rw):.1f} ms, cpu {med(rc):.1f} ms")
print(f"ratio wall (warm) {med(bw)/med(rw):.3f}  (target <= 0.2);  cold {med(cold_w)/med(rw):.3f}")
print(f"ratio cpu (warm, client+monitor) {(med(bc)+med(mon))/med(rc):.3f}")

print("# 2. `events --interval 1s` on one container for 10 s (CPU)")
for rnd in range(2):
    # berth: client rusage + the monitor's CPU over the same window
    run([B, "--root", broot, "events", "--stats", "one"])
    m = monitor_pid(); m0 = cpu_ns(m)
    w, c, _ = run([B, "--root", broot, "events", "--interval", "1s", "one"], timeout=10)
    mcpu = (cpu_ns(m) - m0) / 1e6
    w2, c2, _ = run([R, "--root", rroot, "events", "--interval", "1s", "rone"], timeout=10)
    print(f"round {rnd+1}: berth client {c:.1f} ms + monitor {mcpu:.2f} ms = {c+mcpu:.1f} ms; runc {c2:.1f} ms; ratio {(c+mcpu)/c2:.3f} (target <= 0.1)")
PY

echo "# 3. $NC containers watched at 1 s by one monitor (events --all)"
for i in $(seq "$NC"); do
	bundle "$work/m$i" "m$i"
	"$BERTH" --root "$broot" run -d --bundle "$work/m$i" "m$i" </dev/null >/dev/null; ids+=("m$i")
done
"$BERTH" --root "$broot" events --all --interval 1s >"$work/all.out" &
allpid=$!
sleep 2.5
mpid=$(pgrep -f "berth-monitor --root $broot --ready-fd" | head -n1)
c0=$(awk '{print $1}' "/proc/$mpid/schedstat"); t0=$(date +%s%N); l0=$(wc -l <"$work/all.out")
sleep 10
c1=$(awk '{print $1}' "/proc/$mpid/schedstat"); t1=$(date +%s%N); l1=$(wc -l <"$work/all.out")
kill "$allpid"; wait "$allpid" 2>/dev/null || true
awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) -v l=$((l1 - l0)) -v n="$NC" 'BEGIN {
	printf "monitor: %.1f ms CPU in %.1f s = %.3f%% of a core; %d samples (%.0f per container per s); %.1f us per sample\n",
		c / 1e6, t / 1e9, 100 * c / t, l, l / n / (t / 1e9), c / 1e3 / (l ? l : 1) }'
echo "(target < 1% of a core)"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$mpid/status"); echo "monitor RSS: $rss kB; fds: $(ls /proc/$mpid/fd | wc -l)"
for i in $(seq "$NC"); do "$BERTH" --root "$broot" delete -f "m$i" >/dev/null 2>&1 || true; done

echo "# 4. OOM: kernel kill (dmesg) -> oom line on stdout"
for round in 1 2 3; do
	bundle "$work/oom$round" "oom$round" '.linux.resources.memory = {"limit": 33554432, "swap": 33554432} | .root.readonly = false
		| .process.args = ["sh", "-c", "while [ ! -e /dev/shm/go ]; do sleep 0.01; done; head -c 209715200 /dev/zero | tail; sleep 1"]'
	"$BERTH" --root "$broot" run -d --bundle "$work/oom$round" "oom$round" </dev/null >/dev/null; ids+=("oom$round")
	pid=$("$BERTH" --root "$broot" state "oom$round" | jq -r .pid)
	# Timestamp each line on arrival with the boot clock dmesg uses (/proc/uptime, 10 ms resolution).
	( "$BERTH" --root "$broot" events --interval 10s "oom$round" | while IFS= read -r l; do
		case $l in *'"oom"'*) read -r up _ </proc/uptime; echo "$up" >"$work/oom-at"; break ;; esac; done ) &
	sleep 0.3
	touch "/proc/$pid/root/dev/shm/go"
	for _ in $(seq 100); do [ -s "$work/oom-at" ] && break; sleep 0.05; done
	kill_at=$(dmesg | grep 'Memory cgroup out of memory: Killed process' | tail -n1 | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
	if [ -s "$work/oom-at" ]; then
		awk -v a="$(cat "$work/oom-at")" -v k="$kill_at" 'BEGIN { printf "round: oom line %.0f ms after the kill (dmesg %.3f, seen %.2f; 10 ms resolution)\n", (a - k) * 1000, k, a }'
	else
		echo "round: no oom line within 5 s"
	fi
	rm -f "$work/oom-at"
	"$BERTH" --root "$broot" delete -f "oom$round" >/dev/null 2>&1 || true
	wait 2>/dev/null || true
done
