/* The command-line layer: one function per command, a table in main.c. */
#pragma once
#include "container.h"
#include <glib.h>

typedef int (*BerthCommandFn) (const BerthGlobalOptions *g, int argc, char **argv, GError **error);

typedef struct
{
  const char *name;
  const char *args;               /* e.g. "<container-id>" */
  const char *summary;
  BerthCommandFn fn;
} BerthCommand;

/* Parse a command's options with GOption in strict POSIX mode (options stop
 * at the first positional argument, as runc's CLI does).  Prints --help and
 * exits 0 when asked. */
bool cli_parse (const char *command, const char *args_usage, GOptionEntry *entries, int *argc, char ***argv,
                GError **error);
/* Exactly n positional args after parsing (argv[0] is the command). */
bool cli_require_args (const char *command, int argc, char **argv, int n, const char *what, GError **error);
/* Make a path absolute against the caller's cwd (runc semantics). */
char *cli_absolute_path (const char *path);
/* "KILL", "SIGKILL", "9", "RTMIN+1" -> signal number; -1 if invalid. */
int cli_parse_signal (const char *text);

int cmd_create (const BerthGlobalOptions *g, int argc, char **argv, GError **error);
int cmd_run (const BerthGlobalOptions *g, int argc, char **argv, GError **error);
int cmd_start (const BerthGlobalOptions *g, int argc, char **argv, GError **error);
int cmd_state (const BerthGlobalOptions *g, int argc, char **argv, GError **error);
int cmd_list (const BerthGlobalOptions *g, int argc, char **argv, GError **error);
int cmd_kill (const BerthGlobalOptions *g, int argc, char **argv, GError **error);
int cmd_delete (const BerthGlobalOptions *g, int argc, char **argv, GError **error);
int cmd_spec (const BerthGlobalOptions *g, int argc, char **argv, GError **error);
int cmd_exec (const BerthGlobalOptions *g, int argc, char **argv, GError **error);
int cmd_pause (const BerthGlobalOptions *g, int argc, char **argv, GError **error);
int cmd_resume (const BerthGlobalOptions *g, int argc, char **argv, GError **error);
int cmd_ps (const BerthGlobalOptions *g, int argc, char **argv, GError **error);
int cmd_features (const BerthGlobalOptions *g, int argc, char **argv, GError **error);
int cmd_update (const BerthGlobalOptions *g, int argc, char **argv, GError **error);
int cmd_checkpoint (const BerthGlobalOptions *g, int argc, char **argv, GError **error);
int cmd_restore (const BerthGlobalOptions *g, int argc, char **argv, GError **error);
int cmd_events (const BerthGlobalOptions *g, int argc, char **argv, GError **error);
