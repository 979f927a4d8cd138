#!/bin/bash
# events-bench.sh — `berth events` (through berth-monitor) against `runc events`, interleaved, on the
# same kind of busybox container, cgroups beneath this process's own cgroup. Prints medians and ratios
# for the targets of issue 5:
#   1. one `events --stats` sample: wall time ≤ 0.2× runc's (berth: warm monitor; cold start shown too)
#   2. `events --interval 1s` on one container for 10 s: CPU ≤ 0.1× runc's (berth: client + monitor CPU)
#   3. 100 containers watched at 1 s by one monitor (`events --all`): monitor CPU < 1% of a core
#   4. OOM: time from the kernel's OOM kill (dmesg) to the oom line on stdout (target ≤ 100 ms)
# Usage: tests/bench/events-bench.sh [N_SAMPLES (default 20)] [N_CONTAINERS (default 100)]
# Env: BERTH (default build/runtime/berth), BERTH_MONITOR, RUNC (default runc), ROUNDS (section 2,
# default 3), SECTIONS (default "1 2 3 4").
# Every command, berth's and runc's, runs through the same harness (python fork+exec+wait4); section 0
# prints that harness's floor (/bin/true, berth --version) so the ratios can be read against it.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
BERTH=${BERTH:-$top/build/runtime/berth}
export BERTH_MONITOR=${BERTH_MONITOR:-$top/build/monitor/berth-monitor}
RUNC=${RUNC:-runc}
N=${1:-20}
NC=${2:-100}
ROUNDS=${ROUNDS:-3}
SECTIONS=${SECTIONS:-"1 2 3 4"}
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

export BERTH RUNC broot rroot N ROUNDS SECTIONS
python3 - <<'PY'
import os, subprocess, time, statistics, signal
B, R, broot, rroot = os.environ["BERTH"], os.environ["RUNC"], os.environ["broot"], os.environ["rroot"]
N, ROUNDS, SECTIONS = int(os.environ["N"]), int(os.environ["ROUNDS"]), os.environ["SECTIONS"].split()
med = statistics.median
# Started in the background by a shell, we (and so our children) would ignore SIGINT: the clients
# are stopped with it, as from a terminal.
signal.signal(signal.SIGINT, signal.SIG_DFL)

def run(argv, timeout=None):
    """wall ms, cpu ms (rusage of the child), exit status: the same harness for every command"""
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

def sched_ms(pid):
    """CPU time of a (single-threaded) process so far, ns resolution, in ms"""
    try:
        return int(open(f"/proc/{pid}/schedstat").read().split()[0]) / 1e6
    except OSError:
        return None

def wait_monitor_gone():
    for _ in range(200):
        if monitor_pid() is None:
            return
        time.sleep(0.05)

def keep_monitor():
    """a client that keeps berth-monitor running (as when something else watches the root), and one
    sample taken through it first (its reader of the container is set up: files opened, watched)"""
    p = subprocess.Popen([B, "--root", broot, "events", "--all", "--interval", "1h"], stdout=subprocess.DEVNULL)
    for _ in range(200):
        if monitor_pid():
            break
        time.sleep(0.02)
    run([B, "--root", broot, "events", "--stats", "one"])
    return p

print(f"load average at start: {open('/proc/loadavg').read().split()[0]} on {os.cpu_count()} cpus")
print(f"# 0. the harness's own floor: exec of a trivial program, and of berth ({N} interleaved runs, median)")
floor = {"true": [], "berth --version": []}
for _ in range(N):
    floor["true"].append(run(["/bin/true"]))
    floor["berth --version"].append(run([B, "--version"]))
for k, v in floor.items():
    print(f"{k}: wall {med(x[0] for x in v):.1f} ms, cpu {med(x[1] for x in v):.1f} ms")
true_w, true_c = med(x[0] for x in floor["true"]), med(x[1] for x in floor["true"])

if "1" in SECTIONS:
    print(f"# 1. one `events --stats` sample, {N} interleaved rounds (median); target: berth wall <= 0.2x runc")
    wait_monitor_gone()
    nw, nc, mw, mc, mm, rw, rc, vw = [], [], [], [], [], [], [], []
    for i in range(N):
        # the floor under any berth command, in the same rounds
        vw.append(run([B, "--version"])[0])
        # a. no monitor running: berth reads the sample in-process (shared/cgroup-stats*)
        w, c, st = run([B, "--root", broot, "events", "--stats", "one"]); assert st == 0
        assert monitor_pid() is None, "events --stats started a monitor"
        nw.append(w); nc.append(c)
        w, c, st = run([R, "--root", rroot, "events", "--stats", "rone"]); assert st == 0
        rw.append(w); rc.append(c)
        # b. a monitor already running: the sample comes from it
        keeper = keep_monitor()
        m = monitor_pid(); m0 = sched_ms(m)
        w, c, st = run([B, "--root", broot, "events", "--stats", "one"]); assert st == 0
        m1 = sched_ms(m)
        mw.append(w); mc.append(c); mm.append(m1 - m0 if m0 is not None and m1 is not None else 0)
        keeper.send_signal(signal.SIGINT); keeper.wait()
        wait_monitor_gone()
    print(f"berth, no monitor (in-process): wall {med(nw):.1f} ms, cpu {med(nc):.1f} ms")
    print(f"berth, monitor running: wall {med(mw):.1f} ms, cpu {med(mc):.1f} ms client + {med(mm):.2f} ms monitor")
    print(f"runc: wall {med(rw):.1f} ms, cpu {med(rc):.1f} ms")
    print(f"ratio wall: no monitor {med(nw)/med(rw):.3f}, monitor running {med(mw)/med(rw):.3f}  (target <= 0.2)")
    print(f"  for scale, in the same rounds: berth --version {med(vw):.1f} ms = {med(vw)/med(rw):.3f}x runc events --stats")
    print(f"  above the exec floor ((x - true) / (runc - true)): no monitor {(med(nw)-true_w)/(med(rw)-true_w):.3f}")
    print(f"ratio cpu: no monitor {med(nc)/med(rc):.3f}, monitor running {(med(mc)+med(mm))/med(rc):.3f}")

