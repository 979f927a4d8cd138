/* Name tables for the runtime-spec's enumerated strings: namespaces, rlimits,
 * capabilities, scheduler policies, I/O priority classes, seccomp names. */
#include "spec-internal.h"

#include <sched.h>
#include <string.h>
#include <sys/resource.h>

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

typedef struct { const char *name; int value; } NameValue;

static int
lookup_value (const NameValue *table, size_t n, const char *name)
{
  if (name == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (strcmp (table[i].name, name) == 0)
      return table[i].value;
  return -1;
}

static bool
lookup_name (const char *const *table, size_t n, const char *name)
{
  if (name == NULL)
    return false;
  for (size_t i = 0; i < n; i++)
    if (strcmp (table[i], name) == 0)
      return true;
  return false;
}

/* Indexed by BerthNamespaceKind. */
static const struct { const char *name; int clone_flag; } namespaces[BERTH_NS_COUNT] = {
  [BERTH_NS_PID] = { "pid", CLONE_NEWPID },
  [BERTH_NS_NETWORK] = { "network", CLONE_NEWNET },
  [BERTH_NS_MOUNT] = { "mount", CLONE_NEWNS },
  [BERTH_NS_IPC] = { "ipc", CLONE_NEWIPC },
  [BERTH_NS_UTS] = { "uts", CLONE_NEWUTS },
  [BERTH_NS_USER] = { "user", CLONE_NEWUSER },
  [BERTH_NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP },
  [BERTH_NS_TIME] = { "time", CLONE_NEWTIME },
};

bool
spec_namespace_kind_from_name (const char *name, BerthNamespaceKind *ret_kind)
{
  for (int k = 0; k < BERTH_NS_COUNT; k++)
    if (name != NULL && strcmp (namespaces[k].name, name) == 0)
      {
        *ret_kind = (BerthNamespaceKind) k;
        return true;
      }
  return false;
}

int
berth_namespace_clone_flag (BerthNamespaceKind kind)
{
  if ((int) kind < 0 || kind >= BERTH_NS_COUNT)
    return 0;
  return namespaces[kind].clone_flag;
}

const BerthNamespace *
berth_spec_namespace (const BerthSpec *spec, BerthNamespaceKind kind)
{
  if (spec == NULL || spec->linux_ == NULL)
    return NULL;
  for (size_t i = 0; i < spec->linux_->n_namespaces; i++)
    if (spec->linux_->namespaces[i].kind == kind)
      return &spec->linux_->namespaces[i];
  return NULL;
}

static const NameValue rlimits[] = {
  { "RLIMIT_CPU", RLIMIT_CPU }, { "RLIMIT_FSIZE", RLIMIT_FSIZE }, { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_STACK", RLIMIT_STACK }, { "RLIMIT_CORE", RLIMIT_CORE }, { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_NPROC", RLIMIT_NPROC }, { "RLIMIT_NOFILE", RLIMIT_NOFILE }, { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_LOCKS", RLIMIT_LOCKS }, { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE }, { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

int
berth_rlimit_from_name (const char *name)
{
  return lookup_value (rlimits, G_N_ELEMENTS (rlimits), name);
}

/* Indexed by capability number (linux/capability.h); shared/ does not link libcap. */
static const char *const capabilities[] = {
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
  "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
  "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
  "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
  "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

int
berth_capability_from_name (const char *name)
{
  if (name == NULL)
    return -1;
  for (size_t i = 0; i < G_N_ELEMENTS (capabilities); i++)
    if (strcmp (capabilities[i], name) == 0)
      return (int) i;
  return -1;
}

const char *
berth_capability_name (int cap)
{
  return cap >= 0 && (size_t) cap < G_N_ELEMENTS (capabilities) ? capabilities[cap] : NULL;
}

static const NameValue sched_policies[] = {
  { "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 }, { "SCHED_RR", 2 }, { "SCHED_BATCH", 3 },
  { "SCHED_ISO", 4 }, { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 },
};

int
spec_sched_policy_from_name (const char *name)
{
  return lookup_value (sched_policies, G_N_ELEMENTS (sched_policies), name);
}

static const char *const sched_flags[] = {
  "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN", "SCHED_FLAG_KEEP_POLICY",
  "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN", "SCHED_FLAG_UTIL_CLAMP_MAX",
};

bool
spec_sched_flag_known (const char *name)
{
  return lookup_name (sched_flags, G_N_ELEMENTS (sched_flags), name);
}

static const NameValue ioprio_classes[] = {
  { "IOPRIO_CLASS_RT", 1 }, { "IOPRIO_CLASS_BE", 2 }, { "IOPRIO_CLASS_IDLE", 3 },
};

int
spec_ioprio_class_from_name (const char *name)
{
  return lookup_value (ioprio_classes, G_N_ELEMENTS (ioprio_classes), name);
}

static const char *const propagations[] = {
  "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable",
};

bool
spec_propagation_known (const char *name)
{
  return lookup_name (propagations, G_N_ELEMENTS (propagations), name);
}

static const char *const seccomp_actions[] = {
  "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
};

bool
spec_seccomp_action_known (const char *name)
{
  return lookup_name (seccomp_actions, G_N_ELEMENTS (seccomp_actions), name);
}

static const char *const seccomp_operators[] = {
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

bool
spec_seccomp_operator_known (const char *name)
{
  return lookup_name (seccomp_operators, G_N_ELEMENTS (seccomp_operators), name);
}

static const char *const seccomp_archs[] = {
  "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
  "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64",
  "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
};

bool
spec_seccomp_arch_known (const char *name)
{
  return lookup_name (seccomp_archs, G_N_ELEMENTS (seccomp_archs), name);
}

static const char *const seccomp_flags[] = {
  "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

bool
spec_seccomp_flag_known (const char *name)
{
  return lookup_name (seccomp_flags, G_N_ELEMENTS (seccomp_flags), name);
}
