/* Compiled into every program of a sanitizer build (meson -Db_sanitize=...,
 * see the top-level meson.build): the sanitizers' default options, so that
 * berth, berth-shim, berth-monitor and the tests report the same way whoever
 * starts them.  Podman starts berth-shim with an environment of its own and
 * the shim's stderr is /dev/null, so every report goes to a file in
 * BERTH_SANITIZER_LOG_DIR (tests/ci/sanitize-lane.sh counts them) and ends the
 * process (abort), which fails the test that ran it.  ASAN_OPTIONS,
 * UBSAN_OPTIONS and LSAN_OPTIONS in the environment still override these. */
#include <sys/stat.h>

const char *__asan_default_options (void);
const char *__ubsan_default_options (void);
int __lsan_is_turned_off (void);

const char *
__asan_default_options (void)
{
  return "log_path=" BERTH_SANITIZER_LOG_DIR "/asan:abort_on_error=1:halt_on_error=1:print_stacktrace=1"
         ":detect_leaks=1:fast_unwind_on_malloc=0:strict_string_checks=1";
}

const char *
__ubsan_default_options (void)
{
  return "log_path=" BERTH_SANITIZER_LOG_DIR "/ubsan:abort_on_error=1:halt_on_error=1:print_stacktrace=1";
}

/* LeakSanitizer stops the world at exit through a tracer it clone()s.  In a
 * process that setns()ed into a container's pid namespace (berth exec joins
 * it for its child), that tracer is born in the container's pid namespace,
 * cannot see its parent, and the check spins forever (observed: berth exec
 * in __sanitizer::StopTheWorld).  Such a process skips the exit leak check. */
int
__lsan_is_turned_off (void)
{
  struct stat own, children;
  if (stat ("/proc/self/ns/pid", &own) == 0 && stat ("/proc/self/ns/pid_for_children", &children) == 0
      && (own.st_ino != children.st_ino || own.st_dev != children.st_dev))
    return 1;
  return 0;
}