if "2" in SECTIONS:
    print(f"# 2. `events --interval 1s` on one container for 10 s, {ROUNDS} interleaved rounds: CPU; target <= 0.1x runc")
    cold, warm, rr = [], [], []
    for rnd in range(ROUNDS):
        # cold: this client starts the monitor; its whole CPU (start-up included) is counted
        wait_monitor_gone()
        p = subprocess.Popen([B, "--root", broot, "events", "--interval", "1s", "one"], stdout=subprocess.DEVNULL)
        m = None
        for _ in range(200):
            m = monitor_pid()
            if m:
                break
            time.sleep(0.005)
        time.sleep(10)
        mcpu = sched_ms(m) or 0           # since it started: its start-up included
        p.send_signal(signal.SIGINT)
        _, _, ru = os.wait4(p.pid, 0)
        c = (ru.ru_utime + ru.ru_stime) * 1e3
        cold.append((c, mcpu))
        # runc
        _, rcpu, _ = run([R, "--root", rroot, "events", "--interval", "1s", "rone"], timeout=10)
        rr.append(rcpu)
        # warm: a monitor already runs (serving another client); only its extra CPU counts
        keeper = keep_monitor()
        m = monitor_pid(); m0 = sched_ms(m)
        _, c, _ = run([B, "--root", broot, "events", "--interval", "1s", "one"], timeout=10)
        m1 = sched_ms(m)
        warm.append((c, (m1 - m0) if m0 is not None and m1 is not None else 0))
        keeper.send_signal(signal.SIGINT); keeper.wait()
        print(f"round {rnd+1}: berth cold {cold[-1][0]:.1f} client + {cold[-1][1]:.1f} monitor; "
              f"warm {warm[-1][0]:.1f} + {warm[-1][1]:.2f}; runc {rcpu:.1f} ms", flush=True)
    cc, cm = med(x[0] for x in cold), med(x[1] for x in cold)
    wc, wm = med(x[0] for x in warm), med(x[1] for x in warm)
    print(f"median: berth cold {cc:.1f} ms client + {cm:.1f} ms monitor = {cc+cm:.1f}; warm {wc:.1f} + {wm:.2f} = {wc+wm:.1f}; runc {med(rr):.1f} ms")
    print(f"ratio cpu: cold {(cc+cm)/med(rr):.3f}, warm {(wc+wm)/med(rr):.3f}  (target <= 0.1)")
    print(f"  above the exec floor ((x - true) / (runc - true)): warm {(wc+wm-true_c)/(med(rr)-true_c):.3f}")
PY

if [[ " $SECTIONS " == *" 3 "* ]]; then
echo "# 3. $NC containers watched at 1 s by one monitor (events --all), ${WINDOWS:-3} windows of 10 s; target < 1% of a core"
for i in $(seq "$NC"); do
	bundle "$work/m$i" "m$i"
	"$BERTH" --root "$broot" run -d --bundle "$work/m$i" "m$i" </dev/null >/dev/null; ids+=("m$i")
done
"$BERTH" --root "$broot" events --all --interval 1s >"$work/all.out" &
allpid=$!
sleep 2.5
mpid=$(pgrep -f "berth-monitor --root $broot --ready-fd" | head -n1)
pcts=()
for w in $(seq "${WINDOWS:-3}"); do
	c0=$(awk '{print $1}' "/proc/$mpid/schedstat"); t0=$(date +%s%N); l0=$(wc -l <"$work/all.out")
	sleep 10
	c1=$(awk '{print $1}' "/proc/$mpid/schedstat"); t1=$(date +%s%N); l1=$(wc -l <"$work/all.out")
	pct=$(awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.3f", 100 * c / t }')
	pcts+=("$pct")
	awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) -v l=$((l1 - l0)) -v n="$NC" -v la="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
		printf "window: monitor %.1f ms CPU in %.1f s = %.3f%% of a core; %d samples (%.2f per container per s); %.1f us per sample; load %s\n",
			c / 1e6, t / 1e9, 100 * c / t, l, l / n / (t / 1e9), c / 1e3 / (l ? l : 1), la }'
done
kill "$allpid"; wait "$allpid" 2>/dev/null || true
printf '%s\n' "${pcts[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "median: %.3f%% of a core (target < 1%%)\n", a[int((NR + 1) / 2)] }'
rss=$(awk '/VmRSS/ {print $2}' "/proc/$mpid/status" 2>/dev/null || echo "?"); echo "monitor RSS: $rss kB"
for i in $(seq "$NC"); do "$BERTH" --root "$broot" delete -f "m$i" >/dev/null 2>&1 || true; done
fi

[[ " $SECTIONS " == *" 4 "* ]] || exit 0
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
