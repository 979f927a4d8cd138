/* linux.seccomp: real filters loaded into forked children. */
#include "seccomp.h"
#include "error.h"
#include "json.h"
#include "forktest.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libseccomp.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>

static char *getcwd_names[] = { "getcwd", NULL };

static void
load_or_die (const BerthSeccomp *s, int *notify_fd)
{
  g_autoptr (GError) error = NULL;
  int fd = -1;
  if (!berth_seccomp_load (s, &fd, &error))
    g_error ("berth_seccomp_load: %s", error->message);
  if (notify_fd)
    *notify_fd = fd;
  else
    g_assert_cmpint (fd, ==, -1);
}

/* ERRNO with an explicit errnoRet, and the EPERM default. */
static void
child_errno (gconstpointer data)
{
  static char *uname_names[] = { "uname", NULL };
  BerthSeccompSyscall calls[] = {
    { .action = "SCMP_ACT_ERRNO", .names = getcwd_names, .has_errnoRet = true, .errnoRet = 38 },
    { .action = "SCMP_ACT_ERRNO", .names = uname_names },
  };
  BerthSeccomp s = { .defaultAction = "SCMP_ACT_ALLOW", .syscalls = calls, .n_syscalls = 2 };
  char buf[256];
  struct utsname u;
  g_assert_nonnull (getcwd (buf, sizeof buf));
  load_or_die (&s, NULL);
  errno = 0;
  g_assert_null (getcwd (buf, sizeof buf));
  g_assert_cmpint (errno, ==, 38);
  g_assert_cmpint (uname (&u), ==, -1);
  g_assert_cmpint (errno, ==, EPERM);
}

static void
test_errno (void)
{
  forktest_expect_ok (child_errno, NULL);
}

/* defaultAction ERRNO with defaultErrnoRet; allowed syscalls listed. */
static void
child_default_errno (gconstpointer data)
{
  static char *allowed[] = { "exit_group", "exit", "write", "getpid", NULL };
  BerthSeccompSyscall calls[] = { { .action = "SCMP_ACT_ALLOW", .names = allowed } };
  BerthSeccomp s = { .defaultAction = "SCMP_ACT_ERRNO", .has_defaultErrnoRet = true, .defaultErrnoRet = ENOSYS,
                     .syscalls = calls, .n_syscalls = 1 };
  pid_t pid = getpid ();
  load_or_die (&s, NULL);
  g_assert_cmpint (syscall (SYS_getpid), ==, pid);
  g_assert_cmpint (syscall (SYS_getppid), ==, -1);
  g_assert_cmpint (errno, ==, ENOSYS);
  /* only exit_group is allowed: no stdio flush; and no _exit (), before which
   * ASan's noreturn hook calls sigaltstack, denied here, and dies */
  syscall (SYS_exit_group, 0);
}

static void
test_default_errno (void)
{
  forktest_expect_ok (child_default_errno, NULL);
}

static void
child_kill (gconstpointer data)
{
  BerthSeccompSyscall calls[] = { { .action = (char *) data, .names = getcwd_names } };
  BerthSeccomp s = { .defaultAction = "SCMP_ACT_ALLOW", .syscalls = calls, .n_syscalls = 1 };
  char buf[256];
  load_or_die (&s, NULL);
  getcwd (buf, sizeof buf);
  _exit (0);
}

static void
test_kill (void)
{
  const char *acts[] = { "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP" };
  for (size_t i = 0; i < G_N_ELEMENTS (acts); i++)
    {
      int status = forktest_run (child_kill, acts[i]);
      if (!WIFSIGNALED (status) || WTERMSIG (status) != SIGSYS)
        g_error ("%s: expected death by SIGSYS, got status 0x%x", acts[i], status);
    }
}

