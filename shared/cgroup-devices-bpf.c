/* The cgroup v2 device controller: a BPF_PROG_TYPE_CGROUP_DEVICE program
 * assembled here as raw BPF instructions, loaded with bpf(2) and attached
 * with BPF_F_ALLOW_MULTI (as runc and crun do); programs attached to the
 * same cgroup before are detached after the new one is in place.
 *
 * Policy: deny everything, then the spec's rules in order, then runc's
 * default rules; the last matching rule wins.  The program checks the rules
 * from last to first and returns the verdict of the first match.  An allow
 * rule matches when the requested access is a subset of its access; a deny
 * rule when the requested access meets its access. */
#include "cgroup-internal.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define INSN(c, d, s, o, i) ((struct bpf_insn) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, src, off) INSN (BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU32_K(op, dst, imm) INSN (BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_X(dst, src) INSN (BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_K(dst, imm) INSN (BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP32_K(op, dst, imm, off) INSN (BPF_JMP32 | (op) | BPF_K, dst, 0, off, imm)
#define EXIT() INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int
access_bits (const char *access)
{
  if (access == NULL)
    return BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
  int bits = 0;
  for (const char *p = access; *p; p++)
    bits |= *p == 'r' ? BPF_DEVCG_ACC_READ : *p == 'w' ? BPF_DEVCG_ACC_WRITE : *p == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
  return bits;
}

/* Append the block for one rule: jumps to its end when it does not match. */
static void
emit_rule (GArray *prog, const BerthDeviceCgroupRule *rule)
{
  const int all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
  guint start = prog->len;
  g_autoptr (GArray) jumps = g_array_new (FALSE, FALSE, sizeof (guint));
  struct bpf_insn insn;
#define ADD(x) (insn = (x), g_array_append_val (prog, insn))
#define ADD_JUMP(x) (g_array_append_val (jumps, prog->len), ADD (x))
  if (rule->type != NULL && strcmp (rule->type, "a") != 0)
    ADD_JUMP (JMP32_K (BPF_JNE, BPF_REG_2, strcmp (rule->type, "b") == 0 ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0));
  int acc = access_bits (rule->access);
  if (rule->allow && acc != all)
    {
      ADD (MOV32_X (BPF_REG_1, BPF_REG_3));
      ADD (ALU32_K (BPF_AND, BPF_REG_1, ~acc & all));
      ADD_JUMP (JMP32_K (BPF_JNE, BPF_REG_1, 0, 0));
    }
  else if (!rule->allow && acc != all)
    {
      ADD (MOV32_X (BPF_REG_1, BPF_REG_3));
      ADD (ALU32_K (BPF_AND, BPF_REG_1, acc));
      ADD_JUMP (JMP32_K (BPF_JEQ, BPF_REG_1, 0, 0));
    }
  if (rule->has_major)
    ADD_JUMP (JMP32_K (BPF_JNE, BPF_REG_4, (int32_t) (uint32_t) rule->major, 0));
  if (rule->has_minor)
    ADD_JUMP (JMP32_K (BPF_JNE, BPF_REG_5, (int32_t) (uint32_t) rule->minor, 0));
  ADD (MOV64_K (BPF_REG_0, rule->allow ? 1 : 0));
  ADD (EXIT ());
#undef ADD
#undef ADD_JUMP
  guint end = prog->len;
  for (guint i = 0; i < jumps->len; i++)
    {
      guint at = g_array_index (jumps, guint, i);
      g_array_index (prog, struct bpf_insn, at).off = (int16_t) (end - (at + 1));
    }
  (void) start;
}

