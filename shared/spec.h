/* The OCI runtime-spec config.json as typed C structs.  The JSON tree (json.h) is
 * used only in spec-*.c: everything after berth_spec_load() works on these structs.
 *
 * Conventions: strings are g_malloc'd (NULL = absent), string lists are
 * NULL-terminated strv (NULL = absent), arrays are (pointer, count) pairs,
 * optional scalars carry a `has_X` flag.  Every field keeps its runtime-spec
 * name so `grep noNewPrivileges` finds where it is parsed and applied. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct { uint32_t containerID, hostID, size; } BerthIdMapping;

typedef struct
{
  char *type, *source, *destination;
  char **options;                 /* raw strings; see berth_mount_options_parse() */
  BerthIdMapping *uidMappings; size_t n_uidMappings;  /* idmapped mount */
  BerthIdMapping *gidMappings; size_t n_gidMappings;
} BerthMount;

typedef struct
{
  char *type;                     /* RLIMIT_NOFILE ... */
  int resource;                   /* the RLIMIT_* constant */
  uint64_t hard, soft;
} BerthRlimit;

typedef struct
{
  char **bounding, **effective, **inheritable, **permitted, **ambient; /* "CAP_X" names */
} BerthCapabilities;

typedef struct
{
  char *policy;                   /* SCHED_OTHER ... */
  int policy_value;
  bool has_nice; int32_t nice;
  bool has_priority; int32_t priority;
  char **flags;
  uint64_t runtime, deadline, period;
} BerthScheduler;

typedef struct
{
  char *class_name;               /* IOPRIO_CLASS_RT|BE|IDLE */
  int class_value;
  int priority;
} BerthIoPriority;

typedef struct
{
  bool terminal;
  bool has_consoleSize; uint32_t consoleSize_height, consoleSize_width;
  uint32_t uid, gid;
  bool has_umask; uint32_t umask;
  uint32_t *additionalGids; size_t n_additionalGids;
  char **args;
  char *commandLine;              /* windows only; rejected on linux */
  char **env;
  char *cwd;
  BerthCapabilities *capabilities; /* NULL = absent */
  BerthRlimit *rlimits; size_t n_rlimits;
  bool noNewPrivileges;
  char *apparmorProfile;
  bool has_oomScoreAdj; int oomScoreAdj;
  char *selinuxLabel;
  BerthScheduler *scheduler;      /* NULL = absent */
  BerthIoPriority *ioPriority;    /* NULL = absent */
} BerthProcess;

typedef struct
{
  char *path;
  char **args;
  char **env;
  bool has_timeout; int timeout;  /* seconds, > 0 */
} BerthHook;

typedef struct { BerthHook *hooks; size_t n; } BerthHookList;

typedef struct
{
  BerthHookList prestart, createRuntime, createContainer, startContainer, poststart, poststop;
} BerthHooks;

typedef enum
{
  BERTH_NS_PID, BERTH_NS_NETWORK, BERTH_NS_MOUNT, BERTH_NS_IPC, BERTH_NS_UTS,
  BERTH_NS_USER, BERTH_NS_CGROUP, BERTH_NS_TIME, BERTH_NS_COUNT
} BerthNamespaceKind;

typedef struct
{
  BerthNamespaceKind kind;
  char *type;                     /* the spec's string: "pid", "network", ... */
  char *path;                     /* NULL = create a new one */
} BerthNamespace;

typedef struct
{
  char *path;
  char *type;                     /* "c", "u", "b", "p" */
  int64_t major, minor;
  bool has_fileMode; uint32_t fileMode;
  bool has_uid; uint32_t uid;
  bool has_gid; uint32_t gid;
} BerthDevice;

typedef struct
{
  bool allow;
  char *type;                     /* "a", "c", "b" or NULL (= all) */
  bool has_major; int64_t major;  /* absent = wildcard */
  bool has_minor; int64_t minor;
  char *access;                   /* "rwm" subset or NULL */
} BerthDeviceCgroupRule;

typedef struct { int64_t major, minor; bool has_weight; uint16_t weight; bool has_leafWeight; uint16_t leafWeight; } BerthWeightDevice;
typedef struct { int64_t major, minor; uint64_t rate; } BerthThrottleDevice;
typedef struct { char *pageSize; uint64_t limit; } BerthHugepageLimit;
typedef struct { char *name; uint32_t priority; } BerthInterfacePriority;
typedef struct { char *device; bool has_hcaHandles; uint32_t hcaHandles; bool has_hcaObjects; uint32_t hcaObjects; } BerthRdma;

typedef struct
{
  bool has_limit; int64_t limit;
  bool has_reservation; int64_t reservation;
  bool has_swap; int64_t swap;
  bool has_kernel; int64_t kernel;
  bool has_kernelTCP; int64_t kernelTCP;
  bool has_swappiness; uint64_t swappiness;
  bool has_disableOOMKiller; bool disableOOMKiller;
  bool has_useHierarchy; bool useHierarchy;
  bool has_checkBeforeUpdate; bool checkBeforeUpdate;
} BerthMemory;

typedef struct
{
  bool has_shares; uint64_t shares;
  bool has_quota; int64_t quota;
  bool has_burst; uint64_t burst;
  bool has_period; uint64_t period;
  bool has_realtimeRuntime; int64_t realtimeRuntime;
  bool has_realtimePeriod; uint64_t realtimePeriod;
  char *cpus, *mems;
  bool has_idle; int64_t idle;
} BerthCpu;

