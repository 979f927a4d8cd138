/* criu.c and mountinfo.c: which mounts of a container CRIU must be told are
 * external and where their sources are on the host; descriptors.json and
 * berth-mounts.json as checkpoint writes and restore reads them. */
#include "criu.h"
#include "error.h"
#include "mountinfo.h"

#include <glib/gstdio.h>
#include <string.h>

/* Shaped after a real container's /proc/PID/mountinfo (the v2 lane's guest). */
static const char *const container_info =
  "64 43 0:29 /bcw/b/rootfs / rw,relatime - tmpfs tmpfs rw\n"
  "65 64 0:36 / /proc rw,relatime - proc proc rw\n"
  "66 64 0:37 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k\n"
  "72 64 0:29 /bcw/host /data rw,relatime - tmpfs tmpfs rw\n"            /* spec bind: external */
  "73 65 0:36 /sys /proc/sys ro,relatime - proc proc rw\n"               /* its own proc: internal */
  "79 65 0:5 /null /proc/kcore rw,relatime - devtmpfs devtmpfs rw\n"     /* masked: the host's /dev/null */
  "80 65 0:5 /null /proc/keys rw,relatime - devtmpfs devtmpfs rw\n"      /* twice: both external */
  "81 66 0:37 /null /dev/zap rw - tmpfs tmpfs rw\n"                      /* its own /dev: internal */
  "82 64 0:29 /bcw/b/rootfs/etc /etc2 rw - tmpfs tmpfs rw\n"             /* inside the rootfs: internal */
  "83 64 0:50 /process_api/x/c1 /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n"
  "84 64 0:29 /my\\040dir /sp rw - tmpfs tmpfs rw\n"                      /* escaped space */
  "garbage line\n";
static const char *const host_info =
  "1 0 8:1 / / rw - ext4 /dev/vda rw\n"
  "20 1 0:5 / /dev rw - devtmpfs devtmpfs rw\n"
  "21 1 0:29 / /tmp rw - tmpfs tmpfs rw\n"
  "22 1 0:50 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";

static void
test_mount_info_parse (void)
{
  g_autoptr (GPtrArray) m = berth_mount_info_parse (container_info);
  g_assert_cmpuint (m->len, ==, 11); /* the garbage line is skipped */
  const BerthMountInfo *sp = m->pdata[10];
  g_assert_cmpint (sp->id, ==, 84);
  g_assert_cmpint (sp->parent_id, ==, 64);
  g_assert_cmpstr (sp->dev, ==, "0:29");
  g_assert_cmpstr (sp->root, ==, "/my dir");
  g_assert_cmpstr (sp->mountpoint, ==, "/sp");
  g_assert_cmpstr (sp->fstype, ==, "tmpfs");
  const BerthMountInfo *cg = m->pdata[9];
  g_assert_cmpstr (cg->super_options, ==, "rw,memory");
}

static const char *
source_of (GPtrArray *ext, const char *dest)
{
  for (guint i = 0; i < ext->len; i++)
    {
      const BerthExternalMount *e = ext->pdata[i];
      if (strcmp (e->destination, dest) == 0)
        return e->source;
    }
  return NULL;
}

static void
test_external_mounts (void)
{
  g_autoptr (GPtrArray) c = berth_mount_info_parse (container_info);
  g_autoptr (GPtrArray) h = berth_mount_info_parse (host_info);
  char *bind_opts[] = { (char *) "rbind", NULL };
  BerthMount binds[] = { { .type = (char *) "none", .source = (char *) "/tmp/bcw/host", .destination = (char *) "/data/",
                           .options = bind_opts } };
  BerthSpec spec = { .mounts = binds, .n_mounts = 1 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) ext = berth_criu_external_mounts_of (c, h, &spec, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ext->len, ==, 5);
  g_assert_cmpstr (source_of (ext, "/data"), ==, "/tmp/bcw/host");
  g_assert_cmpstr (source_of (ext, "/proc/kcore"), ==, "/dev/null");
  g_assert_cmpstr (source_of (ext, "/proc/keys"), ==, "/dev/null");
  g_assert_cmpstr (source_of (ext, "/sys/fs/cgroup/memory"), ==, "/sys/fs/cgroup/memory/process_api/x/c1");
  g_assert_cmpstr (source_of (ext, "/sp"), ==, "/tmp/my dir");
  g_assert_null (source_of (ext, "/proc/sys"));
  g_assert_null (source_of (ext, "/dev/zap"));
  g_assert_null (source_of (ext, "/etc2"));

  /* A bind the spec asks for is external even from inside the rootfs (runc marks every bind). */
  BerthMount etc_bind[] = { { .type = (char *) "bind", .source = (char *) "/tmp/bcw/b/rootfs/etc", .destination = (char *) "/etc2" } };
  BerthSpec spec2 = { .mounts = etc_bind, .n_mounts = 1 };
  g_autoptr (GPtrArray) ext2 = berth_criu_external_mounts_of (c, h, &spec2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (source_of (ext2, "/etc2"), ==, "/tmp/bcw/b/rootfs/etc");
  /* The /data bind is still external without the spec saying so: its source is outside. */
  g_assert_cmpstr (source_of (ext2, "/data"), ==, "/tmp/bcw/host");
}

static void
test_external_mount_errors (void)
{
  g_autoptr (GPtrArray) h = berth_mount_info_parse (host_info);
  BerthSpec spec = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) colon = berth_mount_info_parse ("64 43 0:29 /r / rw - tmpfs t rw\n"
                                                        "70 64 0:5 /null /a:b rw - devtmpfs d rw\n");
  g_assert_null (berth_criu_external_mounts_of (colon, h, &spec, &error));
  g_assert_nonnull (strstr (error->message, "mount /a:b: CRIU's --ext-mount-map cannot name a path with ':'"));
  g_clear_error (&error);
  g_autoptr (GPtrArray) unknown = berth_mount_info_parse ("64 43 0:29 /r / rw - tmpfs t rw\n"
                                                          "70 64 0:99 /x /y rw - tmpfs d rw\n");
  g_assert_null (berth_criu_external_mounts_of (unknown, h, &spec, &error));
  g_assert_cmpstr (error->message, ==, "checkpoint: mount /y: its source (/x on device 0:99) is not mounted on the host");
}

