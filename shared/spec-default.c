/* The config.json `berth spec` writes: runc 1.1's template (`runc spec` /
 * `runc spec --rootless`), field for field, in the same order.  Like runc's
 * template it grants no inheritable capabilities (CVE-2022-29162). */
#include "spec-internal.h"

#include <sys/stat.h>

#define DEFAULT_OCI_VERSION "1.0.2-dev"

static const char *const default_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };

static const char *const masked_paths[] = {
  "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
  "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi", NULL,
};

const BerthDefaultDevice berth_default_devices[] = {
  { "/dev/null", S_IFCHR, 1, 3 },    { "/dev/zero", S_IFCHR, 1, 5 },    { "/dev/full", S_IFCHR, 1, 7 },
  { "/dev/random", S_IFCHR, 1, 8 },  { "/dev/urandom", S_IFCHR, 1, 9 }, { "/dev/tty", S_IFCHR, 5, 0 },
};
const size_t berth_n_default_devices = G_N_ELEMENTS (berth_default_devices);

static const char *const readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static void
add_string (JsonBuilder *b, const char *member, const char *value)
{
  json_builder_set_member_name (b, member);
  json_builder_add_string_value (b, value);
}

static void
add_int (JsonBuilder *b, const char *member, int64_t value)
{
  json_builder_set_member_name (b, member);
  json_builder_add_int_value (b, value);
}

static void
add_bool (JsonBuilder *b, const char *member, bool value)
{
  json_builder_set_member_name (b, member);
  json_builder_add_boolean_value (b, value);
}

static void
add_strv (JsonBuilder *b, const char *member, const char *const *v)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  for (; *v != NULL; v++)
    json_builder_add_string_value (b, *v);
  json_builder_end_array (b);
}

static void
add_mount (JsonBuilder *b, const char *destination, const char *type, const char *source,
           const char *const *options)
{
  json_builder_begin_object (b);
  add_string (b, "destination", destination);
  add_string (b, "type", type);
  add_string (b, "source", source);
  if (options != NULL)
    add_strv (b, "options", options);
  json_builder_end_object (b);
}

static void
add_process (JsonBuilder *b)
{
  static const char *const args[] = { "sh", NULL };
  static const char *const env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                     "TERM=xterm", NULL };
  json_builder_set_member_name (b, "process");
  json_builder_begin_object (b);
  add_bool (b, "terminal", true);
  json_builder_set_member_name (b, "user");
  json_builder_begin_object (b);
  add_int (b, "uid", 0);
  add_int (b, "gid", 0);
  json_builder_end_object (b);
  add_strv (b, "args", args);
  add_strv (b, "env", env);
  add_string (b, "cwd", "/");
  json_builder_set_member_name (b, "capabilities");
  json_builder_begin_object (b);
  add_strv (b, "bounding", default_caps);
  add_strv (b, "effective", default_caps);
  add_strv (b, "permitted", default_caps);
  add_strv (b, "ambient", default_caps);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "rlimits");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  add_string (b, "type", "RLIMIT_NOFILE");
  add_int (b, "hard", 1024);
  add_int (b, "soft", 1024);
  json_builder_end_object (b);
  json_builder_end_array (b);
  add_bool (b, "noNewPrivileges", true);
  json_builder_end_object (b);
}

static void
add_mounts (JsonBuilder *b, bool rootless)
{
  static const char *const dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
  /* Rootless: no gid=5, the tty group is not mapped. */
  static const char *const devpts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
  static const char *const devpts_rootless[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL };
  static const char *const shm[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
  static const char *const mqueue[] = { "nosuid", "noexec", "nodev", NULL };
  static const char *const sysfs[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  /* Rootless: sysfs cannot be mounted without a network namespace of our own. */
  static const char *const sys_rbind[] = { "rbind", "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const cgroup[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };

  json_builder_set_member_name (b, "mounts");
  json_builder_begin_array (b);
  add_mount (b, "/proc", "proc", "proc", NULL);
  add_mount (b, "/dev", "tmpfs", "tmpfs", dev);
  add_mount (b, "/dev/pts", "devpts", "devpts", rootless ? devpts_rootless : devpts);
  add_mount (b, "/dev/shm", "tmpfs", "shm", shm);
  add_mount (b, "/dev/mqueue", "mqueue", "mqueue", mqueue);
  if (rootless)
    add_mount (b, "/sys", "none", "/sys", sys_rbind);
  else
    add_mount (b, "/sys", "sysfs", "sysfs", sysfs);
  add_mount (b, "/sys/fs/cgroup", "cgroup", "cgroup", cgroup);
  json_builder_end_array (b);
}

static void
add_id_mappings (JsonBuilder *b, const char *member, uint32_t host_id)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  add_int (b, "containerID", 0);
  add_int (b, "hostID", host_id);
  add_int (b, "size", 1);
  json_builder_end_object (b);
  json_builder_end_array (b);
}

static void
add_linux (JsonBuilder *b, bool rootless, uid_t uid, gid_t gid)
{
  static const char *const namespaces[] = { "pid", "network", "ipc", "uts", "mount", NULL };
  static const char *const namespaces_rootless[] = { "pid", "ipc", "uts", "mount", "user", NULL };

  json_builder_set_member_name (b, "linux");
  json_builder_begin_object (b);
  if (rootless)
    {
      add_id_mappings (b, "uidMappings", uid);
      add_id_mappings (b, "gidMappings", gid);
    }
  else
    {
      /* Deny all devices; the runtime adds the default allow list. */
      json_builder_set_member_name (b, "resources");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "devices");
      json_builder_begin_array (b);
      json_builder_begin_object (b);
      add_bool (b, "allow", false);
      add_string (b, "access", "rwm");
      json_builder_end_object (b);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "namespaces");
  json_builder_begin_array (b);
  for (const char *const *ns = rootless ? namespaces_rootless : namespaces; *ns != NULL; ns++)
    {
      json_builder_begin_object (b);
      add_string (b, "type", *ns);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  add_strv (b, "maskedPaths", masked_paths);
  add_strv (b, "readonlyPaths", readonly_paths);
  json_builder_end_object (b);
}

char *
berth_spec_default_json (bool rootless, uid_t uid, gid_t gid)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, "ociVersion", DEFAULT_OCI_VERSION);
  add_process (b);
  json_builder_set_member_name (b, "root");
  json_builder_begin_object (b);
  add_string (b, "path", "rootfs");
  add_bool (b, "readonly", true);
  json_builder_end_object (b);
  add_string (b, "hostname", "runc");
  add_mounts (b, rootless);
  add_linux (b, rootless, uid, gid);
  json_builder_end_object (b);

  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 1);
  json_generator_set_indent_char (gen, '\t');
  return json_generator_to_data (gen, NULL);
}
