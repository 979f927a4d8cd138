/* Process attributes applied by the container init: identity and
 * capabilities, limits, sysctl/hostname, the private procfs.  Every case that
 * changes kernel state runs in a forked child. */
#include "capabilities.h"
#include "error.h"
#include "forktest.h"
#include "process-attrs.h"
#include "procfs.h"
#include "seccomp.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/ioprio.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#define BIT(c) (UINT64_C (1) << (c))

static char *
status_field (const char *field)
{
  g_autofree char *status = berth_read_file_at (AT_FDCWD, "/proc/self/status", 1 << 16, NULL);
  g_assert_nonnull (status);
  g_autofree char *key = g_strconcat ("\n", field, ":", NULL);
  const char *p = strstr (status, key);
  g_assert_nonnull (p);
  p += strlen (key);
  while (*p == ' ' || *p == '\t')
    p++;
  return g_strndup (p, strcspn (p, "\n"));
}

static uint64_t
status_caps (const char *field)
{
  g_autofree char *v = status_field (field);
  return g_ascii_strtoull (v, NULL, 16);
}

static bool
host_has_cap (int cap)
{
  return (status_caps ("CapEff") & BIT (cap)) != 0;
}

static void
assert_error (GError *error, const char *message)
{
  g_assert_nonnull (error);
  g_assert_cmpstr (error->message, ==, message);
}

/* ---- identity ---------------------------------------------------------- */

static void
child_identity (gconstpointer data)
{
  static char *bounding[] = { "CAP_NET_BIND_SERVICE", "CAP_CHOWN", NULL };
  static char *ambient[] = { "CAP_NET_BIND_SERVICE", NULL };
  BerthCapabilities caps = { .bounding = bounding, .effective = bounding, .permitted = bounding,
                             .inheritable = ambient, .ambient = ambient };
  uint32_t gids[] = { 10, 20 };
  BerthProcess p = { .uid = 1000, .gid = 1000, .additionalGids = gids, .n_additionalGids = 2, .capabilities = &caps };
  g_autoptr (GError) error = NULL;
  if (!berth_apply_identity (&p, &error))
    g_error ("%s", error->message);
  uid_t r, e, s;
  g_assert_cmpint (getresuid (&r, &e, &s), ==, 0);
  g_assert_true (r == 1000 && e == 1000 && s == 1000);
  gid_t gr, ge, gs;
  g_assert_cmpint (getresgid (&gr, &ge, &gs), ==, 0);
  g_assert_true (gr == 1000 && ge == 1000 && gs == 1000);
  gid_t groups[8];
  g_assert_cmpint (getgroups (8, groups), ==, 2);
  g_assert_cmpint (groups[0], ==, 10);
  g_assert_cmpint (groups[1], ==, 20);
  uint64_t both = BIT (CAP_NET_BIND_SERVICE) | BIT (CAP_CHOWN);
  g_assert_cmphex (status_caps ("CapBnd"), ==, both);
  g_assert_cmphex (status_caps ("CapEff"), ==, both);
  g_assert_cmphex (status_caps ("CapPrm"), ==, both);
  g_assert_cmphex (status_caps ("CapInh"), ==, BIT (CAP_NET_BIND_SERVICE));
  g_assert_cmphex (status_caps ("CapAmb"), ==, BIT (CAP_NET_BIND_SERVICE));
  g_autofree char *nnp = status_field ("NoNewPrivs");
  g_assert_cmpstr (nnp, ==, "0");
  /* The capabilities work: uid 1000 may bind a privileged port. */
  berth_autofd int sock = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons (1), .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  if (bind (sock, (struct sockaddr *) &sin, sizeof sin) < 0)
    g_assert_cmpint (errno, ==, EADDRINUSE);
}

static void
test_identity (void)
{
  FORKTEST_SKIP_UNLESS_ROOT ();
  forktest_expect_ok (child_identity, NULL);
}

/* No capabilities object: every set empty; noNewPrivileges; stays root. */
static void
child_identity_nnp (gconstpointer data)
{
  BerthProcess p = { .uid = 0, .gid = 0, .noNewPrivileges = true };
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (getgroups (0, NULL), >=, 0);
  if (!berth_apply_identity (&p, &error))
    g_error ("%s", error->message);
  g_assert_cmpint (getuid (), ==, 0);
  g_assert_cmpint (getgroups (0, NULL), ==, 0);
  g_assert_cmphex (status_caps ("CapBnd"), ==, 0);
  g_assert_cmphex (status_caps ("CapEff"), ==, 0);
  g_assert_cmphex (status_caps ("CapPrm"), ==, 0);
  g_assert_cmphex (status_caps ("CapInh"), ==, 0);
  g_assert_cmphex (status_caps ("CapAmb"), ==, 0);
  g_autofree char *nnp = status_field ("NoNewPrivs");
  g_assert_cmpstr (nnp, ==, "1");
}

