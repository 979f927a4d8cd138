/* berth-shim: a per-container supervisor that speaks conmon's interface
 * (../shared/notes/conmon-interface.md).  One fd-driven GLib main loop,
 * signals through signalfd, no threads.  All state of one run lives in a
 * Shim passed to every module (no file-scope mutable globals). */
#pragma once
#include <glib.h>
#include <glib-unix.h>
#include "mainloop.h"
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#define SHIM_STDIO_BUF_SIZE 8192          /* max payload of one attach packet (podman reads 8193) */
#define SHIM_READ_BUF_SIZE (256 * 1024)   /* one read of container output (one log timestamp) */
#define SHIM_PIPE_SIZE (1024 * 1024)      /* F_SETPIPE_SZ of the output pipes: fewer wakeups */
#define SHIM_CONN_BUF_SIZE 32768          /* one attach input packet */
#define SHIM_CLIENT_QUEUE_MAX (1u << 20)  /* per attach client, beyond that packets are dropped */
#define SHIM_STDIN_QUEUE_MAX (1u << 20)   /* input waiting for the container's stdin */
#define SHIM_MAX_ATTACH_CLIENTS 64

typedef enum { SHIM_LOG_K8S_FILE, SHIM_LOG_JOURNALD, SHIM_LOG_PASSTHROUGH, SHIM_LOG_NONE } ShimLogDriver;

typedef struct
{
  /* identity */
  char *cid, *cuuid, *name;
  /* runtime call */
  char *runtime, *bundle, *container_pidfile;
  char **runtime_args, **runtime_opts;
  bool no_pivot, no_new_keyring, systemd_cgroup;
  bool exec; char *exec_process_spec; bool exec_attach;
  char *restore;
  /* stdio */
  bool terminal, stdin_, leave_stdin_open;
  /* files */
  char *conmon_pidfile, *exit_dir, *persist_dir, *socket_dir_path;
  bool full_attach;
  /* logs */
  char **log_paths;
  int64_t log_size_max;
  char *log_tag; char **log_labels;
  char *log_level; int msg_level; bool syslog; bool no_sync_log;
  /* exit */
  char *exit_command; char **exit_command_args; int64_t exit_delay;
  int64_t timeout;
  /* misc */
  char *sdnotify_socket; bool replace_listen_pid;
  bool api_version;   /* --api-version given: sync messages use "data" */
  bool sync;          /* --sync: do not fork away from the caller */
  bool version;
  /* adopt mode (berth run -d / create --shim) */
  int64_t adopt_pid;
  char *state_dir;
  int64_t console_fd;
} ShimOptions;

void shim_options_clear (ShimOptions *o);
/* Parses argv (modifies it).  false with a one-line error on bad usage. */
bool shim_options_parse (ShimOptions *o, int *argc, char ***argv, GError **error);

/* ---- the shim's own messages (messages.c): --log-level, stderr, --syslog */
enum { SHIM_MSG_ERROR, SHIM_MSG_WARNING, SHIM_MSG_INFO, SHIM_MSG_DEBUG, SHIM_MSG_TRACE };
typedef struct
{
  int level;          /* SHIM_MSG_*: messages above it are dropped */
  bool syslog;
  char cid[21];       /* conmon prints at most 20 characters of it */
  int fd;             /* syslog socket, connected at the first message */
} ShimMessages;
/* conmon's level names (case-insensitive; NULL = warning). */
bool shim_messages_parse_level (const char *name, int *ret, GError **error);
/* Routes GLib's log (g_critical..g_debug) through m. */
void shim_messages_setup (ShimMessages *m, int level, bool use_syslog, const char *cid);
void shim_messages_close (ShimMessages *m);

/* ---- logging (log.c) */
typedef struct ShimLogSink ShimLogSink;
typedef struct
{
  GPtrArray *sinks;       /* ShimLogSink* */
  uint64_t dropped_bytes; /* lost to write errors (ENOSPC...) */
} ShimLogs;

typedef enum { SHIM_STREAM_STDIN = 1, SHIM_STREAM_STDOUT = 2, SHIM_STREAM_STDERR = 3 } ShimStream;

bool shim_logs_open (ShimLogs *logs, const ShimOptions *o, GError **error);
bool shim_logs_passthrough (const ShimLogs *logs);
void shim_logs_write (ShimLogs *logs, ShimStream stream, const char *buf, size_t len);
void shim_logs_reopen (ShimLogs *logs);
void shim_logs_sync (ShimLogs *logs);
void shim_logs_close (ShimLogs *logs);

