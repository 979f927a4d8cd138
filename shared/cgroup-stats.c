/* Stats readers used by berth-monitor (and `berth events --stats`): cpu,
 * memory, pids from v1 or v2 files, and an OOM notification fd. */
#include "cgroup-stats.h"
#include "cgroup-internal.h"
#include "json-out.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static uint64_t
read_u64 (const char *dir, const char *file)
{
  if (dir == NULL)
    return 0;
  g_autofree char *v = berth_cgroup_read (dir, file);
  uint64_t n = 0;
  if (v == NULL)
    return 0;
  if (strcmp (v, "max") == 0)
    return UINT64_MAX;
  berth_parse_uint64 (v, UINT64_MAX, &n);
  return n;
}

/* "key value" lines into a table of uint64_t. */
static GHashTable *
read_keyed (const char *dir, const char *file)
{
  GHashTable *t = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *text = dir ? berth_cgroup_read (dir, file) : NULL;
  g_auto (GStrv) lines = g_strsplit (text ? text : "", "\n", -1);
  for (char **l = lines; *l; l++)
    {
      char *sp = strchr (*l, ' ');
      uint64_t v;
      if (sp == NULL || !berth_parse_uint64 (sp + 1, UINT64_MAX, &v))
        continue;
      g_hash_table_insert (t, g_strndup (*l, sp - *l), g_memdup2 (&v, sizeof v));
    }
  return t;
}

static uint64_t
keyed (GHashTable *t, const char *key)
{
  const uint64_t *v = g_hash_table_lookup (t, key);
  return v ? *v : 0;
}

void
berth_cgroup_stats_clear (BerthCgroupStats *s)
{
  g_clear_pointer (&s->memory_stat, g_hash_table_unref);
  memset (s, 0, sizeof *s);
}

bool
berth_cgroup_stats (BerthCgroup *cg, BerthCgroupStats *s, GError **error)
{
  memset (s, 0, sizeof *s);
  if (cg->mode == BERTH_CGROUP_V2)
    {
      const char *d = cg->unified_dir;
      if (access (d, F_OK) != 0)
        return berth_fail_errno (error, errno, "cgroup stats: %s", d);
      g_autoptr (GHashTable) cpu = read_keyed (d, "cpu.stat");
      s->cpu_usage_ns = keyed (cpu, "usage_usec") * 1000;
      s->cpu_user_ns = keyed (cpu, "user_usec") * 1000;
      s->cpu_system_ns = keyed (cpu, "system_usec") * 1000;
      s->cpu_periods = keyed (cpu, "nr_periods");
      s->cpu_throttled_periods = keyed (cpu, "nr_throttled");
      s->cpu_throttled_ns = keyed (cpu, "throttled_usec") * 1000;
      s->memory_usage = read_u64 (d, "memory.current");
      s->memory_limit = read_u64 (d, "memory.max");
      s->memory_max_usage = read_u64 (d, "memory.peak");
      s->memory_swap_usage = read_u64 (d, "memory.swap.current");
      s->memory_swap_limit = read_u64 (d, "memory.swap.max");
      g_autoptr (GHashTable) ev = read_keyed (d, "memory.events");
      s->memory_failcnt = keyed (ev, "max");
      s->memory_oom_kill = keyed (ev, "oom_kill");
      s->memory_stat = read_keyed (d, "memory.stat");
      s->memory_cache = keyed (s->memory_stat, "file");
      s->pids_current = read_u64 (d, "pids.current");
      s->pids_limit = read_u64 (d, "pids.max");
      return true;
    }
  const char *acct = berth_cgroup_v1_dir (cg, "cpuacct");
  const char *cpu = berth_cgroup_v1_dir (cg, "cpu");
  const char *mem = berth_cgroup_v1_dir (cg, "memory");
  const char *pids = berth_cgroup_v1_dir (cg, "pids");
  if (mem != NULL && access (mem, F_OK) != 0)
    return berth_fail_errno (error, errno, "cgroup stats: %s", mem);
  s->cpu_usage_ns = read_u64 (acct, "cpuacct.usage");
  g_autoptr (GHashTable) ticks = read_keyed (acct, "cpuacct.stat");
  long hz = sysconf (_SC_CLK_TCK);
  uint64_t ns_per_tick = hz > 0 ? 1000000000ull / (uint64_t) hz : 10000000ull;
  s->cpu_user_ns = keyed (ticks, "user") * ns_per_tick;
  s->cpu_system_ns = keyed (ticks, "system") * ns_per_tick;
  g_autoptr (GHashTable) cs = read_keyed (cpu, "cpu.stat");
  s->cpu_periods = keyed (cs, "nr_periods");
  s->cpu_throttled_periods = keyed (cs, "nr_throttled");
  s->cpu_throttled_ns = keyed (cs, "throttled_time");
  s->memory_usage = read_u64 (mem, "memory.usage_in_bytes");
  s->memory_limit = read_u64 (mem, "memory.limit_in_bytes");
  s->memory_max_usage = read_u64 (mem, "memory.max_usage_in_bytes");
  s->memory_failcnt = read_u64 (mem, "memory.failcnt");
  s->memory_swap_usage = read_u64 (mem, "memory.memsw.usage_in_bytes");
  s->memory_swap_limit = read_u64 (mem, "memory.memsw.limit_in_bytes");
  g_autoptr (GHashTable) oom = read_keyed (mem, "memory.oom_control");
  s->memory_oom_kill = keyed (oom, "oom_kill");
  s->memory_stat = read_keyed (mem, "memory.stat");
  s->memory_cache = keyed (s->memory_stat, "cache");
  s->pids_current = read_u64 (pids, "pids.current");
  s->pids_limit = read_u64 (pids, "pids.max");
  return true;
}