static void
test_identity_nnp (void)
{
  FORKTEST_SKIP_UNLESS_ROOT ();
  forktest_expect_ok (child_identity_nnp, NULL);
}

/* runc's default set: no inheritable unless asked (CVE-2022-29162). */
static void
child_identity_default_caps (gconstpointer data)
{
  static char *set[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
  BerthCapabilities caps = { .bounding = set, .effective = set, .permitted = set };
  BerthProcess p = { .capabilities = &caps };
  g_autoptr (GError) error = NULL;
  if (!berth_apply_identity (&p, &error))
    g_error ("%s", error->message);
  uint64_t m = BIT (CAP_AUDIT_WRITE) | BIT (CAP_KILL) | BIT (CAP_NET_BIND_SERVICE);
  g_assert_cmphex (status_caps ("CapBnd"), ==, m);
  g_assert_cmphex (status_caps ("CapEff"), ==, m);
  g_assert_cmphex (status_caps ("CapPrm"), ==, m);
  g_assert_cmphex (status_caps ("CapInh"), ==, 0);
  g_assert_cmphex (status_caps ("CapAmb"), ==, 0);
}

static void
test_identity_default_caps (void)
{
  FORKTEST_SKIP_UNLESS_ROOT ();
  forktest_expect_ok (child_identity_default_caps, NULL);
}

/* With noNewPrivileges false the filter is loaded before the identity: the
 * identity works under a filter that allows its syscalls, and fails with the
 * syscall's name under one that does not. */
static void
child_identity_after_seccomp (gconstpointer data)
{
  static char *names[] = { (char *) "getcwd", NULL };
  static char *setresuid_names[] = { "setresuid", NULL };
  bool deny_setresuid = GPOINTER_TO_INT (data);
  BerthSeccompSyscall calls[] = { { .action = "SCMP_ACT_ERRNO", .names = deny_setresuid ? setresuid_names : names } };
  BerthSeccomp s = { .defaultAction = "SCMP_ACT_ALLOW", .syscalls = calls, .n_syscalls = 1 };
  static char *set[] = { "CAP_KILL", NULL };
  BerthCapabilities caps = { .bounding = set, .effective = set, .permitted = set };
  BerthProcess p = { .uid = 1000, .gid = 1000, .capabilities = &caps };
  g_autoptr (GError) error = NULL;
  int fd;
  if (!berth_seccomp_load (&s, &fd, &error))
    g_error ("%s", error->message);
  if (deny_setresuid)
    {
      g_assert_false (berth_apply_identity (&p, &error));
      assert_error (error, ".process.user.uid: setresuid 1000: Operation not permitted");
      return;
    }
  if (!berth_apply_identity (&p, &error))
    g_error ("%s", error->message);
  g_assert_cmpint (getuid (), ==, 1000);
  g_assert_cmphex (status_caps ("CapEff"), ==, BIT (CAP_KILL));
}

static void
test_identity_after_seccomp (void)
{
  FORKTEST_SKIP_UNLESS_ROOT ();
  forktest_expect_ok (child_identity_after_seccomp, GINT_TO_POINTER (0));
  forktest_expect_ok (child_identity_after_seccomp, GINT_TO_POINTER (1));
}

static void
child_identity_errors (gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  static char *unknown[] = { "CAP_CHOWN", "CAP_TEST", NULL };
  static char *nbs[] = { "CAP_NET_BIND_SERVICE", NULL };
  static char *chown_only[] = { "CAP_CHOWN", NULL };
  static char *resource[] = { "CAP_CHOWN", "CAP_SYS_RESOURCE", NULL };
  BerthCapabilities caps = { .bounding = unknown };
  BerthProcess p = { .capabilities = &caps };
  const char *which = data;

  if (strcmp (which, "unknown") == 0)
    {
      g_assert_false (berth_apply_identity (&p, &error));
      assert_error (error, ".process.capabilities.bounding: unknown capability \"CAP_TEST\"");
      /* Nothing was changed. */
      g_assert_cmphex (status_caps ("CapBnd"), !=, 0);
    }
  else if (strcmp (which, "ambient") == 0)
    {
      /* Ambient but not inheritable (runc's default spec): the kernel
       * refuses the raise and, as runc, we go on without it. */
      caps = (BerthCapabilities) { .bounding = nbs, .effective = nbs, .permitted = nbs, .ambient = nbs };
      g_assert_true (berth_apply_identity (&p, &error));
      g_assert_no_error (error);
      g_assert_cmphex (status_caps ("CapAmb"), ==, 0);
      g_assert_cmphex (status_caps ("CapInh"), ==, 0);
      g_assert_cmphex (status_caps ("CapEff"), ==, UINT64_C (1) << 10);
    }
  else if (strcmp (which, "resource") == 0)
    {
      /* This host's bounding set lacks CAP_SYS_RESOURCE. */
      caps = (BerthCapabilities) { .bounding = resource, .effective = resource, .permitted = resource };
      g_assert_false (berth_apply_identity (&p, &error));
      assert_error (error, ".process.capabilities.permitted: CAP_SYS_RESOURCE is not in the runtime's permitted or bounding set: Operation not permitted");
      g_assert_cmpint (error->code, ==, EPERM);
    }
  else if (strcmp (which, "inheritable") == 0)
    {
      /* Inheritable outside the bounding set. */
      caps = (BerthCapabilities) { .bounding = chown_only, .effective = chown_only, .permitted = chown_only, .inheritable = nbs };
      g_assert_false (berth_apply_identity (&p, &error));
      assert_error (error, ".process.capabilities.inheritable: CAP_NET_BIND_SERVICE is not in the bounding set: Operation not permitted");
    }
  else if (strcmp (which, "groups") == 0)
    {
      /* Not root any more: setgroups fails and says which field. */
      uint32_t gids[] = { 10 };
      BerthProcess q = { .uid = 1000, .gid = 1000, .additionalGids = gids, .n_additionalGids = 1 };
      g_assert_cmpint (setresuid (1000, 1000, 1000), ==, 0);
      g_assert_false (berth_apply_identity (&q, &error));
      /* Bounding drop comes first and needs CAP_SETPCAP. */
      assert_error (error, ".process.capabilities.bounding: drop CAP_CHOWN: Operation not permitted");
    }
  else
    g_assert_not_reached ();
}

static void
test_identity_errors (void)
{
  FORKTEST_SKIP_UNLESS_ROOT ();
  forktest_expect_ok (child_identity_errors, "unknown");
  forktest_expect_ok (child_identity_errors, "ambient");
  forktest_expect_ok (child_identity_errors, "inheritable");
  forktest_expect_ok (child_identity_errors, "groups");
  if (host_has_cap (CAP_SYS_RESOURCE))
    g_test_message ("host has CAP_SYS_RESOURCE: its EPERM case is not testable here");
  else
    forktest_expect_ok (child_identity_errors, "resource");
}

static void
test_capabilities_validate (void)
{
  static char *good[] = { "CAP_CHOWN", "CAP_CHECKPOINT_RESTORE", "CAP_BPF", NULL };
  static char *bad[] = { "CAP_CHOWN", "cap_kill", NULL };
  g_autoptr (GError) error = NULL;
  g_assert_true (berth_capabilities_validate (good, ".process.capabilities.bounding", &error));
  g_assert_true (berth_capabilities_validate (NULL, ".process.capabilities.bounding", &error));
  g_assert_false (berth_capabilities_validate (bad, ".process.capabilities.effective", &error));
  assert_error (error, ".process.capabilities.effective: unknown capability \"cap_kill\"");
  g_assert_cmpint (berth_capability_from_name ("CAP_SYS_ADMIN"), ==, CAP_SYS_ADMIN);
  g_assert_cmpint (berth_capability_from_name ("CAP_CHECKPOINT_RESTORE"), ==, 40);
  g_assert_cmpint (berth_capability_from_name ("12"), ==, -1);
  g_assert_cmpstr (berth_capability_name (CAP_NET_RAW), ==, "CAP_NET_RAW");
  g_autofree char *last_cap = berth_read_file_at (AT_FDCWD, "/proc/sys/kernel/cap_last_cap", 64, NULL);
  g_assert_cmpint (berth_cap_last_cap (), ==, atoi (last_cap));

  /* A capability newer than the kernel is skipped (pretend last_cap 38). */
  BerthCapabilities caps = { .bounding = good };
  BerthCapMasks m;
  g_assert_true (berth_capabilities_to_masks (&caps, 38, &m, &error));
  g_assert_cmphex (m.bounding, ==, BIT (CAP_CHOWN));
  g_assert_true (berth_capabilities_to_masks (&caps, 40, &m, &error));
  g_assert_cmphex (m.bounding, ==, BIT (CAP_CHOWN) | BIT (40) | BIT (39));
  g_assert_true (berth_capabilities_to_masks (NULL, 40, &m, &error));
  g_assert_cmphex (m.bounding | m.effective | m.permitted | m.inheritable | m.ambient, ==, 0);
}

/* ---- limits ------------------------------------------------------------ */

static void
child_limits (gconstpointer data)
{
  BerthRlimit rl[] = {
    { .type = "RLIMIT_NOFILE", .resource = RLIMIT_NOFILE, .soft = 512, .hard = 1024 },
    { .type = "RLIMIT_CORE", .resource = RLIMIT_CORE, .soft = 0, .hard = 0 },
  };
  BerthIoPriority io = { .class_name = "IOPRIO_CLASS_BE", .priority = 4 };
  BerthScheduler sched = { .policy = "SCHED_BATCH", .has_nice = true, .nice = 5 };
  BerthProcess p = { .rlimits = rl, .n_rlimits = 2, .has_umask = true, .umask = 027,
                     .has_oomScoreAdj = true, .oomScoreAdj = 500, .ioPriority = &io, .scheduler = &sched };
  BerthLinux l = { .personality_domain = "LINUX32" };
  BerthSpec spec = { .linux_ = &l, .process = &p };
  g_autoptr (GError) error = NULL;
  if (!berth_apply_process_limits (&spec, &p, &error))
    g_error ("%s", error->message);

  struct rlimit r;
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &r), ==, 0);
  g_assert_cmpuint (r.rlim_cur, ==, 512);
  g_assert_cmpuint (r.rlim_max, ==, 1024);
  g_assert_cmpint (getrlimit (RLIMIT_CORE, &r), ==, 0);
  g_assert_cmpuint (r.rlim_max, ==, 0);
  g_assert_cmpint (umask (0), ==, 027);
  g_autofree char *oom = berth_read_file_at (AT_FDCWD, "/proc/self/oom_score_adj", 64, NULL);
  g_assert_cmpstr (oom, ==, "500\n");
  g_assert_cmpint (syscall (SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0), ==, IOPRIO_PRIO_VALUE (IOPRIO_CLASS_BE, 4));
  g_assert_cmpint (sched_getscheduler (0), ==, SCHED_BATCH);
  errno = 0;
  g_assert_cmpint (getpriority (PRIO_PROCESS, 0), ==, 5);
  g_assert_cmpint (personality (0xffffffff), ==, PER_LINUX32);
  struct utsname u;
  g_assert_cmpint (uname (&u), ==, 0);
  g_assert_cmpstr (u.machine, ==, "i686");
}

