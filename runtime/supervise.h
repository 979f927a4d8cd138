#pragma once
#include <sys/types.h>

/* Block the forwarded signals and return a signalfd for them (call before
 * cloning the child). */
int berth_supervise_signals (void);
/* Relay the pty (console_master >= 0) with our stdio in raw mode, forward
 * signals to pidfd, reap pid; returns its exit code (128+signal if killed). */
int berth_supervise (pid_t pid, int pidfd, int console_master, int sigfd);
