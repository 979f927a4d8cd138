/* runc-format samples of a container's cgroup (cgroup-stats.h), the hot
 * path of berth-monitor: one sample per container per tick.
 *
 * Cost model (a syscall is 1.5-5 us on our VMs and ~85% of a sample;
 * parsing is cheap): every file is
 * opened once and re-read with one pread at offset 0 (cgroup files are
 * seq_files: reading from 0 regenerates them), and a file is read only when
 * its content may have changed:
 *   - configuration (limits, cpuset flags and lists) changes only when
 *     written; a write raises IN_MODIFY, so with a watch function these are
 *     re-read after a change (and, as a safety net, every CONFIG_REFRESH
 *     samples);
 *   - a v1 page counter's usage never exceeds its watermark (max_usage,
 *     read first), so a counter whose watermark is 0 has usage 0; and its
 *     failcnt counts charges refused by its own limit (page_counter_try_charge
 *     fails a counter only when usage + charge > limit), so it cannot grow
 *     while the watermark stays more than one charge (at most a huge page,
 *     doubled for margin) below the limit: it is then read like
 *     configuration (resetting it is a write);
 *   - v1 cpu.stat (throttling) only moves while a CFS quota is set
 *     (cpu.cfs_quota_us, configuration); cpuset.memory_pressure only while
 *     the root cpuset's memory_pressure_enabled is 1 (read when the watch
 *     function is set; otherwise the value is cached and re-read every
 *     CONFIG_REFRESH samples);
 *   - the tick-based v1 counters (cpuacct.usage_all, cpuacct.stat) only
 *     advance when a tick finds one of the cgroup's tasks running, and that
 *     tick also charges its precise usage (cpuacct.usage_percpu, read
 *     first): when the precise usage has not moved, they are not re-read;
 *   - blkio.throttle.io_serviced holds no device the recursive variant lacks:
 *     when the recursive file is empty it is empty too and is not read;
 *     the blkio.bfq files list only queues whose scheduler is bfq: while no
 *     block device uses bfq (/sys/block/DEV/queue/scheduler, checked at most
 *     once a minute for the whole process) a watched reader does not read
 *     them (a one-shot sample reads the file: cheaper than the check).
 * Without a watch function (one sample, `berth events --stats` with no
 * monitor) every file is read.
 * File names are string constants or strings the reader owns, so the open
 * files are looked up by pointer, from where the last lookup ended (a
 * sample reads them in the same order as the one before).  JSON is written
 * straight from the text. */
#include "cgroup-stats.h"
#include "cgroup-internal.h"
#include "error.h"
#include "json-out.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONFIG_REFRESH 64
#define MAX_STAT_KEYS 256

enum { D_CPUACCT, D_CPU, D_CPUSET, D_MEMORY, D_PIDS, D_BLKIO, D_HUGETLB, D_UNIFIED, D_COUNT };

/* Per hugepage size: its file names (v1 or v2 spelling). */
typedef struct
{
  char *size;           /* "2MB" */
  char *usage, *max, *failcnt;   /* v2: usage = hugetlb.S.current, failcnt = hugetlb.S.events, max NULL */
} HugeFiles;

struct BerthStatsReader
{
  BerthCgroupMode mode;
  int dfd[D_COUNT];          /* O_PATH dir fds, -1 when absent; v2: all the same fd */
  bool hugetlb_v2;           /* hugetlb.<size>.current/events rather than v1 files */
  HugeFiles *huge;           /* sorted by size name, as runc's map keys */
  size_t n_huge;
  GPtrArray *files;          /* OpenFile*, in the order first read */
  guint cursor;              /* where the next lookup starts: samples read in the same order */
  BerthStatsWatchFn watch_fn;  /* config files: re-read only after a change */
  gpointer watch_data;
  unsigned samples;
  bool memory_pressure_enabled;  /* root cpuset.memory_pressure_enabled (v1) */
  uint64_t max_charge;       /* bytes: twice the largest single page counter charge */
  bool cpu_idle;             /* the precise cpu usage has not moved since the last sample */
  char *last_percpu;         /* its text at the last sample */
  /* memory.stat's keys as of the last sample, in file order, and the order
   * that sorts them: the kernel writes the same keys in the same order every
   * time, so a sample checks them instead of sorting again. */
  GString *stat_keys;        /* "key\0" each */
  guint8 stat_order[MAX_STAT_KEYS];
  size_t n_stat_keys;
  char *buf;                 /* the file being parsed: read_buf, shared */
};