/* k8s-file formatting (k8s-log.c), exposed for unit tests.  Formats one read
 * chunk into records "<ts> <stream> F|P <line>\n", calling emit for each
 * block of output.  ts is the RFC 3339 nano timestamp (local time). */
size_t shim_k8s_timestamp (char *buf, size_t size, const struct timespec *ts);
typedef bool (*ShimEmitFn) (void *user, const struct iovec *iov, int iovcnt);
bool shim_k8s_format (const char *ts, const char *stream, const char *buf, size_t len,
                      char *scratch, size_t scratch_size, ShimEmitFn emit, void *user);
#define SHIM_K8S_SCRATCH_SIZE (256 * 1024)

/* ---- attach (attach.c) */
typedef struct Shim Shim;
bool shim_attach_listen (Shim *s, GError **error);
void shim_attach_accept_pending (Shim *s);
void shim_attach_broadcast (Shim *s, ShimStream stream, const char *buf, size_t len);
void shim_attach_close_all (Shim *s);
void shim_attach_pause_input (Shim *s, bool paused);

/* ---- ctl/winsz fifos (ctl.c) */
bool shim_ctl_open (Shim *s, GError **error);
/* Parse one line "<type> <a> <b>" (or "2"); false when malformed. */
bool shim_ctl_parse_line (const char *line, int *ret_type, int *ret_a, int *ret_b);

/* ---- oom (oom.c) */
typedef struct
{
  int counter_fd;     /* memory.oom_control (v1) or memory.events (v2) */
  int event_fd;       /* v1 eventfd registered through cgroup.event_control, else -1 */
  uint64_t baseline;  /* oom_kill counter when the watch started */
  bool seen;
} ShimOom;
void shim_oom_init (ShimOom *oom);
bool shim_oom_watch (ShimOom *oom, pid_t pid, GError **error);
/* true when the counter moved (or an event arrived) since the watch started. */
bool shim_oom_check (ShimOom *oom);
void shim_oom_clear (ShimOom *oom);
/* Parse "oom_kill N" out of memory.oom_control / memory.events text. */
bool shim_oom_parse_counter (const char *text, uint64_t *ret);

/* ---- files (files.c) */
bool shim_atomic_write (const char *dir, const char *name, const char *data, GError **error);
bool shim_write_pidfile (const char *path, pid_t pid, GError **error);
/* The sync-pipe line: {"data": N} or {"data": N, "message": "..."} (key pid/exit_code w/o api) */
char *shim_sync_line (bool api_version, const char *key0, int64_t value, const char *message);

/* ---- sd_notify relay (sdnotify.c) */
bool shim_sdnotify_listen (Shim *s, GError **error);

/* ---- recvtty (recvtty.c) */
int shim_recvtty_main (int argc, char **argv);

/* ---- the supervisor */
typedef struct AttachClient AttachClient;
struct Shim
{
  ShimOptions *o;
  ShimMessages messages;
  GMainLoop *loop;
  ShimLogs logs;
  ShimOom oom;

  int sync_fd, start_fd, attach_pipe_fd;
  int sigfd;
  /* container side */
  int stdin_fd, stdout_fd, stderr_fd;   /* our ends (pipes or pty master; stdout==pty) */
  guint stdout_src, stderr_src, stdin_src;
  GByteArray *stdin_queue;
  char *read_buf;                        /* SHIM_READ_BUF_SIZE, allocated at the first output */
  bool stdin_close_pending;
  int console_listen_fd; char *console_dir, *console_path; guint console_src;
  unsigned short pending_rows, pending_cols;  /* a resize that came before the pty master, 0 0 none */
  /* attach */
  int attach_fd; guint attach_src; char *attach_path;
  GPtrArray *clients;                    /* AttachClient* */
  /* ctl */
  int ctl_fd, ctl_wfd, winsz_fd, winsz_wfd; guint ctl_src, winsz_src;
  char ctl_buf[256]; size_t ctl_len;
  char winsz_buf[256]; size_t winsz_len;
  /* processes */
  pid_t runtime_pid; int runtime_status; bool runtime_done;
  pid_t container_pid; int container_status; bool container_done;
  GHashTable *early_exits;               /* pid -> status reaped before the pid was known */
  bool timed_out, runtime_failed;
  int exit_code;
};

void shim_stdin_flush (Shim *s);
void shim_stdin_shutdown (Shim *s);
void shim_resize (Shim *s, int rows, int cols);
