/* Seccomp filter preparation in the runtime (before clone) and the hand-over
 * of notify fds to linux.seccomp.listenerPath. */
#include "seccomp-notify.h"
#include "console.h"

#include "error.h"
#include "json.h"
#include "seccomp.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LISTENER_MESSAGE_MAX (64 * 1024)

GBytes *
berth_seccomp_compile_for (const BerthSeccomp *seccomp, int state_root_fd, GError **error)
{
  if (state_root_fd >= 0)
    {
      if (mkdirat (state_root_fd, ".seccomp-cache", 0700) < 0 && errno != EEXIST)
        return berth_seccomp_compile (seccomp, error);
      berth_autofd int cache = openat (state_root_fd, ".seccomp-cache", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (cache >= 0)
        return berth_seccomp_compile_cached (seccomp, cache, error);
    }
  return berth_seccomp_compile (seccomp, error);
}

static char *
listener_message (const BerthSeccomp *seccomp, pid_t pid, const char *state_json, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, state_json, -1, NULL))
    return berth_fail (error, ".linux.seccomp.listenerPath: invalid state"), NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ociVersion");
  json_builder_add_string_value (b, "1.2.0");
  json_builder_set_member_name (b, "fds");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "seccompFd");
  json_builder_end_array (b);
  json_builder_set_member_name (b, "pid");
  json_builder_add_int_value (b, pid);
  json_builder_set_member_name (b, "metadata");
  json_builder_add_string_value (b, seccomp->listenerMetadata ? seccomp->listenerMetadata : "");
  json_builder_set_member_name (b, "state");
  json_builder_add_value (b, json_node_copy (json_parser_get_root (parser)));
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, false);
}

bool
berth_seccomp_notify_send (const BerthSeccomp *seccomp, int notify_fd, pid_t pid, const char *state_json,
                           GError **error)
{
  const char *path = seccomp->listenerPath;
  if (path == NULL || *path == '\0')
    return berth_fail (error, ".linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY");
  g_autofree char *msg = listener_message (seccomp, pid, state_json, error);
  if (msg == NULL)
    return false;
  size_t len = strlen (msg);
  if (len > LISTENER_MESSAGE_MAX)
    return berth_fail_code (error, EMSGSIZE, ".linux.seccomp.listenerPath: state too large (%zu bytes)", len);
  berth_autofd int sock = berth_unix_connect (path, error);
  if (sock < 0)
    return g_prefix_error (error, ".linux.seccomp.listenerPath: "), false;
  struct iovec iov = { .iov_base = msg, .iov_len = len };
  union { char buf[CMSG_SPACE (sizeof (int))]; struct cmsghdr align; } u;
  memset (&u, 0, sizeof u);
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *cmsg = CMSG_FIRSTHDR (&m);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cmsg), &notify_fd, sizeof (int));
  ssize_t n;
  while ((n = sendmsg (sock, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
    ;
  if (n < 0)
    return berth_fail_errno (error, errno, ".linux.seccomp.listenerPath: send to %s", path);
  if ((size_t) n < len && !berth_write_all (sock, msg + n, len - (size_t) n))
    return berth_fail_errno (error, errno, ".linux.seccomp.listenerPath: send to %s", path);
  return true;
}
