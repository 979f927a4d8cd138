/* mountinfo parsing, see mountinfo.h. */
#include "mountinfo.h"

#include "util.h"

#include <fcntl.h>
#include <string.h>

void
berth_mount_info_free (BerthMountInfo *m)
{
  g_free (m->dev);
  g_free (m->root);
  g_free (m->mountpoint);
  g_free (m->fstype);
  g_free (m->source);
  g_free (m->super_options);
  g_free (m);
}

/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue":
 * six fields, optional fields up to "-", then type, source, super options. */
static BerthMountInfo *
parse_line (const char *line)
{
  g_auto (GStrv) f = g_strsplit (line, " ", -1);
  guint n = g_strv_length (f), sep = 0;
  for (guint i = 6; i < n; i++)
    if (strcmp (f[i], "-") == 0)
      {
        sep = i;
        break;
      }
  int64_t id, parent;
  if (sep == 0 || n < sep + 4 || !berth_parse_int64 (f[0], 0, G_MAXINT, &id) || !berth_parse_int64 (f[1], 0, G_MAXINT, &parent))
    return NULL;
  BerthMountInfo *m = g_new0 (BerthMountInfo, 1);
  m->id = (int) id;
  m->parent_id = (int) parent;
  m->dev = g_strdup (f[2]);
  /* g_strcompress turns \ooo back into the byte, as the kernel's escaping needs. */
  m->root = g_strcompress (f[3]);
  m->mountpoint = g_strcompress (f[4]);
  m->fstype = g_strcompress (f[sep + 1]);
  m->source = g_strcompress (f[sep + 2]);
  m->super_options = g_strcompress (f[sep + 3]);
  return m;
}

GPtrArray *
berth_mount_info_parse (const char *text)
{
  GPtrArray *mounts = g_ptr_array_new_with_free_func ((GDestroyNotify) berth_mount_info_free);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      BerthMountInfo *m = **l != '\0' ? parse_line (*l) : NULL;
      if (m != NULL)
        g_ptr_array_add (mounts, m);
    }
  return mounts;
}

GPtrArray *
berth_mount_info_read (const char *path)
{
  g_autofree char *text = berth_read_file_at (AT_FDCWD, path, 64 << 20, NULL);
  return text != NULL ? berth_mount_info_parse (text) : NULL;
}
