#include "cli.h"

#include "error.h"
#include "util.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

/* Every string option is declared G_OPTION_ARG_FILENAME(_ARRAY), never
 * G_OPTION_ARG_STRING: GLib converts a STRING value from the locale's charset
 * to UTF-8, which refuses any non-ASCII byte in the C locale (how containerd
 * and podman run a runtime) with an error naming no option, and loads the
 * charset tables on every command.  Arguments are bytes, as to runc. */
bool
cli_parse (const char *command, const char *args_usage, GOptionEntry *entries, int *argc, char ***argv,
           GError **error)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new (args_usage);
  g_option_context_set_strict_posix (ctx, TRUE);
  g_autofree char *prog = g_strdup_printf ("berth %s", command);
  g_set_prgname (prog);
  if (entries != NULL)
    g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) local = NULL;
  if (!g_option_context_parse (ctx, argc, argv, &local))
    return berth_fail (error, "%s: %s", command, local->message);
  /* Strict POSIX mode keeps a "--" that ends the options: drop it. */
  if (*argc > 1 && strcmp ((*argv)[1], "--") == 0)
    {
      memmove (&(*argv)[1], &(*argv)[2], (size_t) (*argc - 1) * sizeof (char *));
      (*argc)--;
    }
  return true;
}

bool
cli_require_args (const char *command, int argc, char **argv, int n, const char *what, GError **error)
{
  if (argc - 1 < n)
    return berth_fail (error, "%s: missing %s (see berth %s --help)", command, what, command);
  if (argc - 1 > n)
    return berth_fail (error, "%s: unexpected argument \"%s\" (see berth %s --help)", command, argv[n + 1], command);
  return true;
}

char *
cli_absolute_path (const char *path)
{
  return g_canonicalize_filename (path, NULL);
}

int
cli_parse_signal (const char *text)
{
  int64_t n;
  if (berth_parse_int64 (text, 1, NSIG - 1, &n))
    return (int) n;
  const char *name = g_ascii_strncasecmp (text, "SIG", 3) == 0 ? text + 3 : text;
  for (int sig = 1; sig < SIGRTMIN; sig++)
    {
      const char *abbrev = sigabbrev_np (sig);
      if (abbrev != NULL && g_ascii_strcasecmp (abbrev, name) == 0)
        return sig;
    }
  if (g_ascii_strncasecmp (name, "RTMIN", 5) == 0 || g_ascii_strncasecmp (name, "RTMAX", 5) == 0)
    {
      bool min = g_ascii_strncasecmp (name, "RTMIN", 5) == 0;
      int64_t off = 0;
      const char *rest = name + 5;
      if (*rest != '\0' && !berth_parse_int64 (rest, -(SIGRTMAX - SIGRTMIN), SIGRTMAX - SIGRTMIN, &off))
        return -1;
      int sig = min ? SIGRTMIN + (int) off : SIGRTMAX + (int) off;
      return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : -1;
    }
  return -1;
}
