/* linux.seccomp through libseccomp: validation at create time, build and load
 * in the container init.  Follows runc's conversion (libcontainer/seccomp). */
#include "seccomp.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <libseccomp.h> /* the system seccomp.h, see libseccomp.h */
#include <string.h>

#define SYSCALL_MAX_ARGS 6

static const struct { const char *name; uint32_t action; bool takes_ret; } actions[] = {
  { "SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false },
  { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false },
  { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
  { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false },
  { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO (0), true },
  { "SCMP_ACT_TRACE", SCMP_ACT_TRACE (0), true },
  { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false },
  { "SCMP_ACT_LOG", SCMP_ACT_LOG, false },
  { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false },
};

static const struct { const char *name; enum scmp_compare op; } operators[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* OCI flag -> kernel SECCOMP_FILTER_FLAG_*.  The filter is loaded with the
 * seccomp(2) syscall directly (see berth_seccomp_load_compiled), so every
 * flag the kernel knows works whatever the libseccomp version (2.5.4 has no
 * attribute for WAIT_KILLABLE_RECV). */
static const struct { const char *name; unsigned long flag; } filter_flags[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

/* "SCMP_ARCH_X86_64" -> the libseccomp token, 0 if unknown. */
static uint32_t
arch_from_name (const char *name)
{
  static const char *const known[] = {
    "X86", "X86_64", "X32", "ARM", "AARCH64", "MIPS", "MIPS64", "MIPS64N32", "MIPSEL",
    "MIPSEL64", "MIPSEL64N32", "PPC", "PPC64", "PPC64LE", "S390", "S390X", "PARISC",
    "PARISC64", "RISCV64",
  };
  if (name == NULL || !g_str_has_prefix (name, "SCMP_ARCH_"))
    return 0;
  const char *suffix = name + strlen ("SCMP_ARCH_");
  for (size_t i = 0; i < G_N_ELEMENTS (known); i++)
    if (strcmp (suffix, known[i]) == 0)
      {
        g_autofree char *lower = g_ascii_strdown (suffix, -1);
        return seccomp_arch_resolve_name (lower);
      }
  return 0;
}

/* Resolve an action name (+ optional errno) into a libseccomp action. */
static bool
action_from_name (const char *name, bool has_ret, uint32_t ret, const char *path, uint32_t *out, GError **error)
{
  if (name == NULL)
    return berth_fail (error, "%s: missing action", path);
  for (size_t i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      if (strcmp (name, actions[i].name) != 0)
        continue;
      if (!actions[i].takes_ret)
        {
          if (has_ret)
            return berth_fail (error, "%s: errnoRet is only valid with SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not %s", path, name);
          *out = actions[i].action;
          return true;
        }
      if (has_ret && ret > 0xffff)
        return berth_fail (error, "%s: errnoRet %u is out of range [0, 65535]", path, ret);
      uint32_t data = has_ret ? ret : EPERM;
      *out = actions[i].action == SCMP_ACT_TRACE (0) ? SCMP_ACT_TRACE (data) : SCMP_ACT_ERRNO (data);
      return true;
    }
  return berth_fail (error, "%s: unknown action \"%s\"", path, name);
}

static bool
operator_from_name (const char *name, const char *path, enum scmp_compare *out, GError **error)
{
  for (size_t i = 0; name != NULL && i < G_N_ELEMENTS (operators); i++)
    if (strcmp (name, operators[i].name) == 0)
      {
        *out = operators[i].op;
        return true;
      }
  return berth_fail (error, "%s: unknown operator \"%s\"", path, name ? name : "(null)");
}

bool
berth_seccomp_validate (const BerthSeccomp *s, GError **error)
{
  if (s == NULL)
    return true;
  uint32_t act;
  if (!action_from_name (s->defaultAction, s->has_defaultErrnoRet, s->defaultErrnoRet,
                         ".linux.seccomp.defaultAction", &act, error))
    return false;
  if (act == SCMP_ACT_NOTIFY)
    return berth_fail (error, ".linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  for (size_t i = 0; s->architectures != NULL && s->architectures[i] != NULL; i++)
    if (arch_from_name (s->architectures[i]) == 0)
      return berth_fail (error, ".linux.seccomp.architectures[%zu]: unknown architecture \"%s\"", i, s->architectures[i]);
  for (size_t i = 0; s->flags != NULL && s->flags[i] != NULL; i++)
    {
      bool known = false;
      for (size_t j = 0; j < G_N_ELEMENTS (filter_flags); j++)
        known = known || strcmp (s->flags[i], filter_flags[j].name) == 0;
      if (!known)
        return berth_fail (error, ".linux.seccomp.flags[%zu]: unknown flag \"%s\"", i, s->flags[i]);
    }
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      const BerthSeccompSyscall *sc = &s->syscalls[i];
      g_autofree char *path = g_strdup_printf (".linux.seccomp.syscalls[%zu]", i);
      g_autofree char *apath = g_strconcat (path, ".action", NULL);
      if (!action_from_name (sc->action, sc->has_errnoRet, sc->errnoRet, apath, &act, error))
        return false;
      if (sc->names == NULL || sc->names[0] == NULL)
        return berth_fail (error, "%s.names: must be a non-empty array of strings", path);
      for (size_t n = 0; sc->names[n] != NULL; n++)
        {
          if (sc->names[n][0] == '\0')
            return berth_fail (error, "%s.names[%zu]: empty syscall name", path, n);
          if (act == SCMP_ACT_NOTIFY && strcmp (sc->names[n], "write") == 0)
            return berth_fail (error, "%s: SCMP_ACT_NOTIFY cannot be used for the write syscall", path);
        }
      for (size_t a = 0; a < sc->n_args; a++)
        {
          g_autofree char *oppath = g_strdup_printf ("%s.args[%zu].op", path, a);
          enum scmp_compare op;
          if (sc->args[a].index >= SYSCALL_MAX_ARGS)
            return berth_fail (error, "%s.args[%zu].index: %u is out of range [0, 5]", path, a, sc->args[a].index);
          if (!operator_from_name (sc->args[a].op, oppath, &op, error))
            return false;
        }
    }
  return true;
}

static bool
add_rule (scmp_filter_ctx ctx, uint32_t act, int nr, const char *name, unsigned n, const struct scmp_arg_cmp *conds, GError **error)
{
  int r = seccomp_rule_add_array (ctx, act, nr, n, conds);
  if (r < 0)
    return berth_fail_errno (error, -r, ".linux.seccomp: add rule for syscall %s", name);
  return true;
}

static bool
add_syscall_rules (scmp_filter_ctx ctx, const BerthSeccompSyscall *sc, size_t idx, uint32_t default_act, GError **error)
{
  uint32_t act;
  g_autofree char *apath = g_strdup_printf (".linux.seccomp.syscalls[%zu].action", idx);
  if (!action_from_name (sc->action, sc->has_errnoRet, sc->errnoRet, apath, &act, error))
    return false;
  if (act == default_act)
    {
      /* libseccomp refuses a rule equal to the default; it would be a no-op. */
      berth_debug ("seccomp: syscalls[%zu] has the default action, skipped", idx);
      return true;
    }

  struct scmp_arg_cmp conds[SYSCALL_MAX_ARGS * 4];
  unsigned n_conds = 0;
  unsigned per_index[SYSCALL_MAX_ARGS] = { 0 };
  bool multiple = false;
  if (sc->n_args > G_N_ELEMENTS (conds))
    return berth_fail (error, ".linux.seccomp.syscalls[%zu].args: too many conditions", idx);
  for (size_t a = 0; a < sc->n_args; a++)
    {
      const struct BerthSeccompArg *arg = &sc->args[a];
      g_autofree char *oppath = g_strdup_printf (".linux.seccomp.syscalls[%zu].args[%zu].op", idx, a);
      enum scmp_compare op;
      if (arg->index >= SYSCALL_MAX_ARGS)
        return berth_fail (error, ".linux.seccomp.syscalls[%zu].args[%zu].index: %u is out of range [0, 5]", idx, a, arg->index);
      if (!operator_from_name (arg->op, oppath, &op, error))
        return false;
      conds[n_conds++] = (struct scmp_arg_cmp) {
        .arg = arg->index, .op = op, .datum_a = arg->value, .datum_b = op == SCMP_CMP_MASKED_EQ ? arg->valueTwo : 0,
      };
      if (++per_index[arg->index] > 1)
        multiple = true;
    }

  for (size_t n = 0; sc->names[n] != NULL; n++)
    {
      const char *name = sc->names[n];
      int nr = seccomp_syscall_resolve_name (name);
      if (nr == __NR_SCMP_ERROR)
        {
          /* As runc: a syscall libseccomp does not know is ignored. */
          berth_debug ("seccomp: unknown syscall \"%s\" skipped", name);
          continue;
        }
      if (multiple)
        {
          /* Two conditions on the same argument cannot be ANDed in one
           * rule by libseccomp: like runc, one rule per condition (OR). */
          for (unsigned c = 0; c < n_conds; c++)
            if (!add_rule (ctx, act, nr, name, 1, &conds[c], error))
              return false;
        }
      else if (!add_rule (ctx, act, nr, name, n_conds, conds, error))
        return false;
    }
  return true;
}

static scmp_filter_ctx
build_filter (const BerthSeccomp *s, GError **error)
{
  if (!berth_seccomp_validate (s, error))
    return NULL;
  uint32_t default_act;
  if (!action_from_name (s->defaultAction, s->has_defaultErrnoRet, s->defaultErrnoRet,
                         ".linux.seccomp.defaultAction", &default_act, error))
    return NULL;
  scmp_filter_ctx ctx = seccomp_init (default_act);
  if (ctx == NULL)
    return berth_fail (error, ".linux.seccomp: seccomp_init failed"), NULL;

  int r;
  /* process.noNewPrivileges is applied by berth_apply_identity, not here. */
  if ((r = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0)
    goto fail_attr;
  /* Real kernel errnos from seccomp_load (best effort). */
  (void) seccomp_attr_set (ctx, SCMP_FLTATR_API_SYSRAWRC, 1);

  for (size_t i = 0; s->architectures != NULL && s->architectures[i] != NULL; i++)
    {
      r = seccomp_arch_add (ctx, arch_from_name (s->architectures[i]));
      if (r < 0 && r != -EEXIST)
        {
          berth_fail_errno (error, -r, ".linux.seccomp.architectures[%zu]: add %s", i, s->architectures[i]);
          seccomp_release (ctx);
          return NULL;
        }
    }
  for (size_t i = 0; i < s->n_syscalls; i++)
    if (!add_syscall_rules (ctx, &s->syscalls[i], i, default_act, error))
      {
        seccomp_release (ctx);
        return NULL;
      }
  return ctx;

fail_attr:
  berth_fail_errno (error, -r, ".linux.seccomp: seccomp_attr_set");
  seccomp_release (ctx);
  return NULL;
}

GBytes *
berth_seccomp_compile (const BerthSeccomp *seccomp, GError **error)
{
  scmp_filter_ctx ctx = build_filter (seccomp, error);
  if (ctx == NULL)
    return NULL;
  /* libseccomp 2.5 exports only to an fd. */
  berth_autofd int fd = memfd_create ("berth-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    {
      seccomp_release (ctx);
      return berth_fail_errno (error, errno, ".linux.seccomp: memfd_create"), NULL;
    }
  int r = seccomp_export_bpf (ctx, fd);
  seccomp_release (ctx);
  if (r < 0)
    return berth_fail_errno (error, -r, ".linux.seccomp: generate the BPF program"), NULL;
  off_t size = lseek (fd, 0, SEEK_END);
  if (size <= 0 || size % (off_t) sizeof (struct sock_filter) != 0)
    return berth_fail_code (error, EINVAL, ".linux.seccomp: unexpected BPF program size %lld", (long long) size), NULL;
  if (size / (off_t) sizeof (struct sock_filter) > BPF_MAXINSNS)
    return berth_fail_code (error, E2BIG, ".linux.seccomp: the filter has %lld instructions, the kernel accepts at most %d",
                            (long long) (size / (off_t) sizeof (struct sock_filter)), BPF_MAXINSNS), NULL;
  g_autofree char *buf = g_malloc ((size_t) size);
  if (pread (fd, buf, (size_t) size, 0) != size)
    return berth_fail_errno (error, errno, ".linux.seccomp: read the BPF program"), NULL;
  return g_bytes_new_take (g_steal_pointer (&buf), (size_t) size);
}

static bool
uses_notify (const BerthSeccomp *s)
{
  for (size_t i = 0; i < s->n_syscalls; i++)
    if (s->syscalls[i].action != NULL && strcmp (s->syscalls[i].action, "SCMP_ACT_NOTIFY") == 0)
      return true;
  return false;
}

bool
berth_seccomp_load_compiled (const BerthSeccomp *seccomp, GBytes *program, int *ret_notify_fd, GError **error)
{
  *ret_notify_fd = -1;
  unsigned long flags = 0;
  bool listener = uses_notify (seccomp);
  for (size_t i = 0; seccomp->flags != NULL && seccomp->flags[i] != NULL; i++)
    for (size_t j = 0; j < G_N_ELEMENTS (filter_flags); j++)
      if (strcmp (seccomp->flags[i], filter_flags[j].name) == 0)
        flags |= filter_flags[j].flag;
  if (listener)
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  else if (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    {
      /* Only meaningful (and only accepted by the kernel) with a listener. */
      berth_debug ("seccomp: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ignored without SCMP_ACT_NOTIFY");
      flags &= ~(unsigned long) SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    }
  /* TSYNC and NEW_LISTENER both return an fd-or-pid: the kernel wants
   * TSYNC_ESRCH then (as libseccomp does). */
  if ((flags & SECCOMP_FILTER_FLAG_TSYNC) && listener)
    flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;

  gsize size = 0;
  const struct sock_filter *insns = g_bytes_get_data (program, &size);
  if (size == 0 || size % sizeof *insns != 0 || size / sizeof *insns > BPF_MAXINSNS)
    return berth_fail_code (error, EINVAL, ".linux.seccomp: invalid BPF program (%zu bytes)", (size_t) size);
  struct sock_fprog prog = { .len = (unsigned short) (size / sizeof *insns), .filter = (struct sock_filter *) insns };
  long r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (r < 0)
    {
      if (errno == EACCES)
        return berth_fail_errno (error, errno, ".linux.seccomp: load the filter (without noNewPrivileges this needs CAP_SYS_ADMIN)");
      return berth_fail_errno (error, errno, ".linux.seccomp: load the filter (flags 0x%lx)", flags);
    }
  if (flags & SECCOMP_FILTER_FLAG_TSYNC && !listener && r > 0)
    return berth_fail_code (error, ESRCH, ".linux.seccomp: SECCOMP_FILTER_FLAG_TSYNC: thread %ld could not be synchronized", r);
  if (listener)
    *ret_notify_fd = (int) r; /* created O_CLOEXEC by the kernel */
  return true;
}

bool
berth_seccomp_load (const BerthSeccomp *seccomp, int *ret_notify_fd, GError **error)
{
  *ret_notify_fd = -1;
  if (seccomp == NULL)
    return true;
  g_autoptr (GBytes) program = berth_seccomp_compile (seccomp, error);
  if (program == NULL)
    return false;
  return berth_seccomp_load_compiled (seccomp, program, ret_notify_fd, error);
}

void
berth_seccomp_list_features (GPtrArray *ret_actions, GPtrArray *ret_operators, GPtrArray *ret_archs,
                             GPtrArray *ret_flags)
{
  static const char *const archs[] = { "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
                                       "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
                                       "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
                                       "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
                                       "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
                                       "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64" };
  for (size_t i = 0; i < G_N_ELEMENTS (actions); i++)
    g_ptr_array_add (ret_actions, (char *) actions[i].name);
  for (size_t i = 0; i < G_N_ELEMENTS (operators); i++)
    g_ptr_array_add (ret_operators, (char *) operators[i].name);
  for (size_t i = 0; i < G_N_ELEMENTS (archs); i++)
    if (arch_from_name (archs[i]) != 0)
      g_ptr_array_add (ret_archs, (char *) archs[i]);
  for (size_t i = 0; i < G_N_ELEMENTS (filter_flags); i++)
    g_ptr_array_add (ret_flags, (char *) filter_flags[i].name);
}

char *
berth_seccomp_library_version (void)
{
  const struct scmp_version *v = seccomp_version ();
  return g_strdup_printf ("%u.%u.%u", v->major, v->minor, v->micro);
}
