/* The OCI mount options table: every option runc/crun understand becomes MS_*
 * flags, a propagation change, MOUNT_ATTR_* bits for mount_setattr(2) (the
 * recursive "r" options) or one of the Berth-handled switches (bind, rbind,
 * tmpcopyup, idmap, ridmap).  Anything else is filesystem data. */
#include "mount-options.h"
#include "error.h"

#include <string.h>
#include <sys/mount.h>

typedef enum { OPT_FLAG, OPT_PROPAGATION, OPT_ATTR, OPT_ATIME_ATTR, OPT_SWITCH } OptKind;
typedef enum { SW_NONE, SW_BIND, SW_RBIND, SW_TMPCOPYUP, SW_IDMAP, SW_RIDMAP } OptSwitch;

typedef struct
{
  const char *name;
  OptKind kind;
  bool clear;              /* OPT_FLAG / OPT_ATTR: the option clears the bit */
  unsigned long value;     /* MS_* or MOUNT_ATTR_* */
  OptSwitch sw;
} OptDef;

static const OptDef option_table[] = {
  { "defaults", OPT_FLAG, false, 0, SW_NONE },
  { "ro", OPT_FLAG, false, MS_RDONLY, SW_NONE },
  { "rw", OPT_FLAG, true, MS_RDONLY, SW_NONE },
  { "nosuid", OPT_FLAG, false, MS_NOSUID, SW_NONE },
  { "suid", OPT_FLAG, true, MS_NOSUID, SW_NONE },
  { "nodev", OPT_FLAG, false, MS_NODEV, SW_NONE },
  { "dev", OPT_FLAG, true, MS_NODEV, SW_NONE },
  { "noexec", OPT_FLAG, false, MS_NOEXEC, SW_NONE },
  { "exec", OPT_FLAG, true, MS_NOEXEC, SW_NONE },
  { "sync", OPT_FLAG, false, MS_SYNCHRONOUS, SW_NONE },
  { "async", OPT_FLAG, true, MS_SYNCHRONOUS, SW_NONE },
  { "dirsync", OPT_FLAG, false, MS_DIRSYNC, SW_NONE },
  { "remount", OPT_FLAG, false, MS_REMOUNT, SW_NONE },
  { "mand", OPT_FLAG, false, MS_MANDLOCK, SW_NONE },
  { "nomand", OPT_FLAG, true, MS_MANDLOCK, SW_NONE },
  { "atime", OPT_FLAG, true, MS_NOATIME, SW_NONE },
  { "noatime", OPT_FLAG, false, MS_NOATIME, SW_NONE },
  { "diratime", OPT_FLAG, true, MS_NODIRATIME, SW_NONE },
  { "nodiratime", OPT_FLAG, false, MS_NODIRATIME, SW_NONE },
  { "relatime", OPT_FLAG, false, MS_RELATIME, SW_NONE },
  { "norelatime", OPT_FLAG, true, MS_RELATIME, SW_NONE },
  { "strictatime", OPT_FLAG, false, MS_STRICTATIME, SW_NONE },
  { "nostrictatime", OPT_FLAG, true, MS_STRICTATIME, SW_NONE },
  { "lazytime", OPT_FLAG, false, MS_LAZYTIME, SW_NONE },
  { "nolazytime", OPT_FLAG, true, MS_LAZYTIME, SW_NONE },
  { "nosymfollow", OPT_FLAG, false, MS_NOSYMFOLLOW, SW_NONE },
  { "symfollow", OPT_FLAG, true, MS_NOSYMFOLLOW, SW_NONE },
  { "bind", OPT_SWITCH, false, MS_BIND, SW_BIND },
  { "rbind", OPT_SWITCH, false, MS_BIND | MS_REC, SW_RBIND },
  { "private", OPT_PROPAGATION, false, MS_PRIVATE, SW_NONE },
  { "rprivate", OPT_PROPAGATION, false, MS_PRIVATE | MS_REC, SW_NONE },
  { "shared", OPT_PROPAGATION, false, MS_SHARED, SW_NONE },
  { "rshared", OPT_PROPAGATION, false, MS_SHARED | MS_REC, SW_NONE },
  { "slave", OPT_PROPAGATION, false, MS_SLAVE, SW_NONE },
  { "rslave", OPT_PROPAGATION, false, MS_SLAVE | MS_REC, SW_NONE },
  { "unbindable", OPT_PROPAGATION, false, MS_UNBINDABLE, SW_NONE },
  { "runbindable", OPT_PROPAGATION, false, MS_UNBINDABLE | MS_REC, SW_NONE },
  { "rro", OPT_ATTR, false, MOUNT_ATTR_RDONLY, SW_NONE },
  { "rrw", OPT_ATTR, true, MOUNT_ATTR_RDONLY, SW_NONE },
  { "rnosuid", OPT_ATTR, false, MOUNT_ATTR_NOSUID, SW_NONE },
  { "rsuid", OPT_ATTR, true, MOUNT_ATTR_NOSUID, SW_NONE },
  { "rnodev", OPT_ATTR, false, MOUNT_ATTR_NODEV, SW_NONE },
  { "rdev", OPT_ATTR, true, MOUNT_ATTR_NODEV, SW_NONE },
  { "rnoexec", OPT_ATTR, false, MOUNT_ATTR_NOEXEC, SW_NONE },
  { "rexec", OPT_ATTR, true, MOUNT_ATTR_NOEXEC, SW_NONE },
  { "rnodiratime", OPT_ATTR, false, MOUNT_ATTR_NODIRATIME, SW_NONE },
  { "rdiratime", OPT_ATTR, true, MOUNT_ATTR_NODIRATIME, SW_NONE },
  { "rnosymfollow", OPT_ATTR, false, MOUNT_ATTR_NOSYMFOLLOW, SW_NONE },
  { "rsymfollow", OPT_ATTR, true, MOUNT_ATTR_NOSYMFOLLOW, SW_NONE },
  /* The atime mode is one 3-bit field: the kernel wants all of
   * MOUNT_ATTR__ATIME in attr_clr and the new mode in attr_set.  "ratime",
   * "rnostrictatime" and "rrelatime" go back to the kernel default
   * (relatime); "rnorelatime" asks for strict atime updates. */
  { "rnoatime", OPT_ATIME_ATTR, false, MOUNT_ATTR_NOATIME, SW_NONE },
  { "ratime", OPT_ATIME_ATTR, false, MOUNT_ATTR_RELATIME, SW_NONE },
  { "rrelatime", OPT_ATIME_ATTR, false, MOUNT_ATTR_RELATIME, SW_NONE },
  { "rnorelatime", OPT_ATIME_ATTR, false, MOUNT_ATTR_STRICTATIME, SW_NONE },
  { "rstrictatime", OPT_ATIME_ATTR, false, MOUNT_ATTR_STRICTATIME, SW_NONE },
  { "rnostrictatime", OPT_ATIME_ATTR, false, MOUNT_ATTR_RELATIME, SW_NONE },
  { "tmpcopyup", OPT_SWITCH, false, 0, SW_TMPCOPYUP },
  { "idmap", OPT_SWITCH, false, 0, SW_IDMAP },
  { "ridmap", OPT_SWITCH, false, 0, SW_RIDMAP },
};

