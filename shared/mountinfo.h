/* /proc/PID/mountinfo, parsed (proc(5)): one entry per mount, strings
 * unescaped (mountinfo writes space, tab, newline and backslash as \ooo). */
#pragma once
#include <glib.h>
#include <stdbool.h>

typedef struct
{
  int id, parent_id;
  char *dev;          /* "major:minor" */
  char *root;         /* the path of the filesystem mounted here (a bind's source inside its filesystem) */
  char *mountpoint;   /* relative to the reading process's root */
  char *fstype;
  char *source;       /* "none", a device, ... */
  char *super_options;
} BerthMountInfo;

void berth_mount_info_free (BerthMountInfo *m);
/* Every mount of path ("/proc/self/mountinfo", "/proc/PID/mountinfo"), in
 * the file's order (a later entry on the same mountpoint hides an earlier
 * one).  NULL with errno set when the file cannot be read. */
GPtrArray *berth_mount_info_read (const char *path);
/* The same from text already read. */
GPtrArray *berth_mount_info_parse (const char *text);