/* TRACE without a tracer: the syscall fails with ENOSYS.  LOG allows. */
static void
child_trace_log (gconstpointer data)
{
  static char *uname_names[] = { "uname", NULL };
  BerthSeccompSyscall calls[] = {
    { .action = "SCMP_ACT_TRACE", .names = getcwd_names, .has_errnoRet = true, .errnoRet = 1234 },
    { .action = "SCMP_ACT_LOG", .names = uname_names },
  };
  BerthSeccomp s = { .defaultAction = "SCMP_ACT_ALLOW", .syscalls = calls, .n_syscalls = 2 };
  char buf[256];
  struct utsname u;
  load_or_die (&s, NULL);
  g_assert_null (getcwd (buf, sizeof buf));
  g_assert_cmpint (errno, ==, ENOSYS);
  g_assert_cmpint (uname (&u), ==, 0);
}

static void
test_trace_log (void)
{
  forktest_expect_ok (child_trace_log, NULL);
}

/* Argument filters: close(fd) on fds that are never open returns EBADF when
 * allowed and errno 99 when the rule matches. */
typedef struct
{
  const char *op;
  uint64_t value, valueTwo;
  long denied[2], allowed[2];
} OpCase;

static void
child_operator (gconstpointer data)
{
  const OpCase *c = data;
  static char *close_names[] = { "close", NULL };
  struct BerthSeccompArg arg = { .index = 0, .value = c->value, .valueTwo = c->valueTwo, .op = (char *) c->op };
  BerthSeccompSyscall calls[] = {
    { .action = "SCMP_ACT_ERRNO", .names = close_names, .has_errnoRet = true, .errnoRet = 99, .args = &arg, .n_args = 1 },
  };
  BerthSeccomp s = { .defaultAction = "SCMP_ACT_ALLOW", .syscalls = calls, .n_syscalls = 1 };
  load_or_die (&s, NULL);
  for (int i = 0; i < 2; i++)
    {
      g_assert_cmpint (syscall (SYS_close, c->denied[i]), ==, -1);
      if (errno != 99)
        g_error ("%s %" G_GUINT64_FORMAT ": close(%ld) should be denied, errno %d", c->op, c->value, c->denied[i], errno);
      g_assert_cmpint (syscall (SYS_close, c->allowed[i]), ==, -1);
      if (errno != EBADF)
        g_error ("%s %" G_GUINT64_FORMAT ": close(%ld) should be allowed, errno %d", c->op, c->value, c->allowed[i], errno);
    }
}