static const OptDef *
find_option (const char *name)
{
  for (size_t i = 0; i < G_N_ELEMENTS (option_table); i++)
    if (strcmp (option_table[i].name, name) == 0)
      return &option_table[i];
  return NULL;
}

bool
berth_mount_options_parse (char *const *options, BerthMountOptions *ret, GError **error)
{
  BerthMountOptions o = { 0 };
  g_autoptr (GString) data = NULL;

  for (size_t i = 0; options != NULL && options[i] != NULL; i++)
    {
      const char *name = options[i];
      if (*name == '\0')
        continue;
      const OptDef *def = find_option (name);
      if (def == NULL)
        {
          if (data == NULL)
            data = g_string_new (NULL);
          else
            g_string_append_c (data, ',');
          g_string_append (data, name);
          continue;
        }
      switch (def->kind)
        {
        case OPT_FLAG:
          if (def->clear)
            {
              o.flags &= ~def->value;
              o.clear_flags |= def->value;
            }
          else
            {
              o.flags |= def->value;
              o.clear_flags &= ~def->value;
            }
          break;
        case OPT_PROPAGATION:
          o.propagation = def->value; /* the last one wins */
          break;
        case OPT_ATTR:
          if (def->clear)
            {
              o.attr_set &= ~(uint64_t) def->value;
              o.attr_clr |= def->value;
            }
          else
            {
              o.attr_set |= def->value;
              o.attr_clr &= ~(uint64_t) def->value;
            }
          o.recursive_attrs = true;
          break;
        case OPT_ATIME_ATTR:
          o.attr_set = (o.attr_set & ~(uint64_t) MOUNT_ATTR__ATIME) | def->value;
          o.attr_clr |= MOUNT_ATTR__ATIME;
          o.recursive_attrs = true;
          break;
        case OPT_SWITCH:
          switch (def->sw)
            {
            case SW_BIND: o.bind = true; o.flags |= MS_BIND; break;
            case SW_RBIND: o.rbind = true; o.flags |= MS_BIND | MS_REC; break;
            case SW_TMPCOPYUP: o.tmpcopyup = true; break;
            case SW_IDMAP: o.idmap = true; break;
            case SW_RIDMAP: o.ridmap = true; break;
            case SW_NONE: break;
            }
          break;
        }
    }
  if (data != NULL)
    o.data = g_string_free (g_steal_pointer (&data), false);
  *ret = o;
  return true;
}

void
berth_mount_options_clear (BerthMountOptions *opts)
{
  if (opts == NULL)
    return;
  g_free (opts->data);
  memset (opts, 0, sizeof *opts);
}

uint64_t
berth_mount_flags_to_attr (unsigned long ms_flags)
{
  uint64_t attr = 0;
  if (ms_flags & MS_RDONLY)
    attr |= MOUNT_ATTR_RDONLY;
  if (ms_flags & MS_NOSUID)
    attr |= MOUNT_ATTR_NOSUID;
  if (ms_flags & MS_NODEV)
    attr |= MOUNT_ATTR_NODEV;
  if (ms_flags & MS_NOEXEC)
    attr |= MOUNT_ATTR_NOEXEC;
  if (ms_flags & MS_NODIRATIME)
    attr |= MOUNT_ATTR_NODIRATIME;
  if (ms_flags & MS_NOSYMFOLLOW)
    attr |= MOUNT_ATTR_NOSYMFOLLOW;
  /* One atime mode; noatime beats strictatime beats relatime like mount(2). */
  if (ms_flags & MS_NOATIME)
    attr |= MOUNT_ATTR_NOATIME;
  else if (ms_flags & MS_STRICTATIME)
    attr |= MOUNT_ATTR_STRICTATIME;
  return attr;
}

bool
berth_propagation_parse (const char *value, unsigned long *ret_propagation)
{
  const OptDef *def = value != NULL ? find_option (value) : NULL;
  if (def == NULL || def->kind != OPT_PROPAGATION)
    return false;
  *ret_propagation = def->value;
  return true;
}

void
berth_mount_option_names (GPtrArray *ret_names)
{
  for (size_t i = 0; i < G_N_ELEMENTS (option_table); i++)
    g_ptr_array_add (ret_names, (char *) option_table[i].name);
}
