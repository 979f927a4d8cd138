#pragma once
#include "shim.h"
#include <signal.h>

void shim_sync_send (Shim *s, int fd, const char *key0, int64_t value, const char *message);
bool shim_console_socket_create (Shim *s, GError **error);
void shim_console_socket_remove (Shim *s);
/* Block SIGCHLD/TERM/INT/QUIT and watch them through a signalfd. */
bool shim_signals_setup (Shim *s, sigset_t *ret_orig_mask, GError **error);
/* Reap children; dispatches the runtime's and the container's exits. */
void shim_reap (Shim *s);
/* Adopt mode: pid is already our child. */
void shim_adopted (Shim *s, pid_t pid);
/* Runs --exit-command (after --exit-delay), reaps everything; the shim's exit code. */
int shim_run_exit_command (Shim *s, const sigset_t *orig_mask);
