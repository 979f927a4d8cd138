/* Private to the cgroup files: the BerthCgroup layout and helpers shared by
 * cgroup.c, cgroup-v1.c, cgroup-v2.c, cgroup-resources.c,
 * cgroup-devices-bpf.c and cgroup-stats.c. */
#pragma once
#include "cgroup.h"
#include "spec.h"
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct
{
  char *controllers;   /* the /proc/self/cgroup key: "memory", "cpu,cpuacct", "name=systemd" */
  char *dir;           /* absolute directory of this container's cgroup */
} BerthCgroupV1Dir;

struct BerthCgroup
{
  BerthCgroupMode mode;
  char *path;          /* the resolved cgroupsPath ("/abs" or "rel/ative") */
  GPtrArray *v1;       /* BerthCgroupV1Dir*, empty in v2 mode */
  char *unified_dir;   /* v2 dir, or the hybrid unified dir; NULL if none */
  int unified_fd;      /* lazily opened O_PATH fd of unified_dir, -1 */
};

/* The directory of the v1 hierarchy holding controller, or NULL. */
const char *berth_cgroup_v1_dir (const BerthCgroup *cg, const char *controller);

/* Write value to dir/file; on failure the error names the file and the
 * spec field ("<field>: write <dir>/<file> \"value\": <strerror>"). */
bool berth_cgroup_write (const char *dir, const char *file, const char *value,
                         const char *field, GError **error);
/* Read dir/file, trailing newline stripped; NULL with errno set. */
char *berth_cgroup_read (const char *dir, const char *file);
/* Writes cpu.cpus / cpu.mems (when set) to DIR's cpuset.cpus / cpuset.mems (same names on v1 and v2). */
bool berth_cgroup_write_cpuset (const char *dir, const BerthCpu *cpu, GError **error);
/* Whether WORD is one of the SEPS-separated words of LIST (NULL = empty). */
bool berth_cgroup_word_in_list (const char *list, const char *word, const char *seps);
bool berth_cgroup_file_exists (const char *dir, const char *file);

/* Controllers listed in dir/cgroup.controllers (v2). */
bool berth_cgroup_v2_has_controller (const char *dir, const char *controller);

/* ---- cgroup-resources.c: runc's conversions and the validation pass ---- */
uint64_t berth_cgroup_cpu_shares_to_weight (uint64_t shares);
uint64_t berth_cgroup_blkio_weight_to_io_weight (uint64_t weight);
/* -1 = "max", 0 = unset; false with an error on an inconsistent pair. */
bool berth_cgroup_swap_to_v2 (int64_t swap, int64_t limit, int64_t *ret, GError **error);
/* "2MB", "1GB" ... as the kernel names hugetlb files; NULL-terminated. */
char **berth_cgroup_hugepage_sizes (void);
/* Check everything that can be checked before touching the kernel. */
bool berth_cgroup_resources_validate (const BerthCgroup *cg, const BerthResources *r, GError **error);
/* runc's default device rules (null, zero, full, tty, random, urandom, ptmx,
 * pts, mknod of any c/b), appended after the spec's rules. */
const BerthDeviceCgroupRule *berth_cgroup_default_device_rules (size_t *ret_n);
bool berth_cgroup_is_allow_all_rule (const BerthDeviceCgroupRule *rule, bool *ret_allow);

/* ---- cgroup-v1.c ---- */
bool berth_cgroup_v1_prepare_cpuset (const char *dir, GError **error);
bool berth_cgroup_v1_apply (BerthCgroup *cg, const BerthResources *r, bool update, GError **error);
bool berth_cgroup_v1_freeze (BerthCgroup *cg, bool frozen, GError **error);

/* ---- cgroup-v2.c ---- */
/* Enable controllers in cgroup.subtree_control of every directory from
 * base (inclusive) down to the parent of dir. */
bool berth_cgroup_v2_enable_controllers (const char *base, const char *dir,
                                         const char *const *controllers, GError **error);
bool berth_cgroup_v2_apply (BerthCgroup *cg, const char *dir, const BerthResources *r,
                            bool update, GError **error);
/* hugetlb and unified in hybrid mode, against the unified dir. */
bool berth_cgroup_v2_apply_hybrid (BerthCgroup *cg, const BerthResources *r, GError **error);
bool berth_cgroup_v2_freeze (const char *dir, bool frozen, GError **error);
bool berth_cgroup_v2_unified (const char *dir, GHashTable *unified, GError **error);

/* ---- cgroup-devices-bpf.c ---- */
/* Load a BPF_PROG_TYPE_CGROUP_DEVICE program for: deny all, then rules in
 * order (last match wins), then the runc defaults; attach it to dir with
 * BPF_F_ALLOW_MULTI and detach programs attached before. */
bool berth_cgroup_devices_bpf_apply (const char *dir, const BerthDeviceCgroupRule *rules,
                                     size_t n_rules, GError **error);

/* ---- cgroup-devices-v1.c ---- */
/* The writes for: deny all, then rules in order, then the runc defaults, as
 * "FILE LINE" ("devices.deny a", "devices.allow c 1:3 rwm"); a deny-all rule
 * while nothing is allowed is left out (the first write already did it). */
char **berth_cgroup_v1_device_writes (const BerthDeviceCgroupRule *rules, size_t n_rules);
bool berth_cgroup_v1_devices_apply (const char *dir, const BerthDeviceCgroupRule *rules,
                                    size_t n_rules, GError **error);