int
berth_cgroup_oom_fd (BerthCgroup *cg, bool *ret_is_eventfd, GError **error)
{
  if (cg->mode == BERTH_CGROUP_V2)
    {
      g_autofree char *path = g_build_filename (cg->unified_dir, "memory.events", NULL);
      int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return berth_fail_errno (error, errno, "cgroup: open %s", path), -1;
      *ret_is_eventfd = false;
      return fd;
    }
  const char *mem = berth_cgroup_v1_dir (cg, "memory");
  if (mem == NULL)
    return berth_fail_code (error, ENOTSUP, "cgroup: the memory controller is not mounted"), -1;
  g_autofree char *oc = g_build_filename (mem, "memory.oom_control", NULL);
  berth_autofd int oc_fd = open (oc, O_RDONLY | O_CLOEXEC);
  if (oc_fd < 0)
    return berth_fail_errno (error, errno, "cgroup: open %s", oc), -1;
  berth_autofd int efd = eventfd (0, EFD_CLOEXEC);
  if (efd < 0)
    return berth_fail_errno (error, errno, "cgroup: eventfd"), -1;
  g_autofree char *line = g_strdup_printf ("%d %d", efd, oc_fd);
  if (!berth_cgroup_write (mem, "cgroup.event_control", line, "cgroup: OOM notification", error))
    return -1;
  *ret_is_eventfd = true;
  return berth_steal_fd (&efd);
}

/* ------------------------------------------------------------------ */
/* runc-format samples (cgroup-stats.h)                                */

enum { D_CPUACCT, D_CPU, D_CPUSET, D_MEMORY, D_PIDS, D_BLKIO, D_HUGETLB, D_UNIFIED, D_COUNT };

struct BerthStatsReader
{
  BerthCgroupMode mode;
  int dfd[D_COUNT];          /* O_PATH dir fds, -1 when absent; v2: all the same fd */
  bool hugetlb_v2;           /* hugetlb.<size>.current/events rather than v1 files */
  char **hugepage_sizes;     /* sorted, as runc's map keys */
  GHashTable *files;         /* name -> OpenFile*: kept open, re-read with pread */
  BerthStatsWatchFn watch_fn;  /* config files: re-read only after a change */
  gpointer watch_data;
  char buf[65536];           /* the file being parsed */
};

/* The files a reader has opened: kept open and re-read with pread at offset
 * 0 (cgroup and proc files are seq_files: reading from 0 regenerates them),
 * one syscall per file and sample.  An open cgroup file does not keep the
 * cgroup busy; once it is removed, reads fail with ENODEV. fd -1 = absent. */
typedef struct
{
  char *name;
  int fd;
  int watch;              /* config file watched for changes, -1 */
  bool valid;             /* cached holds the content since the last change */
  char *cached;
} OpenFile;

static void
open_file_free (OpenFile *f)
{
  if (f->fd >= 0)
    close (f->fd);
  g_free (f->cached);
  g_free (f->name);
  g_free (f);
}

