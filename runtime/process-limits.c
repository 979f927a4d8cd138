/* process.oomScoreAdj, rlimits, linux.personality, process.scheduler,
 * process.ioPriority, process.user.umask: see berth_apply_process_limits. */
#include "process-attrs.h"
#include "error.h"
#include "procfs.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ioprio.h>
#include <linux/sched.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* struct sched_attr of linux/sched/types.h, which clashes with glibc's
 * sched_param. */
struct sched_attr
{
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  uint32_t sched_util_min, sched_util_max;
};

#ifndef SCHED_ISO
#define SCHED_ISO 4
#endif


static bool
apply_oom_score_adj (const BerthProcess *process, GError **error)
{
  if (!process->has_oomScoreAdj)
    return true;
  berth_autofd int procfd = berth_procfs_open (error);
  if (procfd < 0)
    {
      g_prefix_error (error, ".process.oomScoreAdj: ");
      return false;
    }
  char value[32];
  g_snprintf (value, sizeof value, "%d", process->oomScoreAdj);
  if (!berth_procfs_write (procfd, "self/oom_score_adj", value, error))
    {
      g_prefix_error (error, ".process.oomScoreAdj: ");
      return false;
    }
  return true;
}

static bool
apply_rlimits (const BerthProcess *process, GError **error)
{
  for (size_t i = 0; i < process->n_rlimits; i++)
    {
      const BerthRlimit *r = &process->rlimits[i];
      /* The parser resolved the name and checked soft <= hard. */
      struct rlimit64 lim = { .rlim_cur = r->soft, .rlim_max = r->hard };
      if (prlimit64 (0, r->resource, &lim, NULL) < 0)
        return berth_fail_errno (error, errno, "setrlimit %s", r->type ? r->type : "?");
    }
  return true;
}

static bool
apply_personality (const BerthSpec *spec, GError **error)
{
  const BerthLinux *l = spec->linux_;
  if (l == NULL || l->personality_domain == NULL)
    return true;
  if (l->personality_flags != NULL && l->personality_flags[0] != NULL)
    {
      g_autofree char *flags = g_strjoinv (", ", l->personality_flags);
      return berth_fail_code (error, ENOTSUP, ".linux.personality.flags: unsupported flags: %s", flags);
    }
  unsigned long persona;
  if (strcmp (l->personality_domain, "LINUX") == 0)
    persona = PER_LINUX;
  else if (strcmp (l->personality_domain, "LINUX32") == 0)
    persona = PER_LINUX32;
  else
    return berth_fail (error, ".linux.personality.domain: unknown domain \"%s\" (expected LINUX or LINUX32)", l->personality_domain);
  if (personality (persona) < 0)
    return berth_fail_errno (error, errno, ".linux.personality: personality %s", l->personality_domain);
  return true;
}

static const struct { const char *name; int value; } sched_policies[] = {
  { "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO }, { "SCHED_RR", SCHED_RR },
  { "SCHED_BATCH", SCHED_BATCH }, { "SCHED_ISO", SCHED_ISO }, { "SCHED_IDLE", SCHED_IDLE },
  { "SCHED_DEADLINE", SCHED_DEADLINE },
};

static const struct { const char *name; uint64_t value; } sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", SCHED_FLAG_RESET_ON_FORK }, { "SCHED_FLAG_RECLAIM", SCHED_FLAG_RECLAIM },
  { "SCHED_FLAG_DL_OVERRUN", SCHED_FLAG_DL_OVERRUN }, { "SCHED_FLAG_KEEP_POLICY", SCHED_FLAG_KEEP_POLICY },
  { "SCHED_FLAG_KEEP_PARAMS", SCHED_FLAG_KEEP_PARAMS }, { "SCHED_FLAG_UTIL_CLAMP_MIN", SCHED_FLAG_UTIL_CLAMP_MIN },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", SCHED_FLAG_UTIL_CLAMP_MAX },
};