static GArray *
build_program (const BerthDeviceCgroupRule *rules, size_t n_rules)
{
  GArray *prog = g_array_new (FALSE, FALSE, sizeof (struct bpf_insn));
  const struct bpf_insn prologue[] = {
    LDX_W (BPF_REG_2, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, access_type)),
    ALU32_K (BPF_AND, BPF_REG_2, 0xffff),               /* type */
    LDX_W (BPF_REG_3, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, access_type)),
    ALU32_K (BPF_RSH, BPF_REG_3, 16),                   /* access */
    LDX_W (BPF_REG_4, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, major)),
    LDX_W (BPF_REG_5, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, minor)),
  };
  g_array_append_vals (prog, prologue, G_N_ELEMENTS (prologue));
  size_t n_defaults = 0;
  const BerthDeviceCgroupRule *defaults = berth_cgroup_default_device_rules (&n_defaults);
  for (size_t i = n_rules + n_defaults; i > 0; i--)
    {
      size_t k = i - 1;
      const BerthDeviceCgroupRule *rule = k < n_rules ? &rules[k] : &defaults[k - n_rules];
      emit_rule (prog, rule);
      bool allow;
      if (berth_cgroup_is_allow_all_rule (rule, &allow))
        return prog; /* matches everything: nothing before it can be reached */
    }
  const struct bpf_insn deny[] = { MOV64_K (BPF_REG_0, 0), EXIT () };
  g_array_append_vals (prog, deny, G_N_ELEMENTS (deny));
  return prog;
}

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof *attr);
}

bool
berth_cgroup_devices_bpf_apply (const char *dir, const BerthDeviceCgroupRule *rules, size_t n_rules, GError **error)
{
  g_autoptr (GArray) prog = build_program (rules, n_rules);
  static char license[] = "Apache";
  char log[4096] = "";
  union bpf_attr attr;
  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) prog->data;
  attr.insn_cnt = prog->len;
  attr.license = (uint64_t) (uintptr_t) license;
  berth_autofd int prog_fd = sys_bpf (BPF_PROG_LOAD, &attr);
  if (prog_fd < 0)
    {
      /* Retry with the verifier log to explain the failure. */
      int err = errno;
      attr.log_buf = (uint64_t) (uintptr_t) log;
      attr.log_size = sizeof log;
      attr.log_level = 1;
      int fd2 = sys_bpf (BPF_PROG_LOAD, &attr);
      if (fd2 >= 0)
        close (fd2);
      g_strdelimit (log, "\n", ' ');
      return berth_fail_errno (error, err, ".linux.resources.devices: load the device BPF program (%u insns)%s%s",
                               prog->len, *log ? ": " : "", log);
    }
  berth_autofd int cg_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg_fd < 0)
    return berth_fail_errno (error, errno, ".linux.resources.devices: open %s", dir);

  uint32_t old_ids[64];
  memset (&attr, 0, sizeof attr);
  attr.query.target_fd = cg_fd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t) (uintptr_t) old_ids;
  attr.query.prog_cnt = G_N_ELEMENTS (old_ids);
  uint32_t n_old = sys_bpf (BPF_PROG_QUERY, &attr) == 0 ? attr.query.prog_cnt : 0;

  memset (&attr, 0, sizeof attr);
  attr.target_fd = cg_fd;
  attr.attach_bpf_fd = prog_fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    return berth_fail_errno (error, errno, ".linux.resources.devices: attach the device BPF program to %s", dir);

  for (uint32_t i = 0; i < n_old && i < G_N_ELEMENTS (old_ids); i++)
    {
      memset (&attr, 0, sizeof attr);
      attr.prog_id = old_ids[i];
      berth_autofd int old_fd = sys_bpf (BPF_PROG_GET_FD_BY_ID, &attr);
      if (old_fd < 0)
        continue;
      memset (&attr, 0, sizeof attr);
      attr.target_fd = cg_fd;
      attr.attach_bpf_fd = old_fd;
      attr.attach_type = BPF_CGROUP_DEVICE;
      if (sys_bpf (BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
        return berth_fail_errno (error, errno, ".linux.resources.devices: detach the previous device program from %s", dir);
    }
  return true;
}