static int
open_dir_path (const char *dir)
{
  if (dir == NULL)
    return -1;
  return open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static gint
cmp_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

void
berth_stats_reader_free (BerthStatsReader *r)
{
  if (r == NULL)
    return;
  for (int i = 0; i < D_COUNT; i++)
    {
      if (r->dfd[i] < 0)
        continue;
      bool dup_of_earlier = false;
      for (int j = 0; j < i; j++)
        if (r->dfd[j] == r->dfd[i])
          dup_of_earlier = true;
      if (!dup_of_earlier)
        close (r->dfd[i]);
    }
  g_clear_pointer (&r->files, g_hash_table_unref);
  g_strfreev (r->hugepage_sizes);
  g_free (r);
}

BerthStatsReader *
berth_stats_reader_new (const BerthCgroup *cg, GError **error)
{
  g_autoptr (BerthStatsReader) r = g_new0 (BerthStatsReader, 1);
  for (int i = 0; i < D_COUNT; i++)
    r->dfd[i] = -1;
  r->files = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) open_file_free);
  r->mode = cg->mode;
  r->dfd[D_UNIFIED] = open_dir_path (cg->unified_dir);
  if (cg->mode == BERTH_CGROUP_V2)
    {
      if (r->dfd[D_UNIFIED] < 0)
        return berth_fail_errno (error, errno, "cgroup stats: %s", cg->unified_dir), NULL;
      for (int i = 0; i < D_UNIFIED; i++)
        r->dfd[i] = r->dfd[D_UNIFIED];
      r->hugetlb_v2 = true;
    }
  else
    {
      static const char *const names[] = { "cpuacct", "cpu", "cpuset", "memory", "pids", "blkio" };
      for (int i = 0; i < (int) G_N_ELEMENTS (names); i++)
        r->dfd[i] = open_dir_path (berth_cgroup_v1_dir (cg, names[i]));
      const char *hdir = berth_cgroup_dir (cg, "hugetlb");
      if (hdir != NULL && cg->unified_dir != NULL && strcmp (hdir, cg->unified_dir) == 0)
        {
          r->dfd[D_HUGETLB] = r->dfd[D_UNIFIED];
          r->hugetlb_v2 = true;
        }
      else
        r->dfd[D_HUGETLB] = open_dir_path (hdir);
      if (r->dfd[D_MEMORY] < 0)
        return berth_fail_errno (error, ENOENT, "cgroup stats: memory cgroup of %s", cg->path), NULL;
    }
  r->hugepage_sizes = berth_cgroup_hugepage_sizes ();
  qsort (r->hugepage_sizes, g_strv_length (r->hugepage_sizes), sizeof (char *), cmp_str);
  return g_steal_pointer (&r);
}

/* File names are unique across a cgroup's hierarchies (v2: one directory). */
static int
file_fd (BerthStatsReader *r, int which, const char *name)
{
  OpenFile *f = g_hash_table_lookup (r->files, name);
  if (f != NULL)
    {
      errno = ENOENT;
      return f->fd;
    }
  int fd = r->dfd[which] >= 0 ? openat (r->dfd[which], name, O_RDONLY | O_CLOEXEC | O_NOCTTY) : -1;
  if (fd < 0 && r->dfd[which] >= 0 && errno != ENOENT)
    return -1;              /* transient: try again next time */
  f = g_new0 (OpenFile, 1);
  f->name = g_strdup (name);
  f->fd = fd;
  f->watch = -1;
  g_hash_table_insert (r->files, f->name, f);
  return fd;
}

/* Read dir/name into r->buf (NUL-terminated); NULL when it cannot be read.
 * One pread: a seq_file read returns every record that fits the buffer. */
static const char *
rd (BerthStatsReader *r, int which, const char *name)
{
  int fd = file_fd (r, which, name);
  berth_autofd int once_fd = -1;
  if (fd < 0 && (errno == EMFILE || errno == ENFILE))
    fd = once_fd = openat (r->dfd[which], name, O_RDONLY | O_CLOEXEC | O_NOCTTY);   /* out of fds: open per read */
  if (fd < 0)
    return NULL;
  ssize_t n;
  while ((n = pread (fd, r->buf, sizeof r->buf - 1, 0)) < 0 && errno == EINTR)
    ;
  if (n < 0)
    return NULL;
  r->buf[n] = '\0';
  return r->buf;
}

/* A leading unsigned number ("max" = UINT64_MAX); false when there is none. */
static bool
num (const char *s, uint64_t *v)
{
  if (strncmp (s, "max", 3) == 0)
    {
      *v = UINT64_MAX;
      return true;
    }
  if (*s < '0' || *s > '9')
    return false;
  char *end;
  errno = 0;
  *v = strtoull (s, &end, 10);
  return errno == 0;
}

/* A configuration file (a limit, a cpuset flag): it changes only when
 * written, and a write is an IN_MODIFY on it, so with a watch function its
 * content is read again only after a change (the watch is placed before the
 * first read, so no change is missed). */