static void
test_image_files (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("berth-criu-XXXXXX", &error);
  g_assert_no_error (error);
  const char *links[] = { "pipe:[12]", "/dev/null", "socket:[9]", NULL };
  g_assert_true (berth_criu_write_descriptors (dir, (char **) links, &error));
  g_auto (GStrv) read = berth_criu_read_descriptors (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (read, links);

  g_autoptr (GPtrArray) ext = g_ptr_array_new_with_free_func ((GDestroyNotify) berth_external_mount_free);
  BerthExternalMount *a = g_new0 (BerthExternalMount, 1), *b = g_new0 (BerthExternalMount, 1);
  a->destination = g_strdup ("/data");
  a->source = g_strdup ("/old/host");
  b->destination = g_strdup ("/proc/kcore");
  b->source = g_strdup ("/dev/null");
  g_ptr_array_add (ext, a);
  g_ptr_array_add (ext, b);
  g_assert_true (berth_criu_write_external_mounts (dir, ext, &error));
  /* Restore takes the bundle's own source for its binds, the recorded one otherwise. */
  BerthMount binds[] = { { .type = (char *) "bind", .source = (char *) "/new/host", .destination = (char *) "/data" } };
  BerthSpec spec = { .mounts = binds, .n_mounts = 1 };
  g_autoptr (GPtrArray) restore = berth_criu_restore_mounts (dir, &spec, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (restore->len, ==, 2);
  g_assert_cmpstr (source_of (restore, "/data"), ==, "/new/host");
  g_assert_cmpstr (source_of (restore, "/proc/kcore"), ==, "/dev/null");

  /* Images runc wrote have no berth-mounts.json: the bundle's binds only. */
  g_autofree char *mounts = g_build_filename (dir, "berth-mounts.json", NULL);
  g_assert_cmpint (g_unlink (mounts), ==, 0);
  g_autoptr (GPtrArray) runc_style = berth_criu_restore_mounts (dir, &spec, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runc_style->len, ==, 1);
  g_assert_cmpstr (source_of (runc_style, "/data"), ==, "/new/host");

  /* A recorded source that is not the bundle's bind must be a device the container may have (the
   * host's /dev/null of a masked path passed above) or a cgroup directory: an image cannot bind
   * "/" or a host file in. */
  const char *const refused[] = { "[{\"destination\": \"/x\", \"source\": \"/\"}]",
                                  "[{\"destination\": \"/x\", \"source\": \"/etc/passwd\"}]",
                                  "[{\"destination\": \"/x\", \"source\": \"/sys/fs/cgroup/../../etc\"}]" };
  for (size_t i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_assert_true (g_file_set_contents (mounts, refused[i], -1, NULL));
      g_assert_null (berth_criu_restore_mounts (dir, &spec, &error));
      g_assert_true (g_error_matches (error, BERTH_ERROR, EPERM));
      g_assert_nonnull (strstr (error->message, "is not a device or cgroup directory the container may have"));
      g_clear_error (&error);
    }
  /* A host cgroup directory (the container's, bound without a cgroup namespace) may not exist
   * yet: restore makes it later. */
  g_assert_true (g_file_set_contents (mounts, "[{\"destination\": \"/sys/fs/cgroup\", \"source\": \"/sys/fs/cgroup/not-yet/c1\"}]", -1, NULL));
  g_autoptr (GPtrArray) cgroup_dir = berth_criu_restore_mounts (dir, &spec, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (source_of (cgroup_dir, "/sys/fs/cgroup"), ==, "/sys/fs/cgroup/not-yet/c1");
  /* The same path as a bind of the bundle is the bundle's to decide. */
  g_assert_true (g_file_set_contents (mounts, "[{\"destination\": \"/data\", \"source\": \"/\"}]", -1, NULL));
  g_autoptr (GPtrArray) bundle_wins = berth_criu_restore_mounts (dir, &spec, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (source_of (bundle_wins, "/data"), ==, "/new/host");

  /* Bad files: one line naming the file. */
  g_assert_true (g_file_set_contents (mounts, "[1]", -1, NULL));
  g_assert_null (berth_criu_restore_mounts (dir, &spec, &error));
  g_assert_nonnull (strstr (error->message, "berth-mounts.json: entry 0: needs \"destination\" and \"source\" strings"));
  g_clear_error (&error);
  g_autofree char *desc = g_build_filename (dir, "descriptors.json", NULL);
  g_assert_true (g_file_set_contents (desc, "[\"a\"", -1, NULL));
  g_assert_null (berth_criu_read_descriptors (dir, &error));
  g_assert_nonnull (strstr (error->message, "descriptors.json: line 1"));
  g_clear_error (&error);
  g_assert_cmpint (g_unlink (desc), ==, 0);
  g_assert_null (berth_criu_read_descriptors (dir, &error));
  g_assert_true (g_error_matches (error, BERTH_ERROR, ENOENT));
  g_unlink (mounts);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mountinfo/parse", test_mount_info_parse);
  g_test_add_func ("/criu/external-mounts", test_external_mounts);
  g_test_add_func ("/criu/external-mount-errors", test_external_mount_errors);
  g_test_add_func ("/criu/image-files", test_image_files);
  return g_test_run ();
}
