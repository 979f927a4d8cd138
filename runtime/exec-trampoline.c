/* berth's exec trampoline: a tiny freestanding static program that berth
 * runs from a sealed memfd as the last step before the container process
 * (see exe-protect.h for why).  No libc: raw syscalls, x86_64 and aarch64.
 *
 *   argv = { "berth-exec-trampoline", REPORT_FD, MODE, PATH, ARGV0, ARGS... }
 *
 * It marks REPORT_FD close-on-exec and execve(PATH, ARGV0..., envp).  When
 * that fails it reports `exec "ARGV0": <strerror>` on REPORT_FD, framed as
 * MODE says ("S": a sync.h SYNC_ERROR message, "E": "E" + text as `start`
 * reads it, "-": no fd), and exits 1 -- what the container init would have
 * done itself.  Run in any other way (e.g. as the interpreter of a
 * `#!/proc/self/exe` script) it refuses and exits 127 instead of exec'ing
 * again, so such a script cannot loop. */
#include <asm/unistd.h>
#include <stddef.h>
#include <stdint.h>

#define MAGIC "berth-exec-trampoline"
#define F_SETFD 2
#define FD_CLOEXEC 1
#define SYNC_ERROR 7 /* sync.h */

#if defined(__x86_64__)
__asm__ (".text\n.global _start\n_start:\n xor %rbp,%rbp\n mov %rsp,%rdi\n and $-16,%rsp\n call tramp_main\n hlt\n");
static long
sys3 (long n, long a, long b, long c)
{
  long r;
  __asm__ volatile ("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}
#elif defined(__aarch64__)
__asm__ (".text\n.global _start\n_start:\n mov x0, sp\n bl tramp_main\n brk #0\n");
static long
sys3 (long n, long a, long b, long c)
{
  register long x8 __asm__ ("x8") = n;
  register long x0 __asm__ ("x0") = a;
  register long x1 __asm__ ("x1") = b;
  register long x2 __asm__ ("x2") = c;
  __asm__ volatile ("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}
#else
#error "exec-trampoline: unsupported architecture"
#endif

static size_t
slen (const char *s)
{
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

static int
seq (const char *a, const char *b)
{
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}

/* glibc's wording, so the message is the one berth_fail_errno would give. */
static const char *
error_text (long err)
{
  switch (err)
    {
    case 1: return "Operation not permitted";
    case 2: return "No such file or directory";
    case 5: return "Input/output error";
    case 7: return "Argument list too long";
    case 8: return "Exec format error";
    case 12: return "Cannot allocate memory";
    case 13: return "Permission denied";
    case 14: return "Bad address";
    case 20: return "Not a directory";
    case 21: return "Is a directory";
    case 22: return "Invalid argument";
    case 26: return "Text file busy";
    case 36: return "File name too long";
    case 38: return "Function not implemented";
    case 40: return "Too many levels of symbolic links";
    case 80: return "Accessing a corrupted shared library";
    default: return "exec failed";
    }
}

static char buf[4200];
static size_t blen;

static void
put (const char *s)
{
  size_t n = slen (s);
  if (blen + n > sizeof buf - 1)
    n = sizeof buf - 1 - blen;
  for (size_t i = 0; i < n; i++)
    buf[blen + i] = s[i];
  blen += n;
}

static void
write_all (long fd, const char *p, size_t n)
{
  while (n > 0)
    {
      long r = sys3 (__NR_write, fd, (long) p, (long) n);
      if (r == -4) /* EINTR */
        continue;
      if (r <= 0)
        return;
      p += r;
      n -= (size_t) r;
    }
}

static long
parse_fd (const char *s)
{
  long v = 0;
  if (seq (s, "-"))
    return -1;
  for (; *s; s++)
    {
      if (*s < '0' || *s > '9' || v > 100000000)
        return -2;
      v = v * 10 + (*s - '0');
    }
  return v;
}

__attribute__ ((noreturn)) static void
die (long code)
{
  for (;;)
    sys3 (__NR_exit_group, code, 0, 0);
}

__attribute__ ((noreturn, used)) void
tramp_main (long *sp)
{
  long argc = sp[0];
  char **argv = (char **) (sp + 1);
  char **envp = argv + argc + 1;
  long fd = argc >= 5 && seq (argv[0], MAGIC) ? parse_fd (argv[1]) : -2;
  if (fd == -2)
    {
      static const char msg[] = "berth: refusing to run the exec trampoline outside berth\n";
      write_all (2, msg, sizeof msg - 1);
      die (127);
    }
  if (fd >= 0)
    sys3 (__NR_fcntl, fd, F_SETFD, FD_CLOEXEC);
  long err = -sys3 (__NR_execve, (long) argv[3], (long) (argv + 4), (long) envp);
  if (fd >= 0)
    {
      char mode = argv[2][0];
      uint32_t hdr[2];
      blen = 0;
      if (mode == 'E')
        put ("E");
      put ("exec \"");
      put (argv[4]);
      put ("\": ");
      put (error_text (err));
      if (mode == 'S')
        {
          hdr[0] = SYNC_ERROR;
          hdr[1] = (uint32_t) blen;
          write_all (fd, (const char *) hdr, sizeof hdr);
        }
      write_all (fd, buf, blen);
    }
  die (1);
}
