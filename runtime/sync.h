/* The parent <-> container-init protocol over a SOCK_STREAM socketpair:
 * messages of {u32 type, u32 length, payload}.  Payloads are bounded. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum
{
  SYNC_GO = 1,             /* parent -> init: ids mapped, cgroup joined; payload: state JSON */
  SYNC_CREATE_RUNTIME,     /* init -> parent: namespaces ready, run prestart/createRuntime hooks */
  SYNC_CREATE_RUNTIME_DONE,/* parent -> init */
  SYNC_CONSOLE,            /* init -> parent: pty master attached (SCM_RIGHTS), `run` only */
  SYNC_READY,              /* init -> parent: waiting for start */
  SYNC_START,              /* parent -> init: exec now (`run` only) */
  SYNC_ERROR,              /* init -> parent: payload is the one-line error */
  SYNC_SECCOMP,            /* init/exec child -> parent: seccomp notify fd (SCM_RIGHTS) for listenerPath */
} SyncType;

#define SYNC_PAYLOAD_MAX (1024 * 1024)

bool sync_send (int fd, SyncType type, const char *payload, GError **error);
/* Receive one message; *ret_payload is NUL-terminated (may be NULL if empty). */
bool sync_recv (int fd, SyncType *ret_type, char **ret_payload, GError **error);
/* Receive and require a type; a SYNC_ERROR becomes the error. */
bool sync_expect (int fd, SyncType type, char **ret_payload, GError **error);