static void
test_operators (void)
{
  static const OpCase cases[] = {
    { "SCMP_CMP_NE", 1005, 0, { 1004, 1006 }, { 1005, 1005 } },
    { "SCMP_CMP_LT", 1005, 0, { 1004, 1000 }, { 1005, 1006 } },
    { "SCMP_CMP_LE", 1005, 0, { 1005, 1004 }, { 1006, 1100 } },
    { "SCMP_CMP_EQ", 1005, 0, { 1005, 1005 }, { 1004, 1006 } },
    { "SCMP_CMP_GE", 1005, 0, { 1005, 1100 }, { 1004, 1000 } },
    { "SCMP_CMP_GT", 1005, 0, { 1006, 1100 }, { 1005, 1004 } },
    /* (arg & 0xff00) == 0x0300 */
    { "SCMP_CMP_MASKED_EQ", 0xff00, 0x0300, { 0x3e8, 0x3ff }, { 0x400, 0x2ff } },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    forktest_expect_ok (child_operator, &cases[i]);
}

/* Two conditions on the same argument: one rule each (OR), as runc.
 * Conditions on different arguments: one rule (AND). */
static void
child_multi_args (gconstpointer data)
{
  static char *close_names[] = { "close", NULL };
  static char *dup2_names[] = { "dup2", NULL };
  struct BerthSeccompArg same[] = {
    { .index = 0, .value = 1001, .op = "SCMP_CMP_EQ" },
    { .index = 0, .value = 1002, .op = "SCMP_CMP_EQ" },
  };
  struct BerthSeccompArg both[] = {
    { .index = 0, .value = 1000, .op = "SCMP_CMP_EQ" },
    { .index = 1, .value = 2000, .op = "SCMP_CMP_EQ" },
  };
  BerthSeccompSyscall calls[] = {
    { .action = "SCMP_ACT_ERRNO", .names = close_names, .has_errnoRet = true, .errnoRet = 99, .args = same, .n_args = 2 },
    { .action = "SCMP_ACT_ERRNO", .names = dup2_names, .has_errnoRet = true, .errnoRet = 98, .args = both, .n_args = 2 },
  };
  BerthSeccomp s = { .defaultAction = "SCMP_ACT_ALLOW", .syscalls = calls, .n_syscalls = 2 };
  load_or_die (&s, NULL);
  g_assert_cmpint (syscall (SYS_close, 1001), ==, -1);
  g_assert_cmpint (errno, ==, 99);
  g_assert_cmpint (syscall (SYS_close, 1002), ==, -1);
  g_assert_cmpint (errno, ==, 99);
  g_assert_cmpint (syscall (SYS_close, 1003), ==, -1);
  g_assert_cmpint (errno, ==, EBADF);
  g_assert_cmpint (syscall (SYS_dup2, 1000, 2000), ==, -1);
  g_assert_cmpint (errno, ==, 98);
  g_assert_cmpint (syscall (SYS_dup2, 1000, 2001), ==, -1);
  g_assert_cmpint (errno, ==, EBADF);
  g_assert_cmpint (syscall (SYS_dup2, 1001, 2000), ==, -1);
  g_assert_cmpint (errno, ==, EBADF);
}

static void
test_multi_args (void)
{
  forktest_expect_ok (child_multi_args, NULL);
}

/* personality(0xffffffff) (a query) allowed only by value, as in the
 * default profiles; every other persona denied. */
static void
child_personality (gconstpointer data)
{
  static char *names[] = { "personality", NULL };
  struct BerthSeccompArg query = { .index = 0, .value = 0xffffffff, .op = "SCMP_CMP_EQ" };
  struct BerthSeccompArg other = { .index = 0, .value = 0xffffffff, .op = "SCMP_CMP_NE" };
  BerthSeccompSyscall calls[] = {
    { .action = "SCMP_ACT_ALLOW", .names = names, .args = &query, .n_args = 1 },
    { .action = "SCMP_ACT_ERRNO", .names = names, .has_errnoRet = true, .errnoRet = EACCES, .args = &other, .n_args = 1 },
  };
  BerthSeccomp s = { .defaultAction = "SCMP_ACT_ALLOW", .syscalls = calls, .n_syscalls = 2 };
  load_or_die (&s, NULL);
  g_assert_cmpint (personality (0xffffffff), ==, PER_LINUX);
  g_assert_cmpint (personality (PER_LINUX32), ==, -1);
  g_assert_cmpint (errno, ==, EACCES);
  g_assert_cmpint (personality (0xffffffff), ==, PER_LINUX);
}

static void
test_personality_args (void)
{
  forktest_expect_ok (child_personality, NULL);
}

/* Unknown syscall names are skipped; a rule with the default action too;
 * architectures and flags are accepted. */
static void
child_unknown_syscall (gconstpointer data)
{
  static char *names[] = { "not_a_syscall_xyz", "getcwd", NULL };
  static char *read_names[] = { "read", NULL };
  static char *archs[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL };
  static char *flags[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", NULL };
  BerthSeccompSyscall calls[] = {
    { .action = "SCMP_ACT_ERRNO", .names = names, .has_errnoRet = true, .errnoRet = 77 },
    { .action = "SCMP_ACT_ALLOW", .names = read_names },
  };
  BerthSeccomp s = { .defaultAction = "SCMP_ACT_ALLOW", .architectures = archs, .flags = flags,
                     .syscalls = calls, .n_syscalls = 2 };
  char buf[64];
  load_or_die (&s, NULL);
  g_assert_null (getcwd (buf, sizeof buf));
  g_assert_cmpint (errno, ==, 77);
}

static void
test_unknown_syscall (void)
{
  forktest_expect_ok (child_unknown_syscall, NULL);
}

/* Without noNewPrivileges and without CAP_SYS_ADMIN the load is refused
 * with a message that says why. */
static void
child_no_cap_sys_admin (gconstpointer data)
{
  BerthSeccompSyscall calls[] = { { .action = "SCMP_ACT_ERRNO", .names = getcwd_names } };
  BerthSeccomp s = { .defaultAction = "SCMP_ACT_ALLOW", .syscalls = calls, .n_syscalls = 1 };
  g_autoptr (GError) error = NULL;
  int fd = 5;
  g_assert_cmpint (setresuid (1000, 1000, 1000), ==, 0);
  g_assert_false (berth_seccomp_load (&s, &fd, &error));
  g_assert_cmpint (fd, ==, -1);
  g_assert_cmpstr (error->message, ==,
                   ".linux.seccomp: load the filter (without noNewPrivileges this needs CAP_SYS_ADMIN): Permission denied");
  g_assert_cmpint (error->code, ==, EACCES);
}

static void
test_no_cap_sys_admin (void)
{
  FORKTEST_SKIP_UNLESS_ROOT ();
  forktest_expect_ok (child_no_cap_sys_admin, NULL);
}

static void
expect_invalid (const BerthSeccomp *s, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_assert_false (berth_seccomp_validate (s, &error));
  g_assert_nonnull (error);
  g_assert_cmpstr (error->message, ==, message);
}

static void
test_validate (void)
{
  static char *names[] = { "getcwd", NULL };
  static char *write_names[] = { "read", "write", NULL };
  static char *empty[] = { NULL };
  static char *bad_arch[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_Z80", NULL };
  static char *bad_flag[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_NOPE", NULL };
  static char *waitkill[] = { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL };
  struct BerthSeccompArg bad_op = { .index = 0, .value = 1, .op = "SCMP_CMP_FOO" };
  struct BerthSeccompArg bad_index = { .index = 6, .value = 1, .op = "SCMP_CMP_EQ" };
  BerthSeccompSyscall calls[] = {
    { .action = "SCMP_ACT_ALLOW", .names = names },
    { .action = "SCMP_ACT_ERRNO", .names = names, .has_errnoRet = true, .errnoRet = 1 },
    { .action = "SCMP_ACT_LOG", .names = names },
    { .action = "SCMP_ACT_FOO", .names = names },
  };
  BerthSeccomp s = { .defaultAction = "SCMP_ACT_ERRNO", .syscalls = calls, .n_syscalls = 4 };
  expect_invalid (&s, ".linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"");
  s.n_syscalls = 3;
  g_autoptr (GError) error = NULL;
  g_assert_true (berth_seccomp_validate (&s, &error));
  g_assert_true (berth_seccomp_validate (NULL, &error));

  s.defaultAction = "SCMP_ACT_BAR";
  expect_invalid (&s, ".linux.seccomp.defaultAction: unknown action \"SCMP_ACT_BAR\"");
  s.defaultAction = "SCMP_ACT_NOTIFY";
  expect_invalid (&s, ".linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  s.defaultAction = "SCMP_ACT_ALLOW";
  s.has_defaultErrnoRet = true;
  expect_invalid (&s, ".linux.seccomp.defaultAction: errnoRet is only valid with SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not SCMP_ACT_ALLOW");
  s.has_defaultErrnoRet = false;

  s.architectures = bad_arch;
  expect_invalid (&s, ".linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_Z80\"");
  s.architectures = NULL;
  s.flags = bad_flag;
  expect_invalid (&s, ".linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_NOPE\"");
  /* Loaded with seccomp(2) directly: valid even with libseccomp 2.5. */
  s.flags = waitkill;
  g_assert_true (berth_seccomp_validate (&s, &error));
  s.flags = NULL;

  calls[2].args = &bad_op, calls[2].n_args = 1;
  expect_invalid (&s, ".linux.seccomp.syscalls[2].args[0].op: unknown operator \"SCMP_CMP_FOO\"");
  calls[2].args = &bad_index;
  expect_invalid (&s, ".linux.seccomp.syscalls[2].args[0].index: 6 is out of range [0, 5]");
  calls[2].args = NULL, calls[2].n_args = 0;

  calls[0].has_errnoRet = true;
  expect_invalid (&s, ".linux.seccomp.syscalls[0].action: errnoRet is only valid with SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not SCMP_ACT_ALLOW");
  calls[0].has_errnoRet = false;
  calls[1].errnoRet = 70000;
  expect_invalid (&s, ".linux.seccomp.syscalls[1].action: errnoRet 70000 is out of range [0, 65535]");
  calls[1].errnoRet = 1;
  calls[1].names = empty;
  expect_invalid (&s, ".linux.seccomp.syscalls[1].names: must be a non-empty array of strings");
  calls[1].names = names;
  calls[2].action = "SCMP_ACT_NOTIFY", calls[2].names = write_names;
  expect_invalid (&s, ".linux.seccomp.syscalls[2]: SCMP_ACT_NOTIFY cannot be used for the write syscall");

  /* Nothing to load; a program that is not BPF is refused. */
  int none = 3;
  g_assert_true (berth_seccomp_load (NULL, &none, &error));
  g_assert_cmpint (none, ==, -1);
  g_autoptr (GBytes) junk = g_bytes_new_static ("0123456789", 10);
  g_assert_false (berth_seccomp_load_compiled (&s, junk, &none, &error));
  g_assert_cmpstr (error->message, ==, ".linux.seccomp: invalid BPF program (10 bytes)");
  g_clear_error (&error);

  /* load validates too and reports the same error. */
  calls[2].action = "SCMP_ACT_NOPE";
  int fd = 7;
  g_clear_error (&error);
  g_assert_false (berth_seccomp_load (&s, &fd, &error));
  g_assert_cmpint (fd, ==, -1);
  g_assert_cmpstr (error->message, ==, ".linux.seccomp.syscalls[2].action: unknown action \"SCMP_ACT_NOPE\"");
}

/* NOTIFY: the child gets a listener fd, passes it to the parent over a
 * socketpair and calls uname() twice; the parent lets the first through
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE) and fails the second with ENOTSUP. */
static int notify_sock = -1;

static void
send_fd (int sock, int fd)
{
  char byte = 'F';
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  union { struct cmsghdr h; char buf[CMSG_SPACE (sizeof (int))]; } u;
  memset (&u, 0, sizeof u);
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof fd);
  g_assert_cmpint (sendmsg (sock, &msg, 0), ==, 1);
}

static int
recv_fd (int sock)
{
  char byte;
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  union { struct cmsghdr h; char buf[CMSG_SPACE (sizeof (int))]; } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  g_assert_cmpint (recvmsg (sock, &msg, MSG_CMSG_CLOEXEC), ==, 1);
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  g_assert_nonnull (c);
  int fd;
  memcpy (&fd, CMSG_DATA (c), sizeof fd);
  return fd;
}

/* NOTIFY + TSYNC (needs TSYNC_ESRCH) + WAIT_KILLABLE_RECV. */
static void
child_notify (gconstpointer data)
{
  static char *names[] = { "uname", NULL };
  static char *flags[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL };
  BerthSeccompSyscall calls[] = { { .action = "SCMP_ACT_NOTIFY", .names = names } };
  BerthSeccomp s = { .defaultAction = "SCMP_ACT_ALLOW", .flags = flags, .syscalls = calls, .n_syscalls = 1 };
  int fd = -1;
  load_or_die (&s, &fd);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (fcntl (fd, F_GETFD), ==, FD_CLOEXEC);
  send_fd (notify_sock, fd);
  struct utsname u;
  g_assert_cmpint (uname (&u), ==, 0);
  g_assert_cmpint (uname (&u), ==, -1);
  g_assert_cmpint (errno, ==, ENOTSUP);
}

static void
test_notify (void)
{
  int sv[2];
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
  notify_sock = sv[1];
  fflush (NULL);
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      close (sv[0]);
      child_notify (NULL);
      _exit (0);
    }
  close (sv[1]);
  int fd = recv_fd (sv[0]);
  close (sv[0]);
  for (int i = 0; i < 2; i++)
    {
      struct seccomp_notif *req = NULL;
      struct seccomp_notif_resp *resp = NULL;
      g_assert_cmpint (seccomp_notify_alloc (&req, &resp), ==, 0);
      g_assert_cmpint (seccomp_notify_receive (fd, req), ==, 0);
      g_assert_cmpint (req->pid, ==, pid);
      g_assert_cmpint (req->data.nr, ==, SYS_uname);
      resp->id = req->id;
      resp->val = 0;
      if (i == 0)
        resp->error = 0, resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
      else
        resp->error = -ENOTSUP, resp->flags = 0;
      g_assert_cmpint (seccomp_notify_respond (fd, resp), ==, 0);
      seccomp_notify_free (req, resp);
    }
  close (fd);
  int status;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
}

/* Podman's default profile (docker format) converted to the OCI form the
 * way Podman does for amd64 with its default capabilities. */
static bool
strv_json_contains (JsonObject *o, const char *member, const char *const *values)
{
  if (o == NULL || !json_object_has_member (o, member))
    return false;
  JsonArray *a = json_object_get_array_member (o, member);
  for (guint i = 0; i < json_array_get_length (a); i++)
    if (g_strv_contains (values, json_array_get_string_element (a, i)))
      return true;
  return false;
}

static bool
strv_json_subset (JsonObject *o, const char *member, const char *const *values)
{
  if (o == NULL || !json_object_has_member (o, member))
    return true;
  JsonArray *a = json_object_get_array_member (o, member);
  for (guint i = 0; i < json_array_get_length (a); i++)
    if (!g_strv_contains (values, json_array_get_string_element (a, i)))
      return false;
  return true;
}

typedef struct
{
  BerthSeccomp s;
  GPtrArray *keep; /* owns everything */
} Profile;

static char *
keep_str (Profile *p, const char *s)
{
  char *d = g_strdup (s);
  g_ptr_array_add (p->keep, d);
  return d;
}

static bool
load_podman_profile (const char *path, Profile *p)
{
  static const char *const caps[] = { "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
                                      "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
                                      "CAP_SETUID", "CAP_SYS_CHROOT", NULL };
  static const char *const arches[] = { "amd64", NULL };
  static char *archs[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL };
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_file (parser, path, NULL))
    return false;
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  p->keep = g_ptr_array_new_with_free_func (g_free);
  p->s.defaultAction = keep_str (p, json_object_get_string_member (root, "defaultAction"));
  if (json_object_has_member (root, "defaultErrnoRet"))
    p->s.has_defaultErrnoRet = true, p->s.defaultErrnoRet = (uint32_t) json_object_get_int_member (root, "defaultErrnoRet");
  p->s.architectures = archs;
  JsonArray *calls = json_object_get_array_member (root, "syscalls");
  p->s.syscalls = g_new0 (BerthSeccompSyscall, json_array_get_length (calls));
  g_ptr_array_add (p->keep, p->s.syscalls);
  for (guint i = 0; i < json_array_get_length (calls); i++)
    {
      JsonObject *c = json_array_get_object_element (calls, i);
      JsonObject *inc = json_object_has_member (c, "includes") ? json_object_get_object_member (c, "includes") : NULL;
      JsonObject *exc = json_object_has_member (c, "excludes") ? json_object_get_object_member (c, "excludes") : NULL;
      if (!strv_json_subset (inc, "caps", caps) || strv_json_contains (exc, "caps", caps)
          || strv_json_contains (exc, "arches", arches)
          || (inc != NULL && json_object_has_member (inc, "arches") && !strv_json_contains (inc, "arches", arches)))
        continue;
      BerthSeccompSyscall *sc = &p->s.syscalls[p->s.n_syscalls++];
      sc->action = keep_str (p, json_object_get_string_member (c, "action"));
      if (json_object_has_member (c, "errnoRet"))
        sc->has_errnoRet = true, sc->errnoRet = (uint32_t) json_object_get_int_member (c, "errnoRet");
      JsonArray *names = json_object_get_array_member (c, "names");
      sc->names = g_new0 (char *, json_array_get_length (names) + 1);
      g_ptr_array_add (p->keep, sc->names);
      for (guint n = 0; n < json_array_get_length (names); n++)
        sc->names[n] = keep_str (p, json_array_get_string_element (names, n));
      JsonArray *args = json_object_has_member (c, "args") && !json_object_get_null_member (c, "args")
                          ? json_object_get_array_member (c, "args") : NULL;
      if (args != NULL && json_array_get_length (args) > 0)
        {
          sc->n_args = json_array_get_length (args);
          sc->args = g_new0 (struct BerthSeccompArg, sc->n_args);
          g_ptr_array_add (p->keep, sc->args);
          for (guint a = 0; a < sc->n_args; a++)
            {
              JsonObject *ao = json_array_get_object_element (args, a);
              sc->args[a].index = (uint32_t) json_object_get_int_member (ao, "index");
              sc->args[a].value = (uint64_t) json_object_get_int_member (ao, "value");
              sc->args[a].valueTwo = (uint64_t) json_object_get_int_member (ao, "valueTwo");
              sc->args[a].op = keep_str (p, json_object_get_string_member (ao, "op"));
            }
        }
    }
  return true;
}

typedef struct
{
  const Profile *profile;
  GBytes *program;
} PodmanLoad;

static void
child_podman_profile (gconstpointer data)
{
  const PodmanLoad *l = data;
  int fd = -1;
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  if (l->program != NULL ? !berth_seccomp_load_compiled (&l->profile->s, l->program, &fd, &error)
                         : !berth_seccomp_load (&l->profile->s, &fd, &error))
    g_error ("%s", error->message);
  gint64 t1 = g_get_monotonic_time ();
  g_printerr ("# podman default profile: %s %ld us\n",
              l->program != NULL ? "load of the compiled program" : "build+load", (long) (t1 - t0));
  g_assert_cmpint (fd, ==, -1);
  /* The profile really is in force: bpf is only allowed with CAP_SYS_ADMIN,
   * otherwise it fails with EPERM (EINVAL if it ran). */
  g_assert_cmpint (syscall (SYS_bpf, 9999, 0, 0), ==, -1);
  g_assert_cmpint (errno, ==, EPERM);
  char buf[64];
  g_assert_nonnull (getcwd (buf, sizeof buf));
}

static void
test_podman_profile (void)
{
  const char *path = "/usr/share/containers/seccomp.json";
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no /usr/share/containers/seccomp.json (apt-get install golang-github-containers-common)");
      return;
    }
  Profile p = { 0 };
  g_assert_true (load_podman_profile (path, &p));
  g_assert_cmpuint (p.s.n_syscalls, >, 10);
  PodmanLoad l = { .profile = &p };
  for (int i = 0; i < 3; i++)
    forktest_expect_ok (child_podman_profile, &l);

  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  l.program = berth_seccomp_compile (&p.s, &error);
  gint64 t1 = g_get_monotonic_time ();
  g_assert_nonnull (l.program);
  g_printerr ("# podman default profile: compile %ld us, %zu instructions\n", (long) (t1 - t0),
              g_bytes_get_size (l.program) / 8);
  for (int i = 0; i < 3; i++)
    forktest_expect_ok (child_podman_profile, &l);

  /* Cache: a miss compiles and stores, a hit is the same program. */
  g_autofree char *dir = g_dir_make_tmp ("berth-seccomp-cache-XXXXXX", &error);
  g_assert_nonnull (dir);
  berth_autofd int dirfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  g_autoptr (GBytes) miss = berth_seccomp_compile_cached (&p.s, dirfd, &error);
  g_assert_nonnull (miss);
  g_assert_true (g_bytes_equal (miss, l.program));
  t0 = g_get_monotonic_time ();
  g_autoptr (GBytes) hit = berth_seccomp_compile_cached (&p.s, dirfd, &error);
  t1 = g_get_monotonic_time ();
  g_assert_nonnull (hit);
  g_assert_true (g_bytes_equal (hit, l.program));
  g_printerr ("# podman default profile: cache hit %ld us\n", (long) (t1 - t0));
  g_bytes_unref (l.program);
  g_ptr_array_unref (p.keep);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  g_assert_cmpint (system (cmd), ==, 0);
}

/* The cache refuses damaged entries and keys on every field. */
static void
test_compile_cache (void)
{
  static char *names[] = { "getcwd", NULL };
  BerthSeccompSyscall calls[] = { { .action = "SCMP_ACT_ERRNO", .names = names, .has_errnoRet = true, .errnoRet = 5 } };
  BerthSeccomp s = { .defaultAction = "SCMP_ACT_ALLOW", .syscalls = calls, .n_syscalls = 1 };
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("berth-seccomp-cache-XXXXXX", &error);
  berth_autofd int dirfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  g_autoptr (GBytes) a = berth_seccomp_compile_cached (&s, dirfd, &error);
  g_assert_nonnull (a);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *entry = g_dir_read_name (d);
  g_assert_nonnull (entry);
  g_assert_true (g_str_has_suffix (entry, ".bpf"));
  g_assert_null (g_dir_read_name (d));
  g_autofree char *file = g_build_filename (dir, entry, NULL);

  /* Corrupt one instruction: the entry is ignored and rewritten. */
  g_autofree char *content = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (file, &content, &len, NULL));
  g_assert_cmpuint (len, ==, g_bytes_get_size (a) + 32);
  content[8] ^= 0x40;
  g_assert_true (g_file_set_contents_full (file, content, (gssize) len, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
  g_autoptr (GBytes) b = berth_seccomp_compile_cached (&s, dirfd, &error);
  g_assert_true (g_bytes_equal (a, b));
  g_autofree char *fixed = NULL;
  g_assert_true (g_file_get_contents (file, &fixed, &len, NULL));
  g_assert_cmpint (memcmp (fixed, g_bytes_get_data (a, NULL), g_bytes_get_size (a)), ==, 0);

  /* A different errnoRet is a different program under another name. */
  calls[0].errnoRet = 6;
  g_autoptr (GBytes) c = berth_seccomp_compile_cached (&s, dirfd, &error);
  g_assert_false (g_bytes_equal (a, c));
  g_autoptr (GBytes) direct = berth_seccomp_compile (&s, &error);
  g_assert_true (g_bytes_equal (c, direct));

  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  g_assert_cmpint (system (cmd), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/seccomp/errno", test_errno);
  g_test_add_func ("/seccomp/default-errno", test_default_errno);
  g_test_add_func ("/seccomp/kill", test_kill);
  g_test_add_func ("/seccomp/trace-log", test_trace_log);
  g_test_add_func ("/seccomp/operators", test_operators);
  g_test_add_func ("/seccomp/multi-args", test_multi_args);
  g_test_add_func ("/seccomp/personality-args", test_personality_args);
  g_test_add_func ("/seccomp/unknown-syscall", test_unknown_syscall);
  g_test_add_func ("/seccomp/no-cap-sys-admin", test_no_cap_sys_admin);
  g_test_add_func ("/seccomp/validate", test_validate);
  g_test_add_func ("/seccomp/notify", test_notify);
  g_test_add_func ("/seccomp/compile-cache", test_compile_cache);
  g_test_add_func ("/seccomp/podman-profile", test_podman_profile);
  return g_test_run ();
}