static const char *
rd_config (BerthStatsReader *r, int which, const char *name)
{
  if (r->watch_fn == NULL)
    return rd (r, which, name);
  int fd = file_fd (r, which, name);
  OpenFile *f = g_hash_table_lookup (r->files, name);
  if (fd < 0 || f == NULL)
    return NULL;
  if (f->watch < 0 && f->cached == NULL)
    {
      f->watch = r->watch_fn (fd, r->watch_data);
      f->cached = g_strdup ("");    /* marks "watch attempted" */
    }
  if (f->watch >= 0 && f->valid)
    {
      g_strlcpy (r->buf, f->cached, sizeof r->buf);
      return r->buf;
    }
  const char *t = rd (r, which, name);
  if (t != NULL && f->watch >= 0)
    {
      g_free (f->cached);
      f->cached = g_strdup (t);
      f->valid = true;
    }
  return t;
}

static uint64_t
rd_config_u64 (BerthStatsReader *r, int which, const char *name)
{
  const char *t = rd_config (r, which, name);
  uint64_t v = 0;
  return t != NULL && num (t, &v) ? v : 0;
}

void
berth_stats_reader_set_config_watch (BerthStatsReader *r, BerthStatsWatchFn fn, gpointer data)
{
  r->watch_fn = fn;
  r->watch_data = data;
}

void
berth_stats_reader_config_changed (BerthStatsReader *r, int watch)
{
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, r->files);
  while (g_hash_table_iter_next (&it, NULL, &v))
    if (((OpenFile *) v)->watch == watch)
      ((OpenFile *) v)->valid = false;
}

static uint64_t
rd_u64 (BerthStatsReader *r, int which, const char *name, bool *ret_found)
{
  const char *t = rd (r, which, name);
  uint64_t v = 0;
  bool ok = t != NULL && num (t, &v);
  if (ret_found)
    *ret_found = ok;
  return ok ? v : 0;
}

/* The value of "key value" (or "key=value" when sep is '=') in text. */
static uint64_t
keyed_in (const char *text, const char *key, char sep)
{
  size_t kl = strlen (key);
  for (const char *l = text; l != NULL && *l; l = strchr (l, '\n'), l = l ? l + 1 : NULL)
    if (strncmp (l, key, kl) == 0 && l[kl] == sep)
      {
        uint64_t v;
        return num (l + kl + 1, &v) ? v : 0;
      }
  return 0;
}

static void
kv (GString *out, const char *key, uint64_t v)
{
  berth_json_key (out, key);
  berth_json_u64 (out, v);
  g_string_append_c (out, ',');
}

static void
kv_omitempty (GString *out, const char *key, uint64_t v)
{
  if (v != 0)
    kv (out, key, v);
}

static void
close_obj (GString *out, char c)
{
  berth_json_trim_comma (out);
  g_string_append_c (out, c);
  g_string_append_c (out, ',');
}

/* PSI avg: the file's decimal text without trailing zeros ("1.50" -> 1.5,
 * "0.00" -> 0), which is how Go prints the parsed float64. */
static void
psi_avg (GString *out, const char *s)
{
  size_t n = strspn (s, "0123456789.");
  const char *dot = memchr (s, '.', n);
  if (n == 0)
    {
      g_string_append_c (out, '0');
      return;
    }
  if (dot != NULL)
    {
      while (n > 0 && s[n - 1] == '0')
        n--;
      if (n > 0 && s[n - 1] == '.')
        n--;
    }
  g_string_append_len (out, s, n);
}

static void
psi_line (GString *out, const char *text, const char *which)
{
  berth_json_key (out, which);
  g_string_append_c (out, '{');
  const char *l = text;
  size_t wl = strlen (which);
  while (l != NULL && !(strncmp (l, which, wl) == 0 && l[wl] == ' '))
    {
      l = strchr (l, '\n');
      l = l ? l + 1 : NULL;
    }
  static const char *const keys[] = { "avg10", "avg60", "avg300" };
  for (size_t i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      berth_json_key (out, keys[i]);
      g_autofree char *pat = g_strdup_printf (" %s=", keys[i]);
      const char *at = l ? strstr (l, pat) : NULL;
      const char *eol = l ? strchr (l, '\n') : NULL;
      if (at != NULL && (eol == NULL || at < eol))
        psi_avg (out, at + strlen (pat));
      else
        g_string_append_c (out, '0');
      g_string_append_c (out, ',');
    }
  uint64_t total = 0;
  const char *at = l ? strstr (l, " total=") : NULL;
  if (at != NULL)
    num (at + 7, &total);
  berth_json_key (out, "total");
  berth_json_u64 (out, total);
  g_string_append (out, "},");
}