static void
test_limits (void)
{
  FORKTEST_SKIP_UNLESS_ROOT ();
  forktest_expect_ok (child_limits, NULL);
}

static void
child_sched_idle (gconstpointer data)
{
  BerthScheduler sched = { .policy = "SCHED_IDLE", .flags = (char *[]) { "SCHED_FLAG_RESET_ON_FORK", NULL } };
  BerthIoPriority io = { .class_name = "IOPRIO_CLASS_IDLE", .priority = 0 };
  BerthProcess p = { .scheduler = &sched, .ioPriority = &io };
  BerthLinux l = { .personality_domain = "LINUX" };
  BerthSpec spec = { .linux_ = &l };
  g_autoptr (GError) error = NULL;
  if (!berth_apply_process_limits (&spec, &p, &error))
    g_error ("%s", error->message);
  g_assert_cmpint (sched_getscheduler (0), ==, SCHED_IDLE | SCHED_RESET_ON_FORK);
  g_assert_cmpint (syscall (SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0), ==, IOPRIO_PRIO_VALUE (IOPRIO_CLASS_IDLE, 0));
  g_assert_cmpint (personality (0xffffffff), ==, PER_LINUX);
}

static void
test_sched_idle (void)
{
  FORKTEST_SKIP_UNLESS_ROOT ();
  forktest_expect_ok (child_sched_idle, NULL);
}

