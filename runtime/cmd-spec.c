/* spec and features. */
#include "cli.h"

#include "error.h"
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

int
cmd_features (const BerthGlobalOptions *g, int argc, char **argv, GError **error)
{
  if (!cli_parse ("features", "", NULL, &argc, &argv, error) || !cli_require_args ("features", argc, argv, 0, "", error))
    return 1;
  /* Only what works today; grows with each feature. */
  printf ("{\n"
          "  \"ociVersionMin\": \"1.0.0\",\n"
          "  \"ociVersionMax\": \"1.2.0\",\n"
          "  \"hooks\": [\"prestart\", \"createRuntime\", \"createContainer\", \"startContainer\", \"poststart\", \"poststop\"],\n"
          "  \"mountOptions\": [],\n"
          "  \"linux\": {\n"
          "    \"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\", \"pid\", \"time\", \"user\", \"uts\"]\n"
          "  }\n"
          "}\n");
  return 0;
}