/* ,"psi":{"some":{...},"full":{...}} when the unified dir has the file. */
static void
psi (BerthStatsReader *r, GString *out, const char *file)
{
  const char *t = rd (r, D_UNIFIED, file);
  if (t == NULL || *t == '\0')
    return;
  g_string_append (out, "\"psi\":{");
  psi_line (out, t, "some");
  psi_line (out, t, "full");
  close_obj (out, '}');
}

/* "0-3,5" -> [0,1,2,3,5]; nothing when empty or unreadable. */
static void
cpu_list (GString *out, const char *key, const char *text)
{
  if (text == NULL)
    return;
  g_autoptr (GString) items = g_string_new (NULL);
  const char *p = text;
  while (*p)
    {
      char *end;
      if (*p < '0' || *p > '9')
        {
          p++;
          continue;
        }
      unsigned long a = strtoul (p, &end, 10), b = a;
      p = end;
      if (*p == '-')
        {
          b = strtoul (p + 1, &end, 10);
          p = end;
        }
      for (unsigned long i = a; i <= b && i < 65536; i++)
        {
          berth_json_u64 (items, i);
          g_string_append_c (items, ',');
        }
    }
  if (items->len == 0)
    return;
  berth_json_trim_comma (items);
  berth_json_key (out, key);
  g_string_append_c (out, '[');
  g_string_append_len (out, items->str, items->len);
  g_string_append (out, "],");
}

static void
append_cpu (BerthStatsReader *r, GString *out)
{
  g_string_append (out, "\"cpu\":{\"usage\":{");
  uint64_t kernel = 0, user = 0, periods, throttled, throttled_ns;
  if (r->mode == BERTH_CGROUP_V2)
    {
      const char *t = rd (r, D_CPU, "cpu.stat");
      t = t ? t : "";
      kv_omitempty (out, "total", keyed_in (t, "usage_usec", ' ') * 1000);
      kernel = keyed_in (t, "system_usec", ' ') * 1000;
      user = keyed_in (t, "user_usec", ' ') * 1000;
      periods = keyed_in (t, "nr_periods", ' ');
      throttled = keyed_in (t, "nr_throttled", ' ');
      throttled_ns = keyed_in (t, "throttled_usec", ' ') * 1000;
    }
  else
    {
      /* cpuacct.usage is the sum of cpuacct.usage_percpu (the same per-cpu
       * counters): one read for both. */
      const char *t = rd (r, D_CPUACCT, "cpuacct.usage_percpu");
      if (t != NULL && *t)
        {
          g_autoptr (GString) list = g_string_new (NULL);
          uint64_t total = 0;
          for (char *p = (char *) t, *end;; p = end)
            {
              while (*p == ' ' || *p == '\n')
                p++;
              if (*p < '0' || *p > '9')
                break;
              uint64_t v = strtoull (p, &end, 10);
              total += v;
              berth_json_u64 (list, v);
              g_string_append_c (list, ',');
            }
          kv_omitempty (out, "total", total);
          berth_json_key (out, "percpu");
          g_string_append_c (out, '[');
          g_string_append_len (out, list->str, list->len);
          close_obj (out, ']');
        }
      /* cpuacct.usage_all: "cpu user system" then one line per cpu. */
      t = rd (r, D_CPUACCT, "cpuacct.usage_all");
      if (t != NULL && strchr (t, '\n') != NULL)
        for (int col = 2; col >= 1; col--)
          {
            g_string_append (out, col == 2 ? "\"percpu_kernel\":[" : "\"percpu_user\":[");
            for (const char *l = strchr (t, '\n'); l != NULL && l[1]; l = strchr (l + 1, '\n'))
              {
                unsigned long long c, u, s;
                if (sscanf (l + 1, "%llu %llu %llu", &c, &u, &s) == 3)
                  {
                    berth_json_u64 (out, col == 2 ? s : u);
                    g_string_append_c (out, ',');
                  }
              }
            close_obj (out, ']');
          }
      t = rd (r, D_CPUACCT, "cpuacct.stat");
      if (t != NULL)
        {
          long hz = sysconf (_SC_CLK_TCK);
          if (hz <= 0)
            hz = 100;
          user = keyed_in (t, "user", ' ') * 1000000000ull / (uint64_t) hz;
          kernel = keyed_in (t, "system", ' ') * 1000000000ull / (uint64_t) hz;
        }
      t = rd (r, D_CPU, "cpu.stat");
      t = t ? t : "";
      periods = keyed_in (t, "nr_periods", ' ');
      throttled = keyed_in (t, "nr_throttled", ' ');
      throttled_ns = keyed_in (t, "throttled_time", ' ');
    }
  kv (out, "kernel", kernel);
  kv (out, "user", user);
  close_obj (out, '}');
  g_string_append (out, "\"throttling\":{");
  kv_omitempty (out, "periods", periods);
  kv_omitempty (out, "throttledPeriods", throttled);
  kv_omitempty (out, "throttledTime", throttled_ns);
  close_obj (out, '}');
  psi (r, out, "cpu.pressure");
  close_obj (out, '}');
}

