/* spec and features. */
#include "cli.h"

#include "error.h"
#include "json.h"
#include "mount-options.h"
#include "seccomp.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
cmd_spec (const BerthGlobalOptions *g, int argc, char **argv, GError **error)
{
  g_autofree char *bundle = NULL;
  gboolean rootless = FALSE;
  GOptionEntry entries[] = {
    { "bundle", 'b', 0, G_OPTION_ARG_FILENAME, &bundle, "directory to write config.json in", "DIR" },
    { "rootless", 0, 0, G_OPTION_ARG_NONE, &rootless, "a spec for a rootless container", NULL },
    { NULL }
  };
  if (!cli_parse ("spec", "", entries, &argc, &argv, error) || !cli_require_args ("spec", argc, argv, 0, "", error))
    return 1;
  g_autofree char *dir = cli_absolute_path (bundle ? bundle : ".");
  berth_autofd int dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    return berth_fail_errno (error, errno, "spec: --bundle %s", dir), 1;
  if (faccessat (dir_fd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return berth_fail_code (error, EEXIST, "spec: %s/config.json exists; remove it first", dir), 1;
  g_autofree char *json = berth_spec_default_json (rootless, geteuid (), getegid ());
  g_autofree char *text = g_strdup_printf ("%s\n", json);
  return berth_atomic_write (dir_fd, "config.json", text, strlen (text), 0644, error) ? 0 : 1;
}

static void
add_string_array (JsonBuilder *b, const char *member, GPtrArray *names)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  for (guint i = 0; i < names->len; i++)
    json_builder_add_string_value (b, names->pdata[i]);
  json_builder_end_array (b);
}

static void
add_enabled (JsonBuilder *b, const char *member, bool enabled)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "enabled");
  json_builder_add_boolean_value (b, enabled);
  json_builder_end_object (b);
}

int
cmd_features (const BerthGlobalOptions *g, int argc, char **argv, GError **error)
{
  if (!cli_parse ("features", "", NULL, &argc, &argv, error) || !cli_require_args ("features", argc, argv, 0, "", error))
    return 1;
  /* Built from the same tables the code uses, so it lists only what works. */
  static const char *const hooks[] = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop" };
  static const char *const namespaces[] = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts" };
  g_autoptr (GPtrArray) hook_names = g_ptr_array_new ();
  g_autoptr (GPtrArray) ns_names = g_ptr_array_new ();
  g_autoptr (GPtrArray) caps = g_ptr_array_new ();
  g_autoptr (GPtrArray) mount_options = g_ptr_array_new ();
  g_autoptr (GPtrArray) actions = g_ptr_array_new ();
  g_autoptr (GPtrArray) operators = g_ptr_array_new ();
  g_autoptr (GPtrArray) archs = g_ptr_array_new ();
  g_autoptr (GPtrArray) flags = g_ptr_array_new ();
  for (size_t i = 0; i < G_N_ELEMENTS (hooks); i++)
    g_ptr_array_add (hook_names, (char *) hooks[i]);
  for (size_t i = 0; i < G_N_ELEMENTS (namespaces); i++)
    g_ptr_array_add (ns_names, (char *) namespaces[i]);
  for (int cap = 0; berth_capability_name (cap) != NULL; cap++)
    g_ptr_array_add (caps, (char *) berth_capability_name (cap));
  berth_mount_option_names (mount_options);
  berth_seccomp_list_features (actions, operators, archs, flags);

  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ociVersionMin");
  json_builder_add_string_value (b, "1.0.0");
  json_builder_set_member_name (b, "ociVersionMax");
  json_builder_add_string_value (b, "1.2.0");
  add_string_array (b, "hooks", hook_names);
  add_string_array (b, "mountOptions", mount_options);
  json_builder_set_member_name (b, "linux");
  json_builder_begin_object (b);
  add_string_array (b, "namespaces", ns_names);
  add_string_array (b, "capabilities", caps);
  json_builder_set_member_name (b, "cgroup");
  json_builder_begin_object (b);
  const char *cg_keys[] = { "v1", "v2", "systemd", "systemdUser", "rdma" };
  const bool cg_values[] = { true, true, false, false, true };
  for (size_t i = 0; i < G_N_ELEMENTS (cg_keys); i++)
    {
      json_builder_set_member_name (b, cg_keys[i]);
      json_builder_add_boolean_value (b, cg_values[i]);
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "seccomp");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "enabled");
  json_builder_add_boolean_value (b, true);
  add_string_array (b, "actions", actions);
  add_string_array (b, "operators", operators);
  add_string_array (b, "archs", archs);
  add_string_array (b, "knownFlags", flags);
  add_string_array (b, "supportedFlags", flags);
  json_builder_end_object (b);
  add_enabled (b, "apparmor", false);
  add_enabled (b, "selinux", false);
  add_enabled (b, "intelRdt", false);
  json_builder_set_member_name (b, "mountExtensions");
  json_builder_begin_object (b);
  add_enabled (b, "idmap", true);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "annotations");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "io.github.seccomp.libseccomp.version");
  g_autofree char *libseccomp = berth_seccomp_library_version ();
  json_builder_add_string_value (b, libseccomp);
  json_builder_set_member_name (b, "org.berth.version");
  json_builder_add_string_value (b, BERTH_VERSION);
  json_builder_end_object (b);
  json_builder_end_object (b);

  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree char *text = json_to_string (root, TRUE);
  printf ("%s\n", text);
  return 0;
}