typedef struct
{
  bool has_weight; uint16_t weight;
  bool has_leafWeight; uint16_t leafWeight;
  BerthWeightDevice *weightDevice; size_t n_weightDevice;
  BerthThrottleDevice *throttleReadBpsDevice; size_t n_throttleReadBpsDevice;
  BerthThrottleDevice *throttleWriteBpsDevice; size_t n_throttleWriteBpsDevice;
  BerthThrottleDevice *throttleReadIOPSDevice; size_t n_throttleReadIOPSDevice;
  BerthThrottleDevice *throttleWriteIOPSDevice; size_t n_throttleWriteIOPSDevice;
} BerthBlockIO;

typedef struct
{
  BerthDeviceCgroupRule *devices; size_t n_devices;
  BerthMemory *memory;            /* NULL = absent (same for the others) */
  BerthCpu *cpu;
  bool has_pids_limit; int64_t pids_limit;
  BerthBlockIO *blockIO;
  BerthHugepageLimit *hugepageLimits; size_t n_hugepageLimits;
  bool has_network_classID; uint32_t network_classID;
  BerthInterfacePriority *network_priorities; size_t n_network_priorities;
  BerthRdma *rdma; size_t n_rdma;
  GHashTable *unified;            /* char* -> char*, NULL = absent */
} BerthResources;

typedef struct
{
  char *action;                   /* SCMP_ACT_... */
  char **names;
  bool has_errnoRet; uint32_t errnoRet;
  struct BerthSeccompArg { uint32_t index; uint64_t value, valueTwo; char *op; } *args; size_t n_args;
} BerthSeccompSyscall;

typedef struct
{
  char *defaultAction;
  bool has_defaultErrnoRet; uint32_t defaultErrnoRet;
  char **architectures;
  char **flags;
  char *listenerPath, *listenerMetadata;
  BerthSeccompSyscall *syscalls; size_t n_syscalls;
} BerthSeccomp;

typedef struct { char *clock; int64_t secs; uint32_t nanosecs; } BerthTimeOffset; /* clock: monotonic|boottime */

typedef struct
{
  BerthNamespace *namespaces; size_t n_namespaces;
  BerthIdMapping *uidMappings; size_t n_uidMappings;
  BerthIdMapping *gidMappings; size_t n_gidMappings;
  BerthTimeOffset *timeOffsets; size_t n_timeOffsets;
  BerthDevice *devices; size_t n_devices;
  char *cgroupsPath;
  BerthResources *resources;      /* NULL = absent */
  char *rootfsPropagation;
  BerthSeccomp *seccomp;          /* NULL = absent */
  GHashTable *sysctl;             /* char* -> char*, NULL = absent */
  char **maskedPaths;
  char **readonlyPaths;
  char *mountLabel;
  char *personality_domain;       /* LINUX or LINUX32; NULL = absent */
  char **personality_flags;
} BerthLinux;

typedef struct
{
  char *ociVersion;
  char *root_path;                /* absolute after load (resolved against the bundle) */
  bool root_readonly;
  char *hostname, *domainname;
  BerthProcess *process;          /* NULL = absent (create refuses it) */
  BerthMount *mounts; size_t n_mounts;
  BerthHooks hooks;
  GHashTable *annotations;        /* char* -> char*, never NULL */
  BerthLinux *linux_;             /* NULL = absent */
} BerthSpec;

/* Parse and validate the JSON text of a config.json.  bundle_dir (absolute)
 * resolves a relative root.path.  Errors are one line naming the JSON path,
 * e.g. "config.json: .process.args: must be a non-empty array of strings". */
BerthSpec *berth_spec_parse (const char *json, size_t len, const char *bundle_dir, GError **error);
/* Read BUNDLE/config.json and parse it.  Also returns the raw text if asked
 * (create keeps a copy in the state dir). */
BerthSpec *berth_spec_load (const char *bundle_dir, char **ret_json, size_t *ret_len, GError **error);
void berth_spec_free (BerthSpec *spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthSpec, berth_spec_free)

/* Parse a standalone process.json (exec --process) with the same rules. */
BerthProcess *berth_process_parse (const char *json, size_t len, GError **error);
void berth_process_free (BerthProcess *process);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthProcess, berth_process_free)

/* Parse a resources.json (update -r) with the same rules as linux.resources. */
BerthResources *berth_resources_parse (const char *json, size_t len, GError **error);
void berth_resources_free (BerthResources *resources);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthResources, berth_resources_free)

/* Lookups used everywhere. */
const BerthNamespace *berth_spec_namespace (const BerthSpec *spec, BerthNamespaceKind kind);
int berth_namespace_clone_flag (BerthNamespaceKind kind);  /* CLONE_NEWPID ... */
int berth_rlimit_from_name (const char *name);              /* -1 if unknown */
int berth_capability_from_name (const char *name);          /* -1 if unknown */
const char *berth_capability_name (int cap);                /* NULL if unknown */

/* The default config.json that `berth spec` writes (runc's template; no
 * inheritable capabilities).  rootless: user namespace + mappings for the
 * caller's uid/gid, no network namespace, rootless mounts. */
char *berth_spec_default_json (bool rootless, uid_t uid, gid_t gid);

/* The devices every container gets (runtime-spec "Default Devices", as runc
 * makes them: 0666 root:root) unless linux.devices names the same path. */
typedef struct
{
  const char *path;
  mode_t type;                    /* S_IFCHR */
  unsigned major, minor;
} BerthDefaultDevice;
extern const BerthDefaultDevice berth_default_devices[];
extern const size_t berth_n_default_devices;