static void
append_cpuset (BerthStatsReader *r, GString *out)
{
  bool v2 = r->mode == BERTH_CGROUP_V2;
  g_string_append (out, "\"cpuset\":{");
  cpu_list (out, "cpus", rd (r, D_CPUSET, v2 ? "cpuset.cpus.effective" : "cpuset.cpus"));
  static const char *const files[] = {
    "cpu_exclusive", "mems", "mem_hardwall", "mem_exclusive", "memory_migrate", "memory_spread_page",
    "memory_spread_slab", "memory_pressure", "sched_load_balance",
  };
  for (size_t i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *name = g_strconcat ("cpuset.", files[i], NULL);
      if (strcmp (files[i], "mems") == 0)
        cpu_list (out, "mems", rd (r, D_CPUSET, v2 ? "cpuset.mems.effective" : "cpuset.mems"));
      else
        kv (out, files[i], v2 ? 0 : rd_config_u64 (r, D_CPUSET, name));
    }
  const char *t = v2 ? NULL : rd_config (r, D_CPUSET, "cpuset.sched_relax_domain_level");
  berth_json_key (out, "sched_relax_domain_level");
  berth_json_i64 (out, t ? g_ascii_strtoll (t, NULL, 10) : 0);
  g_string_append (out, "},");
}

/* {"limit":L,"usage":U,"max":M,"failcnt":F} with runc's omitempty. */
static void
mem_entry (GString *out, const char *key, uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt)
{
  berth_json_key (out, key);
  g_string_append_c (out, '{');
  kv (out, "limit", limit);
  kv_omitempty (out, "usage", usage);
  kv_omitempty (out, "max", max);
  kv (out, "failcnt", failcnt);
  close_obj (out, '}');
}

static bool
mem_entry_v1 (BerthStatsReader *r, GString *out, const char *key, const char *prefix)
{
  g_autofree char *u = g_strdup_printf ("memory.%susage_in_bytes", prefix);
  g_autofree char *l = g_strdup_printf ("memory.%slimit_in_bytes", prefix);
  g_autofree char *m = g_strdup_printf ("memory.%smax_usage_in_bytes", prefix);
  g_autofree char *f = g_strdup_printf ("memory.%sfailcnt", prefix);
  bool found;
  uint64_t usage = rd_u64 (r, D_MEMORY, u, &found);
  if (!found)
    {
      if (*prefix == '\0')
        return false;
      mem_entry (out, key, 0, 0, 0, 0);
      return true;
    }
  mem_entry (out, key, rd_config_u64 (r, D_MEMORY, l), usage, rd_u64 (r, D_MEMORY, m, NULL),
             rd_u64 (r, D_MEMORY, f, NULL));
  return true;
}

/* memory.stat as runc's "raw" map (Go sorts map keys); returns the value of cache_key. */
static uint64_t
mem_raw (BerthStatsReader *r, GString *raw, const char *cache_key)
{
  const char *t = rd (r, D_MEMORY, "memory.stat");
  if (t == NULL)
    return 0;
  g_auto (GStrv) lines = g_strsplit (t, "\n", -1);
  guint n = g_strv_length (lines);
  qsort (lines, n, sizeof (char *), cmp_str);
  uint64_t cache = 0;
  size_t ckl = strlen (cache_key);
  for (guint i = 0; i < n; i++)
    {
      char *sp = strchr (lines[i], ' ');
      uint64_t v;
      if (sp == NULL || !num (sp + 1, &v))
        continue;
      *sp = '\0';
      if ((size_t) (sp - lines[i]) == ckl && strcmp (lines[i], cache_key) == 0)
        cache = v;
      kv (raw, lines[i], v);
    }
  return cache;
}