static void
child_limit_errors (gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  BerthSpec spec = { 0 };
  if (!host_has_cap (CAP_SYS_RESOURCE))
    {
      /* Lowering oom_score_adj needs CAP_SYS_RESOURCE (this host's root
       * lacks it). */
      BerthProcess q = { .has_oomScoreAdj = true, .oomScoreAdj = -500 };
      g_assert_false (berth_apply_process_limits (&spec, &q, &error));
      assert_error (error, ".process.oomScoreAdj: write -500 to /proc/self/oom_score_adj: Permission denied");
      g_clear_error (&error);
    }
  /* Raising a hard limit needs CAP_SYS_RESOURCE: drop root first. */
  g_assert_cmpint (setresuid (1000, 1000, 1000), ==, 0);
  struct rlimit cur;
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &cur), ==, 0);
  BerthRlimit rl = { .type = "RLIMIT_NOFILE", .resource = RLIMIT_NOFILE, .soft = cur.rlim_max + 1, .hard = cur.rlim_max + 1 };
  BerthProcess p = { .rlimits = &rl, .n_rlimits = 1 };
  g_assert_false (berth_apply_process_limits (&spec, &p, &error));
  assert_error (error, "setrlimit RLIMIT_NOFILE: Operation not permitted");
  g_clear_error (&error);

  /* Unknown names and soft > hard are refused by the parser (test-spec). */

  BerthLinux l = { .personality_domain = "LINUX", .personality_flags = (char *[]) { "ADDR_NO_RANDOMIZE", NULL } };
  spec.linux_ = &l;
  BerthProcess empty = { 0 };
  g_assert_false (berth_apply_process_limits (&spec, &empty, &error));
  assert_error (error, ".linux.personality.flags: unsupported flags: ADDR_NO_RANDOMIZE");
  g_assert_cmpint (error->code, ==, ENOTSUP);
  g_clear_error (&error);
  l = (BerthLinux) { .personality_domain = "LINUX64" };
  g_assert_false (berth_apply_process_limits (&spec, &empty, &error));
  assert_error (error, ".linux.personality.domain: unknown domain \"LINUX64\" (expected LINUX or LINUX32)");
  g_clear_error (&error);
  spec.linux_ = NULL;

  BerthScheduler sched = { .policy = "SCHED_FOO" };
  BerthProcess s = { .scheduler = &sched };
  g_assert_false (berth_apply_process_limits (&spec, &s, &error));
  assert_error (error, ".process.scheduler.policy: unknown policy \"SCHED_FOO\"");
  g_clear_error (&error);
  sched = (BerthScheduler) { .policy = "SCHED_OTHER", .flags = (char *[]) { "SCHED_FLAG_NOPE", NULL } };
  g_assert_false (berth_apply_process_limits (&spec, &s, &error));
  assert_error (error, ".process.scheduler.flags[0]: unknown flag \"SCHED_FLAG_NOPE\"");
  g_clear_error (&error);
  sched = (BerthScheduler) { .policy = "SCHED_OTHER", .has_priority = true, .priority = 5 };
  g_assert_false (berth_apply_process_limits (&spec, &s, &error));
  assert_error (error, ".process.scheduler.priority: 5 is not valid for SCHED_OTHER");
  g_clear_error (&error);
  /* Not root: a real-time policy is refused by the kernel. */
  sched = (BerthScheduler) { .policy = "SCHED_FIFO", .has_priority = true, .priority = 10 };
  g_assert_false (berth_apply_process_limits (&spec, &s, &error));
  assert_error (error, ".process.scheduler: sched_setattr SCHED_FIFO: Operation not permitted");
  g_clear_error (&error);

  BerthIoPriority io = { .class_name = "IOPRIO_CLASS_XX", .priority = 1 };
  BerthProcess i = { .ioPriority = &io };
  g_assert_false (berth_apply_process_limits (&spec, &i, &error));
  assert_error (error, ".process.ioPriority.class: unknown class \"IOPRIO_CLASS_XX\"");
  g_clear_error (&error);
  io = (BerthIoPriority) { .class_name = "IOPRIO_CLASS_BE", .priority = 8 };
  g_assert_false (berth_apply_process_limits (&spec, &i, &error));
  assert_error (error, ".process.ioPriority.priority: 8 is out of range [0, 7]");
}

