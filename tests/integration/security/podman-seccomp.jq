# podman-seccomp.jq: containers-common's seccomp.json -> an OCI linux.seccomp section, the way
# Podman/Buildah convert it (pkg/seccomp): rules kept when their `includes` match (arch amd64,
# every cap in $caps, minKernel <= running kernel, assumed true here) and no `excludes` matches.
# Usage: jq --argjson caps '["CAP_CHOWN", ...]' -f podman-seccomp.jq /usr/share/containers/seccomp.json
def arch_ok($r): ($r.includes.arches // []) as $a | ($a | length == 0) or ($a | index("amd64") != null);
def caps_ok($r): ($r.includes.caps // []) | all(. as $c | $caps | index($c) != null);
def excluded($r): (($r.excludes.arches // []) | index("amd64") != null)
	or (($r.excludes.caps // []) | any(. as $c | $caps | index($c) != null));
{
	defaultAction: .defaultAction,
	defaultErrnoRet: .defaultErrnoRet,
	architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
	syscalls: [.syscalls[] | select(arch_ok(.) and caps_ok(.) and (excluded(.) | not))
		| {names, action} + (if .args then {args} else {} end) + (if .errnoRet then {errnoRet} else {} end)]
} | if .defaultErrnoRet == null then del(.defaultErrnoRet) else . end