static bool
append_memory (BerthStatsReader *r, GString *out)
{
  g_autoptr (GString) raw = g_string_new (NULL);
  bool v2 = r->mode == BERTH_CGROUP_V2;
  uint64_t cache = mem_raw (r, raw, v2 ? "file" : "cache");
  g_string_append (out, "\"memory\":{");
  kv_omitempty (out, "cache", cache);
  if (v2)
    {
      bool found;
      uint64_t usage = rd_u64 (r, D_MEMORY, "memory.current", &found);
      if (!found)
        return false;
      uint64_t limit = rd_config_u64 (r, D_MEMORY, "memory.max");
      uint64_t peak = rd_u64 (r, D_MEMORY, "memory.peak", NULL);
      const char *ev = rd (r, D_MEMORY, "memory.events");
      uint64_t failcnt = ev ? keyed_in (ev, "max", ' ') : 0;
      mem_entry (out, "usage", limit, usage, peak, failcnt);
      /* runc reports swap as memory+swap, like v1's memsw. */
      uint64_t swap = rd_u64 (r, D_MEMORY, "memory.swap.current", NULL);
      uint64_t swap_limit = rd_config_u64 (r, D_MEMORY, "memory.swap.max");
      if (swap_limit != UINT64_MAX)
        swap_limit = limit > UINT64_MAX - swap_limit ? UINT64_MAX : swap_limit + limit;
      mem_entry (out, "swap", swap_limit, swap + usage, 0, 0);
      mem_entry (out, "kernel", 0, 0, 0, 0);
      mem_entry (out, "kernelTCP", 0, 0, 0, 0);
    }
  else if (!mem_entry_v1 (r, out, "usage", "") || !mem_entry_v1 (r, out, "swap", "memsw.")
           || !mem_entry_v1 (r, out, "kernel", "kmem.") || !mem_entry_v1 (r, out, "kernelTCP", "kmem.tcp."))
    return false;
  if (raw->len > 0)
    {
      g_string_append (out, "\"raw\":{");
      g_string_append_len (out, raw->str, raw->len);
      close_obj (out, '}');
    }
  psi (r, out, "memory.pressure");
  close_obj (out, '}');
  return true;
}

static void
append_pids (BerthStatsReader *r, GString *out)
{
  g_string_append (out, "\"pids\":{");
  kv_omitempty (out, "current", rd_u64 (r, D_PIDS, "pids.current", NULL));
  uint64_t limit = rd_config_u64 (r, D_PIDS, "pids.max");
  kv_omitempty (out, "limit", limit == UINT64_MAX ? 0 : limit);   /* runc: "max" is 0 */
  close_obj (out, '}');
}

static void
blkio_entry (GString *out, uint64_t major, uint64_t minor, const char *op, size_t op_len, uint64_t value)
{
  g_string_append_c (out, '{');
  kv_omitempty (out, "major", major);
  kv_omitempty (out, "minor", minor);
  if (op_len > 0)
    {
      g_autofree char *o = g_strndup (op, op_len);
      berth_json_key (out, "op");
      berth_json_string (out, o);
      g_string_append_c (out, ',');
    }
  kv_omitempty (out, "value", value);
  close_obj (out, '}');
}

/* v1 "MAJ:MIN Op value" lines (the "Total N" line skipped) as entries. */
static void
blkio_v1_entries (const char *t, GString *entries)
{
  for (const char *l = t; l != NULL && *l; l = strchr (l, '\n'), l = l ? l + 1 : NULL)
    {
      unsigned long long major, minor, value;
      int op_start = 0, op_end = 0;
      if (sscanf (l, "%llu:%llu %n%*s%n %llu", &major, &minor, &op_start, &op_end, &value) == 3)
        blkio_entry (entries, major, minor, l + op_start, (size_t) (op_end - op_start), value);
    }
}

static void
blkio_array (GString *out, const char *key, GString *entries)
{
  if (entries->len == 0)
    return;
  berth_json_key (out, key);
  g_string_append_c (out, '[');
  g_string_append_len (out, entries->str, entries->len);
  close_obj (out, ']');
}