static void
test_limit_errors (void)
{
  FORKTEST_SKIP_UNLESS_ROOT ();
  forktest_expect_ok (child_limit_errors, NULL);
}

/* ---- sysctl, hostname -------------------------------------------------- */

static GHashTable *
sysctl_table (const char *first_key, ...)
{
  GHashTable *t = g_hash_table_new (g_str_hash, g_str_equal);
  va_list ap;
  va_start (ap, first_key);
  for (const char *k = first_key; k != NULL; k = va_arg (ap, const char *))
    g_hash_table_insert (t, (char *) k, va_arg (ap, char *));
  va_end (ap);
  return t;
}

static char *
read_trimmed (const char *path)
{
  g_autofree char *s = berth_read_file_at (AT_FDCWD, path, 4096, NULL);
  g_assert_nonnull (s);
  return g_strstrip (g_steal_pointer (&s));
}

static void
child_sysctl (gconstpointer data)
{
  g_assert_cmpint (unshare (CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS), ==, 0);
  BerthNamespace ns[] = {
    { .kind = BERTH_NS_IPC, .type = "ipc" },
    { .kind = BERTH_NS_NETWORK, .type = "network" },
    { .kind = BERTH_NS_UTS, .type = "uts" },
  };
  g_autoptr (GHashTable) sysctl = sysctl_table ("kernel.shmmax", "12345678", "net.ipv4.ip_forward", "1",
                                                "net/ipv4/tcp_syncookies", "0", "kernel.domainname", "berth.example",
                                                "fs.mqueue.msg_max", "42", NULL);
  BerthLinux l = { .namespaces = ns, .n_namespaces = 3, .sysctl = sysctl };
  BerthSpec spec = { .linux_ = &l, .hostname = "berth-test" };
  g_autoptr (GError) error = NULL;
  if (!berth_apply_namespace_settings (&spec, &error))
    g_error ("%s", error->message);
  g_autofree char *shmmax = read_trimmed ("/proc/sys/kernel/shmmax");
  g_assert_cmpstr (shmmax, ==, "12345678");
  g_autofree char *fwd = read_trimmed ("/proc/sys/net/ipv4/ip_forward");
  g_assert_cmpstr (fwd, ==, "1");
  g_autofree char *cookies = read_trimmed ("/proc/sys/net/ipv4/tcp_syncookies");
  g_assert_cmpstr (cookies, ==, "0");
  g_autofree char *mq = read_trimmed ("/proc/sys/fs/mqueue/msg_max");
  g_assert_cmpstr (mq, ==, "42");
  struct utsname u;
  g_assert_cmpint (uname (&u), ==, 0);
  g_assert_cmpstr (u.nodename, ==, "berth-test");
  g_assert_cmpstr (u.domainname, ==, "berth.example");
}

