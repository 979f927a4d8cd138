/* Table-driven tests of the mount options parser: every option of the table,
 * the "last one wins" rules, and fs data pass-through. */
#include "../../runtime/mount-options.h"

#include <sys/mount.h>

typedef struct
{
  const char *opt;
  unsigned long flags, clear_flags, propagation;
  uint64_t attr_set, attr_clr;
  bool recursive_attrs;
} Case;

#define ATIME MOUNT_ATTR__ATIME
static const Case cases[] = {
  { "defaults", 0, 0, 0, 0, 0, false },
  { "ro", MS_RDONLY, 0, 0, 0, 0, false },
  { "rw", 0, MS_RDONLY, 0, 0, 0, false },
  { "nosuid", MS_NOSUID, 0, 0, 0, 0, false },
  { "suid", 0, MS_NOSUID, 0, 0, 0, false },
  { "nodev", MS_NODEV, 0, 0, 0, 0, false },
  { "dev", 0, MS_NODEV, 0, 0, 0, false },
  { "noexec", MS_NOEXEC, 0, 0, 0, 0, false },
  { "exec", 0, MS_NOEXEC, 0, 0, 0, false },
  { "sync", MS_SYNCHRONOUS, 0, 0, 0, 0, false },
  { "async", 0, MS_SYNCHRONOUS, 0, 0, 0, false },
  { "dirsync", MS_DIRSYNC, 0, 0, 0, 0, false },
  { "remount", MS_REMOUNT, 0, 0, 0, 0, false },
  { "mand", MS_MANDLOCK, 0, 0, 0, 0, false },
  { "nomand", 0, MS_MANDLOCK, 0, 0, 0, false },
  { "atime", 0, MS_NOATIME, 0, 0, 0, false },
  { "noatime", MS_NOATIME, 0, 0, 0, 0, false },
  { "diratime", 0, MS_NODIRATIME, 0, 0, 0, false },
  { "nodiratime", MS_NODIRATIME, 0, 0, 0, 0, false },
  { "relatime", MS_RELATIME, 0, 0, 0, 0, false },
  { "norelatime", 0, MS_RELATIME, 0, 0, 0, false },
  { "strictatime", MS_STRICTATIME, 0, 0, 0, 0, false },
  { "nostrictatime", 0, MS_STRICTATIME, 0, 0, 0, false },
  { "lazytime", MS_LAZYTIME, 0, 0, 0, 0, false },
  { "nolazytime", 0, MS_LAZYTIME, 0, 0, 0, false },
  { "nosymfollow", MS_NOSYMFOLLOW, 0, 0, 0, 0, false },
  { "symfollow", 0, MS_NOSYMFOLLOW, 0, 0, 0, false },
  { "bind", MS_BIND, 0, 0, 0, 0, false },
  { "rbind", MS_BIND | MS_REC, 0, 0, 0, 0, false },
  { "private", 0, 0, MS_PRIVATE, 0, 0, false },
  { "rprivate", 0, 0, MS_PRIVATE | MS_REC, 0, 0, false },
  { "shared", 0, 0, MS_SHARED, 0, 0, false },
  { "rshared", 0, 0, MS_SHARED | MS_REC, 0, 0, false },
  { "slave", 0, 0, MS_SLAVE, 0, 0, false },
  { "rslave", 0, 0, MS_SLAVE | MS_REC, 0, 0, false },
  { "unbindable", 0, 0, MS_UNBINDABLE, 0, 0, false },
  { "runbindable", 0, 0, MS_UNBINDABLE | MS_REC, 0, 0, false },
  { "rro", 0, 0, 0, MOUNT_ATTR_RDONLY, 0, true },
  { "rrw", 0, 0, 0, 0, MOUNT_ATTR_RDONLY, true },
  { "rnosuid", 0, 0, 0, MOUNT_ATTR_NOSUID, 0, true },
  { "rsuid", 0, 0, 0, 0, MOUNT_ATTR_NOSUID, true },
  { "rnodev", 0, 0, 0, MOUNT_ATTR_NODEV, 0, true },
  { "rdev", 0, 0, 0, 0, MOUNT_ATTR_NODEV, true },
  { "rnoexec", 0, 0, 0, MOUNT_ATTR_NOEXEC, 0, true },
  { "rexec", 0, 0, 0, 0, MOUNT_ATTR_NOEXEC, true },
  { "rnodiratime", 0, 0, 0, MOUNT_ATTR_NODIRATIME, 0, true },
  { "rdiratime", 0, 0, 0, 0, MOUNT_ATTR_NODIRATIME, true },
  { "rnosymfollow", 0, 0, 0, MOUNT_ATTR_NOSYMFOLLOW, 0, true },
  { "rsymfollow", 0, 0, 0, 0, MOUNT_ATTR_NOSYMFOLLOW, true },
  { "rnoatime", 0, 0, 0, MOUNT_ATTR_NOATIME, ATIME, true },
  { "ratime", 0, 0, 0, MOUNT_ATTR_RELATIME, ATIME, true },
  { "rrelatime", 0, 0, 0, MOUNT_ATTR_RELATIME, ATIME, true },
  { "rnorelatime", 0, 0, 0, MOUNT_ATTR_STRICTATIME, ATIME, true },
  { "rstrictatime", 0, 0, 0, MOUNT_ATTR_STRICTATIME, ATIME, true },
  { "rnostrictatime", 0, 0, 0, MOUNT_ATTR_RELATIME, ATIME, true },
};