static bool
scheduler_to_attr (const BerthScheduler *s, struct sched_attr *ret, GError **error)
{
  struct sched_attr attr = { .size = sizeof attr };
  int policy = -1;
  if (s->policy != NULL)
    {
      for (size_t i = 0; i < G_N_ELEMENTS (sched_policies); i++)
        if (strcmp (s->policy, sched_policies[i].name) == 0)
          policy = sched_policies[i].value;
      if (policy < 0)
        return berth_fail (error, ".process.scheduler.policy: unknown policy \"%s\"", s->policy);
    }
  else
    policy = s->policy_value;
  attr.sched_policy = (uint32_t) policy;
  if (s->has_nice)
    {
      if (s->nice < -20 || s->nice > 19)
        return berth_fail (error, ".process.scheduler.nice: %d is out of range [-20, 19]", s->nice);
      attr.sched_nice = s->nice;
    }
  if (s->has_priority)
    {
      bool rt = policy == SCHED_FIFO || policy == SCHED_RR;
      if (s->priority < 0 || (!rt && s->priority != 0) || s->priority > 99)
        return berth_fail (error, ".process.scheduler.priority: %d is not valid for %s", s->priority, s->policy ? s->policy : "this policy");
      attr.sched_priority = (uint32_t) s->priority;
    }
  for (size_t i = 0; s->flags != NULL && s->flags[i] != NULL; i++)
    {
      uint64_t v = 0;
      for (size_t j = 0; j < G_N_ELEMENTS (sched_flags); j++)
        if (strcmp (s->flags[i], sched_flags[j].name) == 0)
          v = sched_flags[j].value;
      if (v == 0)
        return berth_fail (error, ".process.scheduler.flags[%zu]: unknown flag \"%s\"", i, s->flags[i]);
      attr.sched_flags |= v;
    }
  attr.sched_runtime = s->runtime;
  attr.sched_deadline = s->deadline;
  attr.sched_period = s->period;
  *ret = attr;
  return true;
}

static bool
apply_scheduler (const BerthProcess *process, GError **error)
{
  if (process->scheduler == NULL)
    return true;
  struct sched_attr attr;
  if (!scheduler_to_attr (process->scheduler, &attr, error))
    return false;
  if (syscall (SYS_sched_setattr, 0, &attr, 0) < 0)
    return berth_fail_errno (error, errno, ".process.scheduler: sched_setattr %s",
                             process->scheduler->policy ? process->scheduler->policy : "?");
  return true;
}

static bool
apply_io_priority (const BerthProcess *process, GError **error)
{
  const BerthIoPriority *io = process->ioPriority;
  if (io == NULL)
    return true;
  int klass = io->class_value;
  if (io->class_name != NULL)
    {
      if (strcmp (io->class_name, "IOPRIO_CLASS_RT") == 0)
        klass = IOPRIO_CLASS_RT;
      else if (strcmp (io->class_name, "IOPRIO_CLASS_BE") == 0)
        klass = IOPRIO_CLASS_BE;
      else if (strcmp (io->class_name, "IOPRIO_CLASS_IDLE") == 0)
        klass = IOPRIO_CLASS_IDLE;
      else
        return berth_fail (error, ".process.ioPriority.class: unknown class \"%s\"", io->class_name);
    }
  if (io->priority < 0 || io->priority > 7)
    return berth_fail (error, ".process.ioPriority.priority: %d is out of range [0, 7]", io->priority);
  if (syscall (SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_PRIO_VALUE (klass, io->priority)) < 0)
    return berth_fail_errno (error, errno, ".process.ioPriority: ioprio_set %s %d",
                             io->class_name ? io->class_name : "?", io->priority);
  return true;
}

bool
berth_apply_process_limits (const BerthSpec *spec, const BerthProcess *process, GError **error)
{
  if (!apply_oom_score_adj (process, error) || !apply_rlimits (process, error)
      || !apply_personality (spec, error) || !apply_scheduler (process, error)
      || !apply_io_priority (process, error))
    return false;
  if (process->has_umask)
    umask ((mode_t) (process->umask & 0777));
  return true;
}