static void
test_sysctl (void)
{
  FORKTEST_SKIP_UNLESS_ROOT ();
  g_autofree char *shmmax = read_trimmed ("/proc/sys/kernel/shmmax");
  g_autofree char *fwd = read_trimmed ("/proc/sys/net/ipv4/ip_forward");
  struct utsname before, after;
  g_assert_cmpint (uname (&before), ==, 0);
  forktest_expect_ok (child_sysctl, NULL);
  g_autofree char *shmmax2 = read_trimmed ("/proc/sys/kernel/shmmax");
  g_autofree char *fwd2 = read_trimmed ("/proc/sys/net/ipv4/ip_forward");
  g_assert_cmpstr (shmmax, ==, shmmax2);
  g_assert_cmpstr (fwd, ==, fwd2);
  g_assert_cmpstr (shmmax2, !=, "12345678");
  g_assert_cmpint (uname (&after), ==, 0);
  g_assert_cmpstr (before.nodename, ==, after.nodename);
}

static void
expect_sysctl_invalid (BerthSpec *spec, const char *key, const char *message)
{
  g_autoptr (GHashTable) t = sysctl_table (key, "1", NULL);
  spec->linux_->sysctl = t;
  g_autoptr (GError) error = NULL;
  g_assert_false (berth_sysctl_validate (spec, &error));
  assert_error (error, message);
  g_assert_cmpint (error->code, ==, EINVAL);
  spec->linux_->sysctl = NULL;
}