static void
test_every_option (void)
{
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *c = &cases[i];
      char *opts[] = { (char *) c->opt, NULL };
      g_auto (BerthMountOptions) o = { 0 };
      g_autoptr (GError) error = NULL;
      g_test_message ("option %s", c->opt);
      g_assert_true (berth_mount_options_parse (opts, &o, &error));
      g_assert_no_error (error);
      g_assert_cmphex (o.flags, ==, c->flags);
      g_assert_cmphex (o.clear_flags, ==, c->clear_flags);
      g_assert_cmphex (o.propagation, ==, c->propagation);
      g_assert_cmphex (o.attr_set, ==, c->attr_set);
      g_assert_cmphex (o.attr_clr, ==, c->attr_clr);
      g_assert_cmpint (o.recursive_attrs, ==, c->recursive_attrs);
      g_assert_null (o.data);
      g_assert_cmpint (o.bind, ==, strcmp (c->opt, "bind") == 0);
      g_assert_cmpint (o.rbind, ==, strcmp (c->opt, "rbind") == 0);
      g_assert_false (o.tmpcopyup || o.idmap || o.ridmap);
    }
}

static void
test_switches (void)
{
  const char *names[] = { "tmpcopyup", "idmap", "ridmap" };
  for (size_t i = 0; i < G_N_ELEMENTS (names); i++)
    {
      char *opts[] = { (char *) names[i], NULL };
      g_auto (BerthMountOptions) o = { 0 };
      g_assert_true (berth_mount_options_parse (opts, &o, NULL));
      g_assert_cmpint (o.tmpcopyup, ==, i == 0);
      g_assert_cmpint (o.idmap, ==, i == 1);
      g_assert_cmpint (o.ridmap, ==, i == 2);
      g_assert_cmphex (o.flags | o.clear_flags | o.propagation | o.attr_set | o.attr_clr, ==, 0);
      g_assert_null (o.data);
    }
}

static void
test_last_wins_and_data (void)
{
  char *opts[] = { "ro", "mode=755", "rw", "nosuid", "suid", "nosuid", "size=65536k", "", "rslave", "private",
                   "rnoatime", "rstrictatime", "rro", "rrw", "newinstance", NULL };
  g_auto (BerthMountOptions) o = { 0 };
  g_assert_true (berth_mount_options_parse (opts, &o, NULL));
  g_assert_cmphex (o.flags, ==, MS_NOSUID);
  g_assert_cmphex (o.clear_flags, ==, MS_RDONLY);
  g_assert_cmphex (o.propagation, ==, MS_PRIVATE);
  g_assert_cmphex (o.attr_set, ==, MOUNT_ATTR_STRICTATIME);
  g_assert_cmphex (o.attr_clr, ==, MOUNT_ATTR__ATIME | MOUNT_ATTR_RDONLY);
  g_assert_cmpstr (o.data, ==, "mode=755,size=65536k,newinstance");
  berth_mount_options_clear (&o);
  g_assert_null (o.data);
  g_assert_cmphex (o.flags, ==, 0);
}

static void
test_empty (void)
{
  g_auto (BerthMountOptions) o = { 0 };
  g_assert_true (berth_mount_options_parse (NULL, &o, NULL));
  g_assert_cmphex (o.flags | o.clear_flags | o.propagation | o.attr_set | o.attr_clr, ==, 0);
  g_assert_null (o.data);
}

static void
test_flags_to_attr (void)
{
  g_assert_cmphex (berth_mount_flags_to_attr (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC), ==,
                   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  g_assert_cmphex (berth_mount_flags_to_attr (MS_NOATIME | MS_STRICTATIME), ==, MOUNT_ATTR_NOATIME);
  g_assert_cmphex (berth_mount_flags_to_attr (MS_STRICTATIME | MS_NODIRATIME), ==,
                   MOUNT_ATTR_STRICTATIME | MOUNT_ATTR_NODIRATIME);
  g_assert_cmphex (berth_mount_flags_to_attr (MS_NOSYMFOLLOW | MS_BIND | MS_REC | MS_SYNCHRONOUS), ==,
                   MOUNT_ATTR_NOSYMFOLLOW);
}

static void
test_propagation_values (void)
{
  const struct { const char *v; unsigned long want; } ok[] = {
    { "shared", MS_SHARED }, { "rshared", MS_SHARED | MS_REC }, { "slave", MS_SLAVE },
    { "rslave", MS_SLAVE | MS_REC }, { "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      unsigned long p = 0;
      g_assert_true (berth_propagation_parse (ok[i].v, &p));
      g_assert_cmphex (p, ==, ok[i].want);
    }
  unsigned long p = 0;
  g_assert_false (berth_propagation_parse ("ro", &p));
  g_assert_false (berth_propagation_parse ("bogus", &p));
  g_assert_false (berth_propagation_parse (NULL, &p));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mount-options/every-option", test_every_option);
  g_test_add_func ("/mount-options/switches", test_switches);
  g_test_add_func ("/mount-options/last-wins-and-data", test_last_wins_and_data);
  g_test_add_func ("/mount-options/empty", test_empty);
  g_test_add_func ("/mount-options/flags-to-attr", test_flags_to_attr);
  g_test_add_func ("/mount-options/propagation-values", test_propagation_values);
  return g_test_run ();
}
