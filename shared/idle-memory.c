/* Giving start-up memory back before a daemon goes idle (mainloop.h). */
#include "mainloop.h"

#include <link.h>
#include <malloc.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef struct
{
  uintptr_t start, end;
} Range;

typedef struct
{
  Range r[8];
  int n;
} Ranges;

static uintptr_t
page_down (uintptr_t a, uintptr_t page)
{
  return a & ~(page - 1);
}

/* dl_iterate_phdr callback: the first object is the main executable, and a
 * non-zero return ends the walk there. */
static int
collect_readonly_segments (struct dl_phdr_info *info, size_t size G_GNUC_UNUSED, void *data)
{
  Ranges *out = data;
  uintptr_t page = (uintptr_t) sysconf (_SC_PAGESIZE);
  for (int i = 0; i < info->dlpi_phnum && out->n < (int) G_N_ELEMENTS (out->r); i++)
    {
      const ElfW (Phdr) *ro = &info->dlpi_phdr[i];
      if (ro->p_type != PT_LOAD || (ro->p_flags & PF_W))
        continue;
      uintptr_t start = page_down (info->dlpi_addr + ro->p_vaddr, page);
      uintptr_t end = page_down (info->dlpi_addr + ro->p_vaddr + ro->p_memsz + page - 1, page);
      /* A read-only segment may share its last page with the writable one
       * after it, whose relocated data is private to this process: stop at
       * the first page of any writable segment. */
      for (int j = 0; j < info->dlpi_phnum; j++)
        {
          const ElfW (Phdr) *rw = &info->dlpi_phdr[j];
          if (rw->p_type != PT_LOAD || !(rw->p_flags & PF_W))
            continue;
          uintptr_t rw_start = page_down (info->dlpi_addr + rw->p_vaddr, page);
          uintptr_t rw_end = info->dlpi_addr + rw->p_vaddr + rw->p_memsz;
          if (rw_start < end && rw_end > start)
            end = MAX (rw_start, start);
        }
      if (end > start)
        out->r[out->n++] = (Range) { start, end };
    }
  return 1;
}

/* Every fault on file-backed code maps a whole fault-around window (64 KiB by
 * default), so the work between the unmapping and the next block is kept to
 * this function and libc's syscall(): raw syscalls, nothing else called. */
static void
unmap_ranges (const Ranges *ranges)
{
  for (int i = 0; i < ranges->n; i++)
    syscall (SYS_madvise, ranges->r[i].start, ranges->r[i].end - ranges->r[i].start, MADV_DONTNEED);
}

static Ranges
readonly_segments (void)
{
  Ranges ranges = { .n = 0 };
  dl_iterate_phdr (collect_readonly_segments, &ranges);
  return ranges;
}

static bool release_pending;

static gint
poll_releasing_first (GPollFD *fds, guint n_fds, gint timeout)
{
  /* Only before a long wait (not a short timer, as the shim's output pacing
   * sets), and only once nothing is ready (GLib's own wake-up fd often is). */
  if (!release_pending || (timeout >= 0 && timeout < 1000))
    return g_poll (fds, n_fds, timeout);
  gint ready = g_poll (fds, n_fds, 0);
  if (ready != 0)
    return ready;
  release_pending = false;
  malloc_trim (0);
  Ranges ranges = readonly_segments ();
  struct timespec ts = { timeout / 1000, (timeout % 1000) * 1000000L };
  G_STATIC_ASSERT (sizeof (GPollFD) == sizeof (struct pollfd));
  unmap_ranges (&ranges);
  return (gint) syscall (SYS_ppoll, (struct pollfd *) fds, (nfds_t) n_fds, timeout < 0 ? NULL : &ts, NULL, 0);
}

void
berth_release_idle_memory_before_next_wait (void)
{
  release_pending = true;
  g_main_context_set_poll_func (NULL, poll_releasing_first);
}