static void
test_sysctl_validate (void)
{
  BerthNamespace ns[] = {
    { .kind = BERTH_NS_IPC, .type = "ipc" },
    { .kind = BERTH_NS_UTS, .type = "uts" },
    { .kind = BERTH_NS_NETWORK, .type = "network", .path = "/proc/self/ns/net" },
  };
  BerthLinux l = { .namespaces = ns, .n_namespaces = 2 };
  BerthSpec spec = { .linux_ = &l };
  expect_sysctl_invalid (&spec, "kernel.panic", ".linux.sysctl: sysctl \"kernel.panic\" is not in a separate kernel namespace");
  expect_sysctl_invalid (&spec, "net.ipv4.ip_forward", ".linux.sysctl: sysctl \"net.ipv4.ip_forward\" is not allowed in the host's network namespace");
  expect_sysctl_invalid (&spec, "kernel.hostname", ".linux.sysctl: sysctl \"kernel.hostname\" is not allowed as it conflicts with the OCI \"hostname\" field");
  expect_sysctl_invalid (&spec, "net/../../kernel/panic", ".linux.sysctl: invalid sysctl name \"net/../../kernel/panic\"");
  expect_sysctl_invalid (&spec, "net..x", ".linux.sysctl: invalid sysctl name \"net..x\"");
  /* A network namespace given by the path of our own is the host's. */
  l.n_namespaces = 3;
  expect_sysctl_invalid (&spec, "net.ipv4.ip_forward", ".linux.sysctl: sysctl \"net.ipv4.ip_forward\" is not allowed in the host's network namespace");
  /* Without ipc / uts namespaces. */
  l.n_namespaces = 0;
  expect_sysctl_invalid (&spec, "kernel.shmmax", ".linux.sysctl: sysctl \"kernel.shmmax\" is not allowed in the host's ipc namespace");
  expect_sysctl_invalid (&spec, "fs.mqueue.msg_max", ".linux.sysctl: sysctl \"fs.mqueue.msg_max\" is not allowed in the host's ipc namespace");
  expect_sysctl_invalid (&spec, "kernel.domainname", ".linux.sysctl: sysctl \"kernel.domainname\" is not in a separate kernel namespace");

  ns[2].path = NULL;
  BerthNamespace ok_ns[] = { ns[0], ns[1], ns[2] };
  l.namespaces = ok_ns, l.n_namespaces = 3;
  g_autoptr (GHashTable) t = sysctl_table ("kernel.shm_rmid_forced", "1", "kernel.sem", "1 2 3 4", "net.core.somaxconn", "100",
                                           "net/ipv4/conf/eth0.100/forwarding", "1", "kernel.domainname", "x", NULL);
  l.sysctl = t;
  g_autoptr (GError) error = NULL;
  g_assert_true (berth_sysctl_validate (&spec, &error));
  g_assert_true (berth_sysctl_validate (&(BerthSpec) { 0 }, &error));
}

static void
child_hostname_errors (gconstpointer data)
{
  g_assert_cmpint (unshare (CLONE_NEWUTS), ==, 0);
  BerthLinux l = { 0 };
  BerthSpec spec = { .linux_ = &l, .hostname = "nope" };
  g_autoptr (GError) error = NULL;
  g_assert_false (berth_apply_namespace_settings (&spec, &error));
  assert_error (error, ".hostname: cannot set the hostname without a private UTS namespace");
  g_clear_error (&error);
  spec = (BerthSpec) { .linux_ = &l, .domainname = "nope" };
  g_assert_false (berth_apply_namespace_settings (&spec, &error));
  assert_error (error, ".domainname: cannot set the domainname without a private UTS namespace");
  g_clear_error (&error);
  /* The name check repeats at apply time. */
  g_autoptr (GHashTable) t = sysctl_table ("kernel.panic", "1", NULL);
  l.sysctl = t;
  spec = (BerthSpec) { .linux_ = &l };
  g_assert_false (berth_apply_namespace_settings (&spec, &error));
  assert_error (error, ".linux.sysctl: sysctl \"kernel.panic\" is not in a separate kernel namespace");
  g_clear_error (&error);
  /* A sysctl that does not exist in this kernel. */
  BerthNamespace ns = { .kind = BERTH_NS_NETWORK, .type = "network" };
  g_autoptr (GHashTable) t2 = sysctl_table ("net.ipv4.no_such_thing", "1", NULL);
  l = (BerthLinux) { .namespaces = &ns, .n_namespaces = 1, .sysctl = t2 };
  g_assert_cmpint (unshare (CLONE_NEWNET), ==, 0);
  g_assert_false (berth_apply_namespace_settings (&spec, &error));
  assert_error (error, ".linux.sysctl: net.ipv4.no_such_thing: open /proc/sys/net/ipv4/no_such_thing: No such file or directory");
}

static void
test_hostname_errors (void)
{
  FORKTEST_SKIP_UNLESS_ROOT ();
  forktest_expect_ok (child_hostname_errors, NULL);
}

/* ---- procfs ------------------------------------------------------------ */

