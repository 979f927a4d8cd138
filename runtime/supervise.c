/* A foreground `run` or `exec`: this process stays the parent, relays the
 * terminal, forwards signals and returns the exit status. */
#include "supervise.h"

#include "console.h"

#include "proc.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

int
berth_supervise_signals (void)
{
  /* Block every signal we forward before cloning: the child unblocks them. */
  sigset_t mask;
  sigfillset (&mask);
  sigdelset (&mask, SIGSEGV);
  sigdelset (&mask, SIGBUS);
  sigdelset (&mask, SIGILL);
  sigdelset (&mask, SIGFPE);
  sigdelset (&mask, SIGABRT);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  return signalfd (-1, &mask, SFD_CLOEXEC);
}


typedef struct
{
  bool active;
  struct termios saved;
} RawMode;

static void
raw_mode_restore (RawMode *r)
{
  if (r->active)
    tcsetattr (STDIN_FILENO, TCSANOW, &r->saved);
}

static void
copy_window_size (int master)
{
  struct winsize ws;
  if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
    ioctl (master, TIOCSWINSZ, &ws);
}


static int
exit_code_of (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 1;
}

int
berth_supervise (pid_t pid, int pidfd, int console_master, int sigfd)
{
  __attribute__ ((cleanup (raw_mode_restore))) RawMode raw = { 0 };
  bool stdin_open = console_master >= 0;
  if (console_master >= 0 && isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &raw.saved) == 0)
    {
      struct termios t = raw.saved;
      cfmakeraw (&t);
      raw.active = tcsetattr (STDIN_FILENO, TCSANOW, &t) == 0;
      copy_window_size (console_master);
    }
  bool master_open = console_master >= 0;
  for (;;)
    {
      struct pollfd pfds[3] = {
        { .fd = sigfd, .events = POLLIN },
        { .fd = master_open ? console_master : -1, .events = POLLIN },
        { .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
      };
      if (poll (pfds, 3, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return 1;
        }
      if (pfds[1].revents)
        master_open = berth_relay_chunk (console_master, STDOUT_FILENO);
      if (pfds[2].revents && !berth_relay_chunk (STDIN_FILENO, console_master))
        stdin_open = false;
      if (!(pfds[0].revents & POLLIN))
        continue;
      struct signalfd_siginfo si;
      if (read (sigfd, &si, sizeof si) != sizeof si)
        continue;
      if (si.ssi_signo == SIGWINCH)
        {
          if (console_master >= 0)
            copy_window_size (console_master);
          continue;
        }
      if (si.ssi_signo != SIGCHLD)
        {
          berth_pidfd_send_signal (pidfd, (int) si.ssi_signo);
          continue;
        }
      int status;
      pid_t r = waitpid (pid, &status, WNOHANG);
      if (r == pid)
        {
          while (master_open && berth_relay_chunk (console_master, STDOUT_FILENO))
            ;
          return exit_code_of (status);
        }
    }
}

