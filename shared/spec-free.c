/* Free functions for the spec structs.  All accept NULL and partially filled
 * structs (the parser frees them on error paths). */
#include "spec-internal.h"

static void
hash_table_unref0 (GHashTable *table)
{
  if (table != NULL)
    g_hash_table_unref (table);
}

static void
capabilities_free (BerthCapabilities *caps)
{
  if (caps == NULL)
    return;
  g_strfreev (caps->bounding);
  g_strfreev (caps->effective);
  g_strfreev (caps->inheritable);
  g_strfreev (caps->permitted);
  g_strfreev (caps->ambient);
  g_free (caps);
}

void
spec_process_clear (BerthProcess *p)
{
  g_free (p->additionalGids);
  g_strfreev (p->args);
  g_free (p->commandLine);
  g_strfreev (p->env);
  g_free (p->cwd);
  capabilities_free (p->capabilities);
  for (size_t i = 0; i < p->n_rlimits; i++)
    g_free (p->rlimits[i].type);
  g_free (p->rlimits);
  g_free (p->apparmorProfile);
  g_free (p->selinuxLabel);
  if (p->scheduler != NULL)
    {
      g_free (p->scheduler->policy);
      g_strfreev (p->scheduler->flags);
      g_free (p->scheduler);
    }
  if (p->ioPriority != NULL)
    {
      g_free (p->ioPriority->class_name);
      g_free (p->ioPriority);
    }
}

void
berth_process_free (BerthProcess *process)
{
  if (process == NULL)
    return;
  spec_process_clear (process);
  g_free (process);
}

static void
block_io_free (BerthBlockIO *b)
{
  if (b == NULL)
    return;
  g_free (b->weightDevice);
  g_free (b->throttleReadBpsDevice);
  g_free (b->throttleWriteBpsDevice);
  g_free (b->throttleReadIOPSDevice);
  g_free (b->throttleWriteIOPSDevice);
  g_free (b);
}

void
spec_resources_clear (BerthResources *r)
{
  for (size_t i = 0; i < r->n_devices; i++)
    {
      g_free (r->devices[i].type);
      g_free (r->devices[i].access);
    }
  g_free (r->devices);
  g_free (r->memory);
  if (r->cpu != NULL)
    {
      g_free (r->cpu->cpus);
      g_free (r->cpu->mems);
      g_free (r->cpu);
    }
  block_io_free (r->blockIO);
  for (size_t i = 0; i < r->n_hugepageLimits; i++)
    g_free (r->hugepageLimits[i].pageSize);
  g_free (r->hugepageLimits);
  for (size_t i = 0; i < r->n_network_priorities; i++)
    g_free (r->network_priorities[i].name);
  g_free (r->network_priorities);
  for (size_t i = 0; i < r->n_rdma; i++)
    g_free (r->rdma[i].device);
  g_free (r->rdma);
  hash_table_unref0 (r->unified);
}

void
berth_resources_free (BerthResources *resources)
{
  if (resources == NULL)
    return;
  spec_resources_clear (resources);
  g_free (resources);
}

static void
seccomp_free (BerthSeccomp *s)
{
  if (s == NULL)
    return;
  g_free (s->defaultAction);
  g_strfreev (s->architectures);
  g_strfreev (s->flags);
  g_free (s->listenerPath);
  g_free (s->listenerMetadata);
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      BerthSeccompSyscall *sc = &s->syscalls[i];
      g_free (sc->action);
      g_strfreev (sc->names);
      for (size_t j = 0; j < sc->n_args; j++)
        g_free (sc->args[j].op);
      g_free (sc->args);
    }
  g_free (s->syscalls);
  g_free (s);
}

void
spec_linux_clear (BerthLinux *l)
{
  for (size_t i = 0; i < l->n_namespaces; i++)
    {
      g_free (l->namespaces[i].type);
      g_free (l->namespaces[i].path);
    }
  g_free (l->namespaces);
  g_free (l->uidMappings);
  g_free (l->gidMappings);
  for (size_t i = 0; i < l->n_timeOffsets; i++)
    g_free (l->timeOffsets[i].clock);
  g_free (l->timeOffsets);
  for (size_t i = 0; i < l->n_devices; i++)
    {
      g_free (l->devices[i].path);
      g_free (l->devices[i].type);
    }
  g_free (l->devices);
  g_free (l->cgroupsPath);
  berth_resources_free (l->resources);
  g_free (l->rootfsPropagation);
  seccomp_free (l->seccomp);
  hash_table_unref0 (l->sysctl);
  g_strfreev (l->maskedPaths);
  g_strfreev (l->readonlyPaths);
  g_free (l->mountLabel);
  g_free (l->personality_domain);
  g_strfreev (l->personality_flags);
}

static void
hook_list_clear (BerthHookList *list)
{
  for (size_t i = 0; i < list->n; i++)
    {
      g_free (list->hooks[i].path);
      g_strfreev (list->hooks[i].args);
      g_strfreev (list->hooks[i].env);
    }
  g_free (list->hooks);
}

void
berth_spec_free (BerthSpec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->ociVersion);
  g_free (spec->root_path);
  g_free (spec->hostname);
  g_free (spec->domainname);
  berth_process_free (spec->process);
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      BerthMount *m = &spec->mounts[i];
      g_free (m->type);
      g_free (m->source);
      g_free (m->destination);
      g_strfreev (m->options);
      g_free (m->uidMappings);
      g_free (m->gidMappings);
    }
  g_free (spec->mounts);
  hook_list_clear (&spec->hooks.prestart);
  hook_list_clear (&spec->hooks.createRuntime);
  hook_list_clear (&spec->hooks.createContainer);
  hook_list_clear (&spec->hooks.startContainer);
  hook_list_clear (&spec->hooks.poststart);
  hook_list_clear (&spec->hooks.poststop);
  hash_table_unref0 (spec->annotations);
  if (spec->linux_ != NULL)
    {
      spec_linux_clear (spec->linux_);
      g_free (spec->linux_);
    }
  g_free (spec);
}