static void
test_procfs (void)
{
  g_autoptr (GError) error = NULL;
  berth_autofd int procfd = berth_procfs_open (&error);
  if (procfd < 0)
    g_error ("%s", error->message);
  /* A private instance: not the /proc mount (different mount id). */
  struct statx a, b;
  g_assert_cmpint (statx (procfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &a), ==, 0);
  g_assert_cmpint (statx (AT_FDCWD, "/proc", 0, STATX_MNT_ID, &b), ==, 0);
  g_assert_cmpuint (a.stx_mnt_id, !=, b.stx_mnt_id);
  berth_autofd int status = berth_procfs_open_file (procfd, "self/status", O_RDONLY, &error);
  g_assert_cmpint (status, >=, 0);
  char buf[64] = { 0 };
  g_assert_cmpint (read (status, buf, sizeof buf - 1), >, 0);
  g_assert_true (g_str_has_prefix (buf, "Name:"));
  berth_autofd int ts = berth_procfs_open_file (procfd, "thread-self/comm", O_RDONLY, &error);
  g_assert_cmpint (ts, >=, 0);
  berth_autofd int sys = berth_procfs_open_file (procfd, "sys/kernel/ostype", O_RDONLY, &error);
  g_assert_cmpint (sys, >=, 0);

  /* Symlinks, magic links and escapes are refused. */
  g_assert_cmpint (berth_procfs_open_file (procfd, "mounts", O_RDONLY, &error), ==, -1);
  assert_error (error, "open /proc/mounts: Too many levels of symbolic links");
  g_clear_error (&error);
  g_assert_cmpint (berth_procfs_open_file (procfd, "self/cwd/etc", O_RDONLY, &error), ==, -1);
  assert_error (error, "open /proc/self/cwd/etc: Too many levels of symbolic links");
  g_clear_error (&error);
  g_assert_cmpint (berth_procfs_open_file (procfd, "sys/../../etc/passwd", O_RDONLY, &error), ==, -1);
  assert_error (error, "open /proc/sys/../../etc/passwd: Invalid cross-device link");
  g_clear_error (&error);
  g_assert_cmpint (berth_procfs_open_file (procfd, "/etc/passwd", O_RDONLY, &error), ==, -1);
  assert_error (error, "open /proc//etc/passwd: Invalid cross-device link");
  g_clear_error (&error);
  g_assert_true (berth_procfs_write (procfd, "self/comm", "berth-procfs", &error));
  g_autofree char *comm = read_trimmed ("/proc/self/comm");
  g_assert_cmpstr (comm, ==, "berth-procfs");
}

/* fsopen refused (a seccomp filter here, EPERM in a foreign user namespace
 * in real life): falls back to the current /proc, still verified. */
static void
child_procfs_fallback (gconstpointer data)
{
  static char *names[] = { "fsopen", NULL };
  BerthSeccompSyscall calls[] = { { .action = "SCMP_ACT_ERRNO", .names = names } };
  BerthSeccomp s = { .defaultAction = "SCMP_ACT_ALLOW", .syscalls = calls, .n_syscalls = 1 };
  g_autoptr (GError) error = NULL;
  int fd;
  if (!berth_seccomp_load (&s, &fd, &error))
    g_error ("%s", error->message);
  g_assert_cmpint (syscall (SYS_fsopen, "proc", 0), ==, -1);
  berth_autofd int procfd = berth_procfs_open (&error);
  if (procfd < 0)
    g_error ("%s", error->message);
  struct statx a, b;
  g_assert_cmpint (statx (procfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &a), ==, 0);
  g_assert_cmpint (statx (AT_FDCWD, "/proc", 0, STATX_MNT_ID, &b), ==, 0);
  g_assert_cmpuint (a.stx_mnt_id, ==, b.stx_mnt_id);
  g_assert_true (berth_procfs_write (procfd, "self/oom_score_adj", "300", &error));
  g_autofree char *oom = read_trimmed ("/proc/self/oom_score_adj");
  g_assert_cmpstr (oom, ==, "300");
}

static void
test_procfs_fallback (void)
{
  FORKTEST_SKIP_UNLESS_ROOT ();
  forktest_expect_ok (child_procfs_fallback, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/identity/user-and-caps", test_identity);
  g_test_add_func ("/identity/no-new-privileges", test_identity_nnp);
  g_test_add_func ("/identity/no-inheritable-by-default", test_identity_default_caps);
  g_test_add_func ("/identity/after-seccomp", test_identity_after_seccomp);
  g_test_add_func ("/identity/errors", test_identity_errors);
  g_test_add_func ("/identity/capabilities-validate", test_capabilities_validate);
  g_test_add_func ("/limits/apply", test_limits);
  g_test_add_func ("/limits/sched-idle", test_sched_idle);
  g_test_add_func ("/limits/errors", test_limit_errors);
  g_test_add_func ("/namespace/sysctl-hostname", test_sysctl);
  g_test_add_func ("/namespace/sysctl-validate", test_sysctl_validate);
  g_test_add_func ("/namespace/errors", test_hostname_errors);
  g_test_add_func ("/procfs/open", test_procfs);
  g_test_add_func ("/procfs/fallback", test_procfs_fallback);
  return g_test_run ();
}
