/* CVE-2019-5736: the container must never get a writable handle on the host
 * berth binary.
 *
 * The threat.  The container init (and an `exec` child) is a clone of the
 * berth process, so until its final execve its /proc/self/exe is the host
 * berth binary.  It is non-dumpable meanwhile (CVE-2016-9962), so other
 * container processes cannot open /proc/<init>/exe.  But the final execve
 * resolves paths with the init's own /proc/self: an image whose entrypoint is
 * `#!/proc/self/exe` (or args ["/proc/self/exe"]) makes the kernel execute
 * the host berth binary inside the container, and that new process is
 * dumpable again.  Another container process opens /proc/<pid>/exe (O_PATH
 * or O_RDONLY), waits until it exits (ETXTBSY), reopens the fd for writing
 * through /proc/self/fd/N and replaces the binary root runs next.
 *
 * Options weighed (cost measured on `run` of /bin/true, see the report):
 *  (a) runc <= 1.1: re-exec berth itself from a sealed memfd copy.  Effective,
 *      but copies ~1 MB and pays a second dynamic-linker start (glib,
 *      json-glib, libseccomp, libcap) and a state hand-over on every run.
 *  (b) refuse to exec a target that is the berth binary: not sufficient
 *      (shebang chains up to 4 levels, files swapped by other container
 *      processes between the check and the exec).
 *  (c) a read-only bind mount of the binary: only protects a process that
 *      was exec'd from that mount, so it also needs a re-exec of berth
 *      (runc 1.2's fallback); PR_SET_MM_EXE_FILE cannot replace the exe of
 *      a process that still maps it (EBUSY) and needs CAP_SYS_RESOURCE.
 *  (d) chosen: the last execve is made by a ~10 KB freestanding static
 *      trampoline (exec-trampoline.c) embedded in berth, written into a
 *      memfd sealed against writes/resizes (F_SEAL_SEAL|SHRINK|GROW|WRITE)
 *      in the parent before clone, and run with execveat(AT_EMPTY_PATH).
 *      From then on /proc/self/exe of every container process is that
 *      per-container sealed memfd: a `#!/proc/self/exe` image runs the
 *      trampoline (which refuses and exits 127), and a handle on it is
 *      useless for writing (EPERM from the seals; and it is a private copy
 *      anyway).  The host binary is never the exe of any process that has
 *      been dumpable inside the container.  Cost: one memfd (~10 KB write,
 *      seals) and one extra execve of a static binary without a dynamic
 *      linker: tens of microseconds.
 *
 * The trampoline keeps berth's error reporting: if its execve fails it sends
 * the same one-line error the init would have sent.  A seccomp profile must
 * allow execveat as well as execve (every known default profile does). */
#pragma once
#include <glib.h>
#include <stdbool.h>

/* In the parent, before clone: a sealed, close-on-exec memfd holding the
 * trampoline.  -1 with *error set on failure. */
int berth_exe_protect_open (GError **error);

/* How the trampoline reports a failed execve on report_fd. */
typedef enum
{
  BERTH_EXEC_REPORT_NONE = '-', /* report_fd unused */
  BERTH_EXEC_REPORT_SYNC = 'S', /* a SYNC_ERROR message (sync.h) */
  BERTH_EXEC_REPORT_LINE = 'E', /* "E" + message, as `start` reads it */
} BerthExecReport;

/* In the container process, as its last call: run the user's executable
 * `path` with argv/envp through the trampoline in tramp_fd.  report_fd is
 * kept open across the first exec (whatever its close-on-exec flag) and
 * closed by the second.  Returns only on failure, with errno set (the
 * caller reports it as a failed exec of the user's binary). */
void berth_exe_protect_execve (int tramp_fd, int report_fd, BerthExecReport mode, const char *path,
                               char *const argv[], char *const envp[]);