/* One buffer for every reader of the thread: the file being parsed stays in
 * the cache from one container to the next. */
#define READ_BUF_SIZE 65536
static __thread char read_buf[READ_BUF_SIZE];

/* An open file, re-read with pread.  An open cgroup file does not keep the
 * cgroup busy; once it is removed, reads fail with ENODEV. fd -1 = absent. */
typedef struct
{
  const char *name;       /* the pointer is the identity (see the top) */
  int fd;
  int watch;              /* config file watched for changes, -1 */
  bool watch_tried;
  bool valid;             /* cached holds the content since the last change */
  char *cached;
} OpenFile;

static void
open_file_free (OpenFile *f)
{
  if (f->fd >= 0)
    close (f->fd);
  g_free (f->cached);
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
cmp_huge (gconstpointer a, gconstpointer b)
{
  return strcmp (((const HugeFiles *) a)->size, ((const HugeFiles *) b)->size);
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
  g_clear_pointer (&r->files, g_ptr_array_unref);
  for (size_t i = 0; i < r->n_huge; i++)
    {
      g_free (r->huge[i].size);
      g_free (r->huge[i].usage);
      g_free (r->huge[i].max);
      g_free (r->huge[i].failcnt);
    }
  g_free (r->huge);
  g_free (r->last_percpu);
  if (r->stat_keys != NULL)
    g_string_free (r->stat_keys, TRUE);
  g_free (r);
}

static void
hugepage_files (BerthStatsReader *r)
{
  g_auto (GStrv) sizes = berth_cgroup_hugepage_sizes ();
  r->n_huge = g_strv_length (sizes);
  r->huge = g_new0 (HugeFiles, r->n_huge + 1);
  for (size_t i = 0; i < r->n_huge; i++)
    {
      HugeFiles *h = &r->huge[i];
      h->size = g_strdup (sizes[i]);
      if (r->hugetlb_v2)
        {
          h->usage = g_strdup_printf ("hugetlb.%s.current", h->size);
          h->failcnt = g_strdup_printf ("hugetlb.%s.events", h->size);
        }
      else
        {
          h->usage = g_strdup_printf ("hugetlb.%s.usage_in_bytes", h->size);
          h->max = g_strdup_printf ("hugetlb.%s.max_usage_in_bytes", h->size);
          h->failcnt = g_strdup_printf ("hugetlb.%s.failcnt", h->size);
        }
    }
  qsort (r->huge, r->n_huge, sizeof *r->huge, cmp_huge);
}

BerthStatsReader *
berth_stats_reader_new (const BerthCgroup *cg, GError **error)
{
  g_autoptr (BerthStatsReader) r = g_new0 (BerthStatsReader, 1);
  for (int i = 0; i < D_COUNT; i++)
    r->dfd[i] = -1;
  r->files = g_ptr_array_new_with_free_func ((GDestroyNotify) open_file_free);
  r->buf = read_buf;
  r->mode = cg->mode;
  /* A charge is at most max(MEMCG_CHARGE_BATCH = 64 pages, a PMD-sized folio). */
  uint64_t page = (uint64_t) sysconf (_SC_PAGESIZE);
  page = page > 0 && page < (1u << 20) ? page : 4096;
  r->max_charge = 2 * MAX (64 * page, page * (page / 8));
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
  hugepage_files (r);
  return g_steal_pointer (&r);
}

/* The open file for name (a constant or a reader-owned string); NULL when
 * it could not be opened for a transient reason (try again next time). */
static OpenFile *
find_file (BerthStatsReader *r, const char *name)
{
  guint n = r->files->len;
  for (guint k = 0; k < n; k++)
    {
      guint i = (r->cursor + k) % n;
      OpenFile *f = r->files->pdata[i];
      if (f->name == name)
        {
          r->cursor = i + 1;
          return f;
        }
    }
  return NULL;
}

static OpenFile *
open_file (BerthStatsReader *r, int which, const char *name)
{
  OpenFile *f = find_file (r, name);
  if (f != NULL)
    return f;
  int fd = r->dfd[which] >= 0 ? openat (r->dfd[which], name, O_RDONLY | O_CLOEXEC | O_NOCTTY) : -1;
  if (fd < 0 && r->dfd[which] >= 0 && errno != ENOENT)
    return NULL;
  f = g_new0 (OpenFile, 1);
  f->name = name;
  f->fd = fd;
  f->watch = -1;
  g_ptr_array_add (r->files, f);
  r->cursor = r->files->len;
  return f;
}

/* Read the file into r->buf (NUL-terminated); NULL when it cannot be read.
 * One pread: a seq_file read returns every record that fits the buffer. */
static const char *
read_open (BerthStatsReader *r, int fd)
{
  ssize_t n;
  while ((n = pread (fd, r->buf, READ_BUF_SIZE - 1, 0)) < 0 && errno == EINTR)
    ;
  if (n < 0)
    return NULL;
  r->buf[n] = '\0';
  return r->buf;
}

static const char *
rd (BerthStatsReader *r, int which, const char *name)
{
  OpenFile *f = open_file (r, which, name);
  if (f != NULL && f->fd >= 0)
    {
      f->valid = false;           /* read live: any cached copy is stale */
      return read_open (r, f->fd);
    }
  if (f == NULL && (errno == EMFILE || errno == ENFILE))
    {
      /* Out of fds: open for this read only. */
      berth_autofd int fd = openat (r->dfd[which], name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
      return fd >= 0 ? read_open (r, fd) : NULL;
    }
  return NULL;
}

/* A file whose content changes only when written (see the top): with a
 * watch function, read again only after a change (the watch is placed
 * before the first read, so no change is missed). */
static const char *
rd_config (BerthStatsReader *r, int which, const char *name)
{
  if (r->watch_fn == NULL)
    return rd (r, which, name);
  OpenFile *f = open_file (r, which, name);
  if (f == NULL || f->fd < 0)
    return rd (r, which, name);
  if (!f->watch_tried)
    {
      f->watch_tried = true;
      f->watch = r->watch_fn (f->fd, r->watch_data);
    }
  if (f->watch >= 0 && f->valid)
    return f->cached;
  const char *t = read_open (r, f->fd);
  if (t != NULL && f->watch >= 0)
    {
      g_free (f->cached);
      f->cached = g_strdup (t);
      f->valid = true;
    }
  return t;
}

/* The cached content when unchanged is true (the caller knows it cannot
 * have moved; cached as configuration is), else read live and keep a copy. */
static const char *
rd_live_unless (BerthStatsReader *r, int which, const char *name, bool unchanged)
{
  if (unchanged)
    return rd_config (r, which, name);
  const char *t = rd (r, which, name);
  OpenFile *f = find_file (r, name);
  if (t != NULL && f != NULL && f->watch >= 0)
    {
      g_free (f->cached);
      f->cached = g_strdup (t);
      f->valid = true;
    }
  return t;
}

/* A leading unsigned number ("max" = UINT64_MAX); false when there is none. */
static bool
num (const char *s, uint64_t *v)
{
  if (s[0] == 'm' && s[1] == 'a' && s[2] == 'x')
    {
      *v = UINT64_MAX;
      return true;
    }
  if (*s < '0' || *s > '9')
    return false;
  uint64_t n = 0;
  for (; *s >= '0' && *s <= '9'; s++)
    {
      unsigned d = (unsigned) (*s - '0');
      if (n > (UINT64_MAX - d) / 10)
        return false;
      n = n * 10 + d;
    }
  *v = n;
  return true;
}

static uint64_t
text_u64 (const char *t, bool *ret_found)
{
  uint64_t v = 0;
  bool ok = t != NULL && num (t, &v);
  if (ret_found)
    *ret_found = ok;
  return ok ? v : 0;
}

static uint64_t
rd_u64 (BerthStatsReader *r, int which, const char *name, bool *ret_found)
{
  return text_u64 (rd (r, which, name), ret_found);
}

static uint64_t
rd_config_u64 (BerthStatsReader *r, int which, const char *name)
{
  return text_u64 (rd_config (r, which, name), NULL);
}

void
berth_stats_reader_set_config_watch (BerthStatsReader *r, BerthStatsWatchFn fn, gpointer data)
{
  r->watch_fn = fn;
  r->watch_data = data;
  if (r->mode != BERTH_CGROUP_V2)
    {
      g_autofree char *enabled = berth_read_file_at (AT_FDCWD, "/sys/fs/cgroup/cpuset/cpuset.memory_pressure_enabled", 16, NULL);
      r->memory_pressure_enabled = enabled == NULL || enabled[0] != '0';
    }
}

void
berth_stats_reader_config_changed (BerthStatsReader *r, int watch)
{
  for (guint i = 0; i < r->files->len; i++)
    if (((OpenFile *) r->files->pdata[i])->watch == watch)
      ((OpenFile *) r->files->pdata[i])->valid = false;
}

static void
config_refresh (BerthStatsReader *r)
{
  for (guint i = 0; i < r->files->len; i++)
    ((OpenFile *) r->files->pdata[i])->valid = false;
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

/* "key": for keys known to need no escaping (constants, [a-z0-9_] names). */
static void
key (GString *out, const char *k, size_t len)
{
  g_string_append_c (out, '"');
  berth_json_raw (out, k, len);
  berth_json_raw (out, "\":", 2);
}
#define KEY(out, lit) berth_json_raw ((out), "\"" lit "\":", sizeof (lit) + 2)

static void
kv (GString *out, const char *k, uint64_t v)
{
  key (out, k, strlen (k));
  berth_json_u64 (out, v);
  g_string_append_c (out, ',');
}

static void
kv_omitempty (GString *out, const char *k, uint64_t v)
{
  if (v != 0)
    kv (out, k, v);
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
  if (n == 0)
    g_string_append_c (out, '0');
  else
    g_string_append_len (out, s, (gssize) n);
}

/* The value of field "NAME=" in the space-separated line [l, eol); NULL. */
static const char *
psi_field (const char *l, const char *eol, const char *name, size_t len)
{
  for (const char *p = l; p != NULL && p < eol; p = memchr (p, ' ', (size_t) (eol - p)), p = p ? p + 1 : NULL)
    if ((size_t) (eol - p) > len && memcmp (p, name, len) == 0)
      return p + len;
  return NULL;
}

/* "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" */
static void
psi_line (GString *out, const char *text, const char *which)
{
  key (out, which, strlen (which));
  g_string_append_c (out, '{');
  const char *l = text;
  size_t wl = strlen (which);
  while (l != NULL && !(strncmp (l, which, wl) == 0 && l[wl] == ' '))
    {
      l = strchr (l, '\n');
      l = l ? l + 1 : NULL;
    }
  const char *eol = l ? l + strcspn (l, "\n") : NULL;
  static const struct { const char *key, *field; size_t len; } avgs[] = {
    { "avg10", "avg10=", 6 }, { "avg60", "avg60=", 6 }, { "avg300", "avg300=", 7 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (avgs); i++)
    {
      key (out, avgs[i].key, avgs[i].len - 1);
      const char *v = psi_field (l, eol, avgs[i].field, avgs[i].len);
      if (v != NULL)
        psi_avg (out, v);
      else
        g_string_append_c (out, '0');
      g_string_append_c (out, ',');
    }
  uint64_t total = 0;
  const char *v = psi_field (l, eol, "total=", 6);
  if (v != NULL)
    num (v, &total);
  KEY (out, "total");
  berth_json_u64 (out, total);
  berth_json_raw (out, "},", 2);
}

/* "psi":{"some":{...},"full":{...}}, on v2 when the cgroup has the file.
 * Not on hybrid, although its unified hierarchy has the files too: runc's
 * v1 manager reports none there, and the three reads were a fifth of the
 * cost of a sample (100 containers at 1 s must stay under 1% of a core). */
static void
psi (BerthStatsReader *r, GString *out, const char *file)
{
  if (r->mode != BERTH_CGROUP_V2)
    return;
  const char *t = rd (r, D_UNIFIED, file);
  if (t == NULL || *t == '\0')
    return;
  KEY (out, "psi");
  g_string_append_c (out, '{');
  psi_line (out, t, "some");
  psi_line (out, t, "full");
  close_obj (out, '}');
}

/* "0-3,5" -> "key":[0,1,2,3,5], nothing when empty or unreadable. */
static void
cpu_list (GString *out, const char *k, const char *text)
{
  if (text == NULL)
    return;
  gsize start = out->len;
  key (out, k, strlen (k));
  g_string_append_c (out, '[');
  gsize items = out->len;
  for (const char *p = text; *p;)
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
          berth_json_u64 (out, i);
          g_string_append_c (out, ',');
        }
    }
  if (out->len == items)
    {
      g_string_truncate (out, start);
      return;
    }
  close_obj (out, ']');
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
       * counters): one read for both.  (cpuacct.usage_all's columns are
       * tick-based and do not add up to it.) */
      const char *t = rd (r, D_CPUACCT, "cpuacct.usage_percpu");
      r->cpu_idle = t != NULL && r->last_percpu != NULL && strcmp (t, r->last_percpu) == 0;
      if (!r->cpu_idle)
        {
          g_free (r->last_percpu);
          r->last_percpu = g_strdup (t);
        }
      if (t != NULL && *t)
        {
          /* "total" first, as runc writes it: sum, then list. */
          uint64_t total = 0;
          for (char *p = (char *) t, *end; (total += strtoull (p, &end, 10), end != p); p = end)
            ;
          kv_omitempty (out, "total", total);
          KEY (out, "percpu");
          g_string_append_c (out, '[');
          for (char *p = (char *) t, *end;; p = end)
            {
              uint64_t v = strtoull (p, &end, 10);
              if (end == p)
                break;
              berth_json_u64 (out, v);
              g_string_append_c (out, ',');
            }
          close_obj (out, ']');
        }
      /* cpuacct.usage_all: "cpu user system" then one line per cpu. */
      t = rd_live_unless (r, D_CPUACCT, "cpuacct.usage_all", r->cpu_idle);
      if (t != NULL && strchr (t, '\n') != NULL)
        for (int col = 2; col >= 1; col--)
          {
            g_string_append (out, col == 2 ? "\"percpu_kernel\":[" : "\"percpu_user\":[");
            for (const char *l = strchr (t, '\n'); l != NULL && l[1]; l = strchr (l + 1, '\n'))
              {
                char *end;
                strtoull (l + 1, &end, 10);                       /* cpu */
                uint64_t u = strtoull (end, &end, 10);
                uint64_t s = strtoull (end, &end, 10);
                berth_json_u64 (out, col == 2 ? s : u);
                g_string_append_c (out, ',');
              }
            close_obj (out, ']');
          }
      t = rd_live_unless (r, D_CPUACCT, "cpuacct.stat", r->cpu_idle);
      if (t != NULL)
        {
          long hz = sysconf (_SC_CLK_TCK);
          if (hz <= 0)
            hz = 100;
          user = keyed_in (t, "user", ' ') * 1000000000ull / (uint64_t) hz;
          kernel = keyed_in (t, "system", ' ') * 1000000000ull / (uint64_t) hz;
        }
      const char *quota = rd_config (r, D_CPU, "cpu.cfs_quota_us");
      t = rd_live_unless (r, D_CPU, "cpu.stat", quota != NULL && quota[0] == '-');
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
  /* v2: the effective lists change without a write (parent, hotplug): live. */
  cpu_list (out, "cpus", v2 ? rd (r, D_CPUSET, "cpuset.cpus.effective") : rd_config (r, D_CPUSET, "cpuset.cpus"));
  static const struct { const char *key, *file; } flags[] = {
    { "cpu_exclusive", "cpuset.cpu_exclusive" }, { "mems", NULL },
    { "mem_hardwall", "cpuset.mem_hardwall" }, { "mem_exclusive", "cpuset.mem_exclusive" },
    { "memory_migrate", "cpuset.memory_migrate" }, { "memory_spread_page", "cpuset.memory_spread_page" },
    { "memory_spread_slab", "cpuset.memory_spread_slab" }, { "memory_pressure", "cpuset.memory_pressure" },
    { "sched_load_balance", "cpuset.sched_load_balance" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (flags); i++)
    {
      if (flags[i].file == NULL)
        cpu_list (out, "mems", v2 ? rd (r, D_CPUSET, "cpuset.mems.effective") : rd_config (r, D_CPUSET, "cpuset.mems"));
      else if (v2)
        kv (out, flags[i].key, 0);
      else if (strcmp (flags[i].key, "memory_pressure") == 0)     /* a rate, computed only when enabled */
        kv (out, flags[i].key, text_u64 (rd_live_unless (r, D_CPUSET, flags[i].file, !r->memory_pressure_enabled), NULL));
      else
        kv (out, flags[i].key, rd_config_u64 (r, D_CPUSET, flags[i].file));
    }
  const char *t = v2 ? NULL : rd_config (r, D_CPUSET, "cpuset.sched_relax_domain_level");
  KEY (out, "sched_relax_domain_level");
  berth_json_i64 (out, t ? g_ascii_strtoll (t, NULL, 10) : 0);
  g_string_append (out, "},");
}

/* {"limit":L,"usage":U,"max":M,"failcnt":F} with runc's omitempty. */
static void
mem_entry (GString *out, const char *k, uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt)
{
  key (out, k, strlen (k));
  g_string_append_c (out, '{');
  kv (out, "limit", limit);
  kv_omitempty (out, "usage", usage);
  kv_omitempty (out, "max", max);
  kv (out, "failcnt", failcnt);
  close_obj (out, '}');
}

/* The v1 memory counters: usage, limit, max usage, failcnt. */
static const struct
{
  const char *key, *usage, *limit, *max, *failcnt;
} mem_v1[] = {
  { "usage", "memory.usage_in_bytes", "memory.limit_in_bytes", "memory.max_usage_in_bytes", "memory.failcnt" },
  { "swap", "memory.memsw.usage_in_bytes", "memory.memsw.limit_in_bytes", "memory.memsw.max_usage_in_bytes",
    "memory.memsw.failcnt" },
  { "kernel", "memory.kmem.usage_in_bytes", "memory.kmem.limit_in_bytes", "memory.kmem.max_usage_in_bytes",
    "memory.kmem.failcnt" },
  { "kernelTCP", "memory.kmem.tcp.usage_in_bytes", "memory.kmem.tcp.limit_in_bytes",
    "memory.kmem.tcp.max_usage_in_bytes", "memory.kmem.tcp.failcnt" },
};

static bool
mem_entry_v1 (BerthStatsReader *r, GString *out, size_t i)
{
  bool found;
  uint64_t max = rd_u64 (r, D_MEMORY, mem_v1[i].max, &found);
  if (!found)
    {
      if (i == 0)
        return false;
      mem_entry (out, mem_v1[i].key, 0, 0, 0, 0);
      return true;
    }
  uint64_t usage = max == 0 ? 0 : rd_u64 (r, D_MEMORY, mem_v1[i].usage, NULL);
  uint64_t limit = rd_config_u64 (r, D_MEMORY, mem_v1[i].limit);
  bool failcnt_may_grow = limit < r->max_charge || max > limit - r->max_charge;
  uint64_t failcnt = failcnt_may_grow ? rd_u64 (r, D_MEMORY, mem_v1[i].failcnt, NULL)
                                      : rd_config_u64 (r, D_MEMORY, mem_v1[i].failcnt);
  mem_entry (out, mem_v1[i].key, limit, usage, max, failcnt);
  return true;
}

typedef struct
{
  const char *key;
  size_t len;
  uint64_t v;
} StatLine;

static int
cmp_stat_line (const void *a, const void *b)
{
  const StatLine *x = a, *y = b;
  int c = memcmp (x->key, y->key, MIN (x->len, y->len));
  return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* Whether memory.stat has the keys of the last sample, in the same order. */
static bool
stat_keys_unchanged (BerthStatsReader *r, const StatLine *lines, size_t n)
{
  if (r->stat_keys == NULL || n != r->n_stat_keys)
    return false;
  const char *k = r->stat_keys->str;
  for (size_t i = 0; i < n; k += lines[i].len + 1, i++)
    if (memcmp (k, lines[i].key, lines[i].len) != 0 || k[lines[i].len] != '\0')
      return false;
  return true;
}

static void
stat_keys_remember (BerthStatsReader *r, const StatLine *lines, size_t n)
{
  StatLine sorted[MAX_STAT_KEYS];
  for (size_t i = 0; i < n; i++)
    {
      sorted[i] = lines[i];
      sorted[i].v = i;            /* carries the file position through the sort */
    }
  qsort (sorted, n, sizeof *sorted, cmp_stat_line);
  if (r->stat_keys == NULL)
    r->stat_keys = g_string_sized_new (1024);
  g_string_truncate (r->stat_keys, 0);
  for (size_t i = 0; i < n; i++)
    {
      g_string_append_len (r->stat_keys, lines[i].key, (gssize) lines[i].len);
      g_string_append_c (r->stat_keys, '\0');
      r->stat_order[i] = (guint8) sorted[i].v;
    }
  r->n_stat_keys = n;
}

/* memory.stat as runc's "raw" map (Go sorts map keys) into raw; returns the
 * value of cache_key. */
static uint64_t
mem_raw (BerthStatsReader *r, GString *raw, const char *cache_key)
{
  const char *t = rd (r, D_MEMORY, "memory.stat");
  if (t == NULL)
    return 0;
  StatLine lines[MAX_STAT_KEYS];
  size_t n = 0;
  for (const char *l = t; *l && n < MAX_STAT_KEYS;)
    {
      const char *sp = l;
      while (*sp && *sp != ' ' && *sp != '\n')
        sp++;
      const char *eol = strchr (sp, '\n');
      uint64_t v;
      bool plain = sp > l;
      for (const char *c = l; c < sp && plain; c++)
        plain = g_ascii_isalnum (*c) || *c == '_';
      if (*sp == ' ' && plain && num (sp + 1, &v))
        lines[n++] = (StatLine) { l, (size_t) (sp - l), v };
      if (eol == NULL)
        break;
      l = eol + 1;
    }
  if (!stat_keys_unchanged (r, lines, n))
    stat_keys_remember (r, lines, n);
  uint64_t cache = 0;
  size_t ckl = strlen (cache_key);
  for (size_t i = 0; i < n; i++)
    {
      const StatLine *line = &lines[r->stat_order[i]];
      if (line->len == ckl && memcmp (line->key, cache_key, ckl) == 0)
        cache = line->v;
      key (raw, line->key, line->len);
      berth_json_u64 (raw, line->v);
      g_string_append_c (raw, ',');
    }
  return cache;
}

static bool
append_memory (BerthStatsReader *r, GString *out)
{
  bool v2 = r->mode == BERTH_CGROUP_V2;
  /* "raw" comes after the counters but holds "cache", which comes first:
   * write raw at the end of out, then move it into place. */
  gsize start = out->len;
  g_string_append (out, "\"raw\":{");
  uint64_t cache = mem_raw (r, out, v2 ? "file" : "cache");
  bool has_raw = out->str[out->len - 1] == ',';
  close_obj (out, '}');
  g_autofree char *raw = has_raw ? g_strndup (out->str + start, out->len - start) : NULL;
  g_string_truncate (out, start);
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
  else
    for (size_t i = 0; i < G_N_ELEMENTS (mem_v1); i++)
      if (!mem_entry_v1 (r, out, i))
        return false;
  if (raw != NULL)
    g_string_append (out, raw);
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
      KEY (out, "op");
      berth_json_string (out, o);
      g_string_append_c (out, ',');
    }
  kv_omitempty (out, "value", value);
  close_obj (out, '}');
}

/* The "MAJ:MIN" that starts a blkio/io.stat line; *end points just past it. */
static bool
parse_device_prefix (const char *line, uint64_t *major, uint64_t *minor, char **end)
{
  if (*line < '0' || *line > '9')
    return false;
  *major = strtoull (line, end, 10);
  if (**end != ':')
    return false;
  *minor = strtoull (*end + 1, end, 10);
  return true;
}

/* v1 "MAJ:MIN Op value" lines (the "Total N" line skipped) as entries. */
static void
blkio_v1_entries (const char *t, GString *entries)
{
  for (const char *l = t; l != NULL && *l; l = strchr (l, '\n'), l = l ? l + 1 : NULL)
    {
      char *end;
      uint64_t major, minor;
      if (!parse_device_prefix (l, &major, &minor, &end) || *end != ' ')
        continue;
      const char *op = end + 1, *op_end = op;
      while (*op_end && *op_end != ' ' && *op_end != '\n')
        op_end++;
      if (*op_end != ' ' || op_end == op)
        continue;
      uint64_t value = strtoull (op_end + 1, NULL, 10);
      blkio_entry (entries, major, minor, op, (size_t) (op_end - op), value);
    }
}

static void
blkio_array (GString *out, const char *k, GString *entries)
{
  if (entries->len == 0)
    return;
  key (out, k, strlen (k));
  g_string_append_c (out, '[');
  g_string_append_len (out, entries->str, (gssize) entries->len);
  close_obj (out, ']');
}

/* v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N". */
static void
blkio_v2 (const char *t, GString *bytes, GString *ios)
{
  static const struct { const char *key, *op; bool bytes; } map[] = {
    { "rbytes=", "Read", true }, { "wbytes=", "Write", true },
    { "rios=", "Read", false }, { "wios=", "Write", false },
  };
  for (const char *l = t; l != NULL && *l; l = strchr (l, '\n'), l = l ? l + 1 : NULL)
    {
      char *end;
      uint64_t major, minor;
      if (!parse_device_prefix (l, &major, &minor, &end))
        continue;
      const char *eol = strchr (end, '\n');
      for (const char *it = end; it != NULL && (eol == NULL || it < eol); it = strchr (it + 1, ' '))
        {
          const char *item = it + (*it == ' ');
          for (size_t k = 0; k < G_N_ELEMENTS (map); k++)
            if (strncmp (item, map[k].key, strlen (map[k].key)) == 0)
              {
                uint64_t v = 0;
                num (item + strlen (map[k].key), &v);
                blkio_entry (map[k].bytes ? bytes : ios, major, minor, map[k].op, strlen (map[k].op), v);
              }
        }
    }
}

#define BFQ_CHECK_US (60 * G_USEC_PER_SEC)

/* Whether any block device's scheduler is bfq (cached for the process). */
static bool
bfq_in_use (void)
{
  static gint64 checked_at;
  static bool in_use;
  gint64 now = g_get_monotonic_time ();
  if (checked_at != 0 && now - checked_at < BFQ_CHECK_US)
    return in_use;
  checked_at = now;
  in_use = false;
  g_autoptr (GDir) d = g_dir_open ("/sys/block", 0, NULL);
  const char *name;
  while (d != NULL && !in_use && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/sys/block/%s/queue/scheduler", name);
      g_autofree char *text = berth_read_file_at (AT_FDCWD, path, 256, NULL);
      in_use = text != NULL && strstr (text, "[bfq]") != NULL;
    }
  if (d == NULL)
    in_use = true;                /* cannot tell: read the files */
  return in_use;
}

static void
append_blkio (BerthStatsReader *r, GString *out)
{
  g_autoptr (GString) bytes = g_string_new (NULL);
  g_autoptr (GString) ios = g_string_new (NULL);
  if (r->mode == BERTH_CGROUP_V2)
    blkio_v2 (rd (r, D_BLKIO, "io.stat"), bytes, ios);
  else
    {
      /* runc's order: bfq, then throttle recursive, then throttle; the
       * first group whose first file has entries wins.  The plain throttle
       * files list no device the recursive ones lack (see the top). */
      static const char *const groups[][2] = {
        { "blkio.bfq.io_serviced_recursive", "blkio.bfq.io_service_bytes_recursive" },
        { "blkio.throttle.io_serviced_recursive", "blkio.throttle.io_service_bytes_recursive" },
        { "blkio.throttle.io_serviced", "blkio.throttle.io_service_bytes" },
      };
      bool recursive_read = false;
      for (size_t g = 0; g < G_N_ELEMENTS (groups) && ios->len == 0; g++)
        {
          if (g == 2 && recursive_read)
            break;
          if (g == 0 && r->watch_fn != NULL && !bfq_in_use ())
            continue;
          const char *t = rd (r, D_BLKIO, groups[g][0]);
          if (t == NULL)
            continue;
          recursive_read = g == 1;
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
  for (size_t i = 0; r->dfd[D_HUGETLB] >= 0 && i < r->n_huge; i++)
    {
      const HugeFiles *h = &r->huge[i];
      uint64_t usage, max = 0, failcnt;
      bool found;
      usage = rd_u64 (r, D_HUGETLB, h->usage, &found);
      if (!found)
        continue;
      if (r->hugetlb_v2)
        {
          const char *t = rd (r, D_HUGETLB, h->failcnt);
          failcnt = t ? keyed_in (t, "max", ' ') : 0;
        }
      else
        {
          max = rd_u64 (r, D_HUGETLB, h->max, NULL);
          failcnt = rd_u64 (r, D_HUGETLB, h->failcnt, NULL);
        }
      key (out, h->size, strlen (h->size));
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
  if (++r->samples % CONFIG_REFRESH == 0)
    config_refresh (r);
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