static void
append_blkio (BerthStatsReader *r, GString *out)
{
  g_autoptr (GString) bytes = g_string_new (NULL);
  g_autoptr (GString) ios = g_string_new (NULL);
  if (r->mode == BERTH_CGROUP_V2)
    {
      const char *t = rd (r, D_BLKIO, "io.stat");
      for (const char *l = t; l != NULL && *l; l = strchr (l, '\n'), l = l ? l + 1 : NULL)
        {
          unsigned long long major, minor;
          int pos = 0;
          if (sscanf (l, "%llu:%llu%n", &major, &minor, &pos) != 2)
            continue;
          const char *eol = strchr (l, '\n');
          g_autofree char *line = eol ? g_strndup (l + pos, eol - l - pos) : g_strdup (l + pos);
          g_auto (GStrv) items = g_strsplit (line, " ", -1);
          for (char **it = items; *it; it++)
            {
              static const struct { const char *key, *op; bool bytes; } map[] = {
                { "rbytes=", "Read", true }, { "wbytes=", "Write", true },
                { "rios=", "Read", false }, { "wios=", "Write", false },
              };
              for (size_t k = 0; k < G_N_ELEMENTS (map); k++)
                if (g_str_has_prefix (*it, map[k].key))
                  {
                    uint64_t v = 0;
                    num (*it + strlen (map[k].key), &v);
                    blkio_entry (map[k].bytes ? bytes : ios, major, minor, map[k].op, strlen (map[k].op), v);
                  }
            }
        }
    }
  else
    {
      /* runc's order: bfq, then throttle recursive, then throttle; the
       * first group whose first file has entries wins. */
      static const char *const groups[][2] = {
        { "blkio.bfq.io_serviced_recursive", "blkio.bfq.io_service_bytes_recursive" },
        { "blkio.throttle.io_serviced_recursive", "blkio.throttle.io_service_bytes_recursive" },
        { "blkio.throttle.io_serviced", "blkio.throttle.io_service_bytes" },
      };
      for (size_t g = 0; g < G_N_ELEMENTS (groups) && ios->len == 0; g++)
        {
          const char *t = rd (r, D_BLKIO, groups[g][0]);
          if (t == NULL)
            continue;
          blkio_v1_entries (t, ios);
          if (ios->len > 0 && (t = rd (r, D_BLKIO, groups[g][1])) != NULL)
            blkio_v1_entries (t, bytes);
        }
    }
  g_string_append (out, "\"blkio\":{");
  blkio_array (out, "ioServiceBytesRecursive", bytes);
  blkio_array (out, "ioServicedRecursive", ios);
  psi (r, out, "io.pressure");
  close_obj (out, '}');
}

static void
append_hugetlb (BerthStatsReader *r, GString *out)
{
  g_string_append (out, "\"hugetlb\":{");
  for (char **s = r->dfd[D_HUGETLB] >= 0 ? r->hugepage_sizes : NULL; s && *s; s++)
    {
      uint64_t usage, max = 0, failcnt;
      bool found;
      if (r->hugetlb_v2)
        {
          g_autofree char *cur = g_strdup_printf ("hugetlb.%s.current", *s);
          g_autofree char *ev = g_strdup_printf ("hugetlb.%s.events", *s);
          usage = rd_u64 (r, D_HUGETLB, cur, &found);
          const char *t = rd (r, D_HUGETLB, ev);
          failcnt = t ? keyed_in (t, "max", ' ') : 0;
        }
      else
        {
          g_autofree char *u = g_strdup_printf ("hugetlb.%s.usage_in_bytes", *s);
          g_autofree char *m = g_strdup_printf ("hugetlb.%s.max_usage_in_bytes", *s);
          g_autofree char *f = g_strdup_printf ("hugetlb.%s.failcnt", *s);
          usage = rd_u64 (r, D_HUGETLB, u, &found);
          max = rd_u64 (r, D_HUGETLB, m, NULL);
          failcnt = rd_u64 (r, D_HUGETLB, f, NULL);
        }
      if (!found)
        continue;
      berth_json_key (out, *s);
      g_string_append_c (out, '{');
      kv_omitempty (out, "usage", usage);
      kv_omitempty (out, "max", max);
      kv (out, "failcnt", failcnt);
      close_obj (out, '}');
    }
  close_obj (out, '}');
}

bool
berth_stats_reader_append_json (BerthStatsReader *r, GString *out, GError **error)
{
  gsize start = out->len;
  append_cpu (r, out);
  append_cpuset (r, out);
  if (!append_memory (r, out))
    {
      g_string_truncate (out, start);
      return berth_fail_code (error, ENOENT, "cgroup stats: the container's memory cgroup is gone");
    }
  append_pids (r, out);
  append_blkio (r, out);
  append_hugetlb (r, out);
  g_string_append (out, "\"intel_rdt\":{}");
  return true;
}

int64_t
berth_stats_reader_oom_kills (BerthStatsReader *r)
{
  const char *t = rd (r, D_MEMORY, r->mode == BERTH_CGROUP_V2 ? "memory.events" : "memory.oom_control");
  if (t == NULL)
    return -1;
  return (int64_t) keyed_in (t, "oom_kill", ' ');
}
