/* The cgroup v1 device controller: devices.deny/devices.allow lines for
 * "deny all, then the spec's rules in order, then runc's defaults".
 *
 * "a" to devices.deny clears the list and denies everything; it is written
 * once first and again only where a spec rule asks for it after something
 * was allowed (the default spec starts with exactly that rule, which would
 * otherwise repeat the first write). */
#include "cgroup-internal.h"
#include "error.h"

#include <string.h>

char **
berth_cgroup_v1_device_writes (const BerthDeviceCgroupRule *rules, size_t n)
{
  g_autoptr (GPtrArray) writes = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (writes, g_strdup ("devices.deny a"));
  bool denied_all = true; /* nothing allowed since the last "a" denial */
  size_t n_defaults = 0;
  const BerthDeviceCgroupRule *defaults = berth_cgroup_default_device_rules (&n_defaults);
  for (size_t i = 0; i < n + n_defaults; i++)
    {
      const BerthDeviceCgroupRule *rule = i < n ? &rules[i] : &defaults[i - n];
      const char *file = rule->allow ? "devices.allow" : "devices.deny";
      bool allow_all;
      if (berth_cgroup_is_allow_all_rule (rule, &allow_all))
        {
          if (!allow_all && denied_all)
            continue;
          denied_all = !allow_all;
          g_ptr_array_add (writes, g_strdup_printf ("%s a", file));
          continue;
        }
      g_autofree char *maj = rule->has_major ? g_strdup_printf ("%" G_GINT64_FORMAT, rule->major) : g_strdup ("*");
      g_autofree char *min = rule->has_minor ? g_strdup_printf ("%" G_GINT64_FORMAT, rule->minor) : g_strdup ("*");
      g_ptr_array_add (writes, g_strdup_printf ("%s %s %s:%s %s", file, rule->type ? rule->type : "a", maj, min,
                                                rule->access ? rule->access : "rwm"));
      denied_all = denied_all && !rule->allow;
    }
  g_ptr_array_add (writes, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&writes), false);
}

bool
berth_cgroup_v1_devices_apply (const char *dir, const BerthDeviceCgroupRule *rules, size_t n, GError **error)
{
  g_auto (GStrv) writes = berth_cgroup_v1_device_writes (rules, n);
  for (char **w = writes; *w != NULL; w++)
    {
      char *line = strchr (*w, ' ');
      *line++ = '\0';
      if (!berth_cgroup_write (dir, *w, line, ".linux.resources.devices", error))
        return false;
    }
  return true;
}
