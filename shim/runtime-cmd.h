#pragma once
#include "shim.h"
#include <signal.h>

/* NULL-terminated argv of the runtime call (argv[0] = --runtime). */
GPtrArray *shim_runtime_argv (const ShimOptions *o, const char *console_socket);
/* N of --runtime-opt --preserve-fds N (0 when absent). */
int shim_preserve_fds (const ShimOptions *o);
/* Child side: stdio (-1 = /dev/null, -2 = keep ours), optional wait on the
 * start pipe, then execv.  Never returns. */
G_GNUC_NORETURN void shim_runtime_child_exec (const ShimOptions *o, char **argv, int in_fd, int out_fd, int err_fd,
                                              int second_start_fd, const sigset_t *orig_mask);
