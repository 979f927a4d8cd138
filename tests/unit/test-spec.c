/* Unit tests for shared/spec: config.json / process.json / resources.json
 * parsing, validation messages, lookups and the default spec.
 *
 * JSON literals are written with ' for " (see J()) to stay readable. */
#include "spec.h"
#include "error.h"
#include "json.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* 'x' -> "x" */
static char *
J (const char *s)
{
  char *r = g_strdup (s);
  g_strdelimit (r, "'", '"');
  return r;
}

static BerthSpec *
parse_config (const char *single_quoted, GError **error)
{
  g_autofree char *json = J (single_quoted);
  return berth_spec_parse (json, strlen (json), "/bundle", error);
}

/* ---- comprehensive config ---- */

static const char full_config[] =
  "{"
  " 'ociVersion': '1.2.0',"
  " 'root': {'path': 'rootfs', 'readonly': true},"
  " 'hostname': 'box', 'domainname': 'example.org',"
  " 'unknownTopLevelKey': {'ignored': [1, 2, 3]},"
  " 'process': {"
  "  'terminal': true, 'consoleSize': {'height': 24, 'width': 80},"
  "  'user': {'uid': 1000, 'gid': 1001, 'umask': 18, 'additionalGids': [5, 4294967295]},"
  "  'args': ['sh', '-c', 'true'], 'env': ['PATH=/bin', 'A=b'], 'cwd': '/home',"
  "  'capabilities': {'bounding': ['CAP_KILL', 'CAP_CHECKPOINT_RESTORE'], 'effective': ['CAP_KILL'],"
  "                   'inheritable': [], 'permitted': ['CAP_CHOWN'], 'ambient': ['CAP_KILL']},"
  "  'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': 1024, 'soft': 512},"
  "              {'type': 'RLIMIT_CORE', 'hard': 18446744073709551615, 'soft': 18446744073709551615}],"
  "  'noNewPrivileges': true, 'apparmorProfile': 'prof', 'oomScoreAdj': -500, 'selinuxLabel': 'lbl',"
  "  'scheduler': {'policy': 'SCHED_FIFO', 'priority': 10, 'flags': ['SCHED_FLAG_RESET_ON_FORK']},"
  "  'ioPriority': {'class': 'IOPRIO_CLASS_IDLE', 'priority': 7}"
  " },"
  " 'mounts': ["
  "  {'destination': '/proc', 'type': 'proc', 'source': 'proc'},"
  "  {'destination': 'data', 'type': 'bind', 'source': '/src', 'options': ['rbind', 'ro'],"
  "   'uidMappings': [{'containerID': 0, 'hostID': 100000, 'size': 65536}],"
  "   'gidMappings': [{'containerID': 0, 'hostID': 200000, 'size': 65536}]}"
  " ],"
  " 'hooks': {"
  "  'prestart': [{'path': '/bin/pre', 'args': ['pre', 'x'], 'env': ['K=v'], 'timeout': 5}],"
  "  'createRuntime': [{'path': '/bin/cr'}, {'path': '/bin/cr2'}],"
  "  'createContainer': [{'path': '/bin/cc'}], 'startContainer': [{'path': '/bin/sc'}],"
  "  'poststart': [{'path': '/bin/ps'}], 'poststop': [{'path': '/bin/pst', 'timeout': 1}]"
  " },"
  " 'annotations': {'org.example.key': 'value'},"
  " 'linux': {"
  "  'namespaces': [{'type': 'pid'}, {'type': 'network', 'path': '/proc/1/ns/net'}, {'type': 'mount'},"
  "                 {'type': 'ipc'}, {'type': 'uts'}, {'type': 'user'}, {'type': 'cgroup'}, {'type': 'time'}],"
  "  'uidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}, {'containerID': 1, 'hostID': 100000, 'size': 65536}],"
  "  'gidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}],"
  "  'timeOffsets': {'monotonic': {'secs': -86400, 'nanosecs': 5}, 'boottime': {'secs': 3600}},"
  "  'devices': [{'path': '/dev/fuse', 'type': 'c', 'major': 10, 'minor': 229, 'fileMode': 438, 'uid': 0, 'gid': 0},"
  "              {'path': '/dev/fifo', 'type': 'p'}],"
  "  'cgroupsPath': '/berth/box',"
  "  'resources': {"
  "   'devices': [{'allow': false, 'access': 'rwm'}, {'allow': true, 'type': 'c', 'major': 10, 'minor': 229, 'access': 'rw'}],"
  "   'memory': {'limit': 536870912, 'reservation': 268435456, 'swap': -1, 'kernel': 1, 'kernelTCP': 2,"
  "              'swappiness': 60, 'disableOOMKiller': true, 'useHierarchy': false, 'checkBeforeUpdate': true},"
  "   'cpu': {'shares': 1024, 'quota': 50000, 'burst': 1000, 'period': 100000, 'realtimeRuntime': 950000,"
  "           'realtimePeriod': 1000000, 'cpus': '0-1', 'mems': '0', 'idle': 1},"
  "   'pids': {'limit': 32},"
  "   'blockIO': {'weight': 500, 'leafWeight': 300,"
  "               'weightDevice': [{'major': 8, 'minor': 0, 'weight': 600}],"
  "               'throttleReadBpsDevice': [{'major': 8, 'minor': 0, 'rate': 1048576}],"
  "               'throttleWriteBpsDevice': [{'major': 8, 'minor': 16, 'rate': 2097152}],"
  "               'throttleReadIOPSDevice': [{'major': 8, 'minor': 0, 'rate': 100}],"
  "               'throttleWriteIOPSDevice': [{'major': 8, 'minor': 0, 'rate': 200}]},"
  "   'hugepageLimits': [{'pageSize': '2MB', 'limit': 209715200}],"
  "   'network': {'classID': 1048577, 'priorities': [{'name': 'eth0', 'priority': 500}]},"
  "   'rdma': {'mlx5_1': {'hcaHandles': 3, 'hcaObjects': 10000}},"
  "   'unified': {'memory.high': '1073741824'}"
  "  },"
  "  'rootfsPropagation': 'rslave',"
  "  'seccomp': {'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 1,"
  "              'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], 'flags': ['SECCOMP_FILTER_FLAG_LOG'],"
  "              'listenerPath': '/run/seccomp.sock', 'listenerMetadata': 'meta',"
  "              'syscalls': [{'names': ['read', 'write'], 'action': 'SCMP_ACT_ALLOW'},"
  "                           {'names': ['personality'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38,"
  "                            'args': [{'index': 0, 'value': 8, 'valueTwo': 0, 'op': 'SCMP_CMP_EQ'},"
  "                                     {'index': 5, 'value': 18446744073709551615, 'op': 'SCMP_CMP_MASKED_EQ'}]},"
  "                           {'names': ['mkdir'], 'action': 'SCMP_ACT_NOTIFY'}]},"
  "  'sysctl': {'net.ipv4.ip_forward': '1'},"
  "  'maskedPaths': ['/proc/kcore'], 'readonlyPaths': ['/proc/sys'],"
  "  'mountLabel': 'mlbl',"
  "  'personality': {'domain': 'LINUX32', 'flags': []}"
  " }"
  "}";

static void
test_full_config (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthSpec) spec = parse_config (full_config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (spec);

  g_assert_cmpstr (spec->ociVersion, ==, "1.2.0");
  g_assert_cmpstr (spec->root_path, ==, "/bundle/rootfs");
  g_assert_true (spec->root_readonly);
  g_assert_cmpstr (spec->hostname, ==, "box");
  g_assert_cmpstr (spec->domainname, ==, "example.org");

  BerthProcess *p = spec->process;
  g_assert_nonnull (p);
  g_assert_true (p->terminal);
  g_assert_true (p->has_consoleSize);
  g_assert_cmpuint (p->consoleSize_height, ==, 24);
  g_assert_cmpuint (p->consoleSize_width, ==, 80);
  g_assert_cmpuint (p->uid, ==, 1000);
  g_assert_cmpuint (p->gid, ==, 1001);
  g_assert_true (p->has_umask);
  g_assert_cmpuint (p->umask, ==, 18);
  g_assert_cmpuint (p->n_additionalGids, ==, 2);
  g_assert_cmpuint (p->additionalGids[0], ==, 5);
  g_assert_cmpuint (p->additionalGids[1], ==, 4294967295u);
  g_assert_cmpuint (g_strv_length (p->args), ==, 3);
  g_assert_cmpstr (p->args[2], ==, "true");
  g_assert_cmpstr (p->env[1], ==, "A=b");
  g_assert_cmpstr (p->cwd, ==, "/home");
  g_assert_nonnull (p->capabilities);
  g_assert_cmpstr (p->capabilities->bounding[1], ==, "CAP_CHECKPOINT_RESTORE");
  g_assert_cmpuint (g_strv_length (p->capabilities->effective), ==, 1);
  g_assert_nonnull (p->capabilities->inheritable);
  g_assert_cmpuint (g_strv_length (p->capabilities->inheritable), ==, 0);
  g_assert_cmpstr (p->capabilities->permitted[0], ==, "CAP_CHOWN");
  g_assert_cmpstr (p->capabilities->ambient[0], ==, "CAP_KILL");
  g_assert_cmpuint (p->n_rlimits, ==, 2);
  g_assert_cmpint (p->rlimits[0].resource, ==, RLIMIT_NOFILE);
  g_assert_cmpuint (p->rlimits[0].hard, ==, 1024);
  g_assert_cmpuint (p->rlimits[0].soft, ==, 512);
  g_assert_cmpint (p->rlimits[1].resource, ==, RLIMIT_CORE);
  g_assert_cmpuint (p->rlimits[1].hard, ==, UINT64_MAX);
  g_assert_cmpuint (p->rlimits[1].soft, ==, (uint64_t) RLIM_INFINITY);
  g_assert_true (p->noNewPrivileges);
  g_assert_cmpstr (p->apparmorProfile, ==, "prof");
  g_assert_true (p->has_oomScoreAdj);
  g_assert_cmpint (p->oomScoreAdj, ==, -500);
  g_assert_cmpstr (p->selinuxLabel, ==, "lbl");
  g_assert_nonnull (p->scheduler);
  g_assert_cmpstr (p->scheduler->policy, ==, "SCHED_FIFO");
  g_assert_cmpint (p->scheduler->policy_value, ==, SCHED_FIFO);
  g_assert_true (p->scheduler->has_priority);
  g_assert_cmpint (p->scheduler->priority, ==, 10);
  g_assert_false (p->scheduler->has_nice);
  g_assert_cmpstr (p->scheduler->flags[0], ==, "SCHED_FLAG_RESET_ON_FORK");
  g_assert_nonnull (p->ioPriority);
  g_assert_cmpstr (p->ioPriority->class_name, ==, "IOPRIO_CLASS_IDLE");
  g_assert_cmpint (p->ioPriority->class_value, ==, 3);
  g_assert_cmpint (p->ioPriority->priority, ==, 7);

  g_assert_cmpuint (spec->n_mounts, ==, 2);
  g_assert_cmpstr (spec->mounts[0].destination, ==, "/proc");
  g_assert_cmpstr (spec->mounts[0].type, ==, "proc");
  g_assert_null (spec->mounts[0].options);
  g_assert_cmpstr (spec->mounts[1].destination, ==, "/data");   /* relative -> under / */
  g_assert_cmpstr (spec->mounts[1].source, ==, "/src");
  g_assert_cmpstr (spec->mounts[1].options[1], ==, "ro");
  g_assert_cmpuint (spec->mounts[1].n_uidMappings, ==, 1);
  g_assert_cmpuint (spec->mounts[1].uidMappings[0].hostID, ==, 100000);
  g_assert_cmpuint (spec->mounts[1].gidMappings[0].hostID, ==, 200000);
  g_assert_cmpuint (spec->mounts[1].gidMappings[0].size, ==, 65536);

  g_assert_cmpuint (spec->hooks.prestart.n, ==, 1);
  g_assert_cmpstr (spec->hooks.prestart.hooks[0].path, ==, "/bin/pre");
  g_assert_cmpstr (spec->hooks.prestart.hooks[0].args[1], ==, "x");
  g_assert_cmpstr (spec->hooks.prestart.hooks[0].env[0], ==, "K=v");
  g_assert_true (spec->hooks.prestart.hooks[0].has_timeout);
  g_assert_cmpint (spec->hooks.prestart.hooks[0].timeout, ==, 5);
  g_assert_cmpuint (spec->hooks.createRuntime.n, ==, 2);
  g_assert_cmpstr (spec->hooks.createRuntime.hooks[1].path, ==, "/bin/cr2");
  g_assert_false (spec->hooks.createRuntime.hooks[1].has_timeout);
  g_assert_cmpstr (spec->hooks.createContainer.hooks[0].path, ==, "/bin/cc");
  g_assert_cmpstr (spec->hooks.startContainer.hooks[0].path, ==, "/bin/sc");
  g_assert_cmpstr (spec->hooks.poststart.hooks[0].path, ==, "/bin/ps");
  g_assert_cmpint (spec->hooks.poststop.hooks[0].timeout, ==, 1);

  g_assert_cmpstr (g_hash_table_lookup (spec->annotations, "org.example.key"), ==, "value");

  BerthLinux *l = spec->linux_;
  g_assert_nonnull (l);
  g_assert_cmpuint (l->n_namespaces, ==, 8);
  g_assert_cmpint (l->namespaces[1].kind, ==, BERTH_NS_NETWORK);
  g_assert_cmpstr (l->namespaces[1].path, ==, "/proc/1/ns/net");
  g_assert_null (l->namespaces[0].path);
  g_assert_true (berth_spec_namespace (spec, BERTH_NS_TIME) == &l->namespaces[7]);
  g_assert_true (berth_spec_namespace (spec, BERTH_NS_CGROUP) == &l->namespaces[6]);
  g_assert_cmpuint (l->n_uidMappings, ==, 2);
  g_assert_cmpuint (l->uidMappings[1].containerID, ==, 1);
  g_assert_cmpuint (l->uidMappings[1].hostID, ==, 100000);
  g_assert_cmpuint (l->uidMappings[1].size, ==, 65536);
  g_assert_cmpuint (l->n_gidMappings, ==, 1);
  g_assert_cmpuint (l->n_timeOffsets, ==, 2);
  for (size_t i = 0; i < 2; i++)
    {
      BerthTimeOffset *t = &l->timeOffsets[i];
      if (g_str_equal (t->clock, "monotonic"))
        {
          g_assert_cmpint (t->secs, ==, -86400);
          g_assert_cmpuint (t->nanosecs, ==, 5);
        }
      else
        {
          g_assert_cmpstr (t->clock, ==, "boottime");
          g_assert_cmpint (t->secs, ==, 3600);
          g_assert_cmpuint (t->nanosecs, ==, 0);
        }
    }
  g_assert_cmpuint (l->n_devices, ==, 2);
  g_assert_cmpstr (l->devices[0].path, ==, "/dev/fuse");
  g_assert_cmpint (l->devices[0].major, ==, 10);
  g_assert_cmpint (l->devices[0].minor, ==, 229);
  g_assert_true (l->devices[0].has_fileMode);
  g_assert_cmpuint (l->devices[0].fileMode, ==, 0666);
  g_assert_true (l->devices[0].has_uid && l->devices[0].has_gid);
  g_assert_cmpstr (l->devices[1].type, ==, "p");
  g_assert_false (l->devices[1].has_fileMode);
  g_assert_cmpstr (l->cgroupsPath, ==, "/berth/box");

  BerthResources *r = l->resources;
  g_assert_nonnull (r);
  g_assert_cmpuint (r->n_devices, ==, 2);
  g_assert_false (r->devices[0].allow);
  g_assert_null (r->devices[0].type);
  g_assert_false (r->devices[0].has_major);
  g_assert_cmpstr (r->devices[0].access, ==, "rwm");
  g_assert_true (r->devices[1].allow);
  g_assert_cmpstr (r->devices[1].type, ==, "c");
  g_assert_true (r->devices[1].has_major && r->devices[1].has_minor);
  g_assert_cmpint (r->devices[1].minor, ==, 229);
  g_assert_nonnull (r->memory);
  g_assert_true (r->memory->has_limit);
  g_assert_cmpint (r->memory->limit, ==, 536870912);
  g_assert_cmpint (r->memory->reservation, ==, 268435456);
  g_assert_true (r->memory->has_swap);
  g_assert_cmpint (r->memory->swap, ==, -1);
  g_assert_cmpint (r->memory->kernel, ==, 1);
  g_assert_cmpint (r->memory->kernelTCP, ==, 2);
  g_assert_true (r->memory->has_swappiness);
  g_assert_cmpuint (r->memory->swappiness, ==, 60);
  g_assert_true (r->memory->has_disableOOMKiller && r->memory->disableOOMKiller);
  g_assert_true (r->memory->has_useHierarchy);
  g_assert_false (r->memory->useHierarchy);
  g_assert_true (r->memory->checkBeforeUpdate);
  g_assert_nonnull (r->cpu);
  g_assert_cmpuint (r->cpu->shares, ==, 1024);
  g_assert_cmpint (r->cpu->quota, ==, 50000);
  g_assert_cmpuint (r->cpu->burst, ==, 1000);
  g_assert_cmpuint (r->cpu->period, ==, 100000);
  g_assert_cmpint (r->cpu->realtimeRuntime, ==, 950000);
  g_assert_cmpuint (r->cpu->realtimePeriod, ==, 1000000);
  g_assert_cmpstr (r->cpu->cpus, ==, "0-1");
  g_assert_cmpstr (r->cpu->mems, ==, "0");
  g_assert_true (r->cpu->has_idle);
  g_assert_cmpint (r->cpu->idle, ==, 1);
  g_assert_true (r->has_pids_limit);
  g_assert_cmpint (r->pids_limit, ==, 32);
  g_assert_nonnull (r->blockIO);
  g_assert_cmpuint (r->blockIO->weight, ==, 500);
  g_assert_cmpuint (r->blockIO->leafWeight, ==, 300);
  g_assert_cmpuint (r->blockIO->n_weightDevice, ==, 1);
  g_assert_true (r->blockIO->weightDevice[0].has_weight);
  g_assert_false (r->blockIO->weightDevice[0].has_leafWeight);
  g_assert_cmpuint (r->blockIO->weightDevice[0].weight, ==, 600);
  g_assert_cmpuint (r->blockIO->throttleReadBpsDevice[0].rate, ==, 1048576);
  g_assert_cmpint (r->blockIO->throttleWriteBpsDevice[0].minor, ==, 16);
  g_assert_cmpuint (r->blockIO->throttleReadIOPSDevice[0].rate, ==, 100);
  g_assert_cmpuint (r->blockIO->throttleWriteIOPSDevice[0].rate, ==, 200);
  g_assert_cmpuint (r->n_hugepageLimits, ==, 1);
  g_assert_cmpstr (r->hugepageLimits[0].pageSize, ==, "2MB");
  g_assert_cmpuint (r->hugepageLimits[0].limit, ==, 209715200);
  g_assert_true (r->has_network_classID);
  g_assert_cmpuint (r->network_classID, ==, 1048577);
  g_assert_cmpstr (r->network_priorities[0].name, ==, "eth0");
  g_assert_cmpuint (r->network_priorities[0].priority, ==, 500);
  g_assert_cmpuint (r->n_rdma, ==, 1);
  g_assert_cmpstr (r->rdma[0].device, ==, "mlx5_1");
  g_assert_cmpuint (r->rdma[0].hcaHandles, ==, 3);
  g_assert_cmpuint (r->rdma[0].hcaObjects, ==, 10000);
  g_assert_cmpstr (g_hash_table_lookup (r->unified, "memory.high"), ==, "1073741824");

  g_assert_cmpstr (l->rootfsPropagation, ==, "rslave");
  BerthSeccomp *s = l->seccomp;
  g_assert_nonnull (s);
  g_assert_cmpstr (s->defaultAction, ==, "SCMP_ACT_ERRNO");
  g_assert_true (s->has_defaultErrnoRet);
  g_assert_cmpuint (s->defaultErrnoRet, ==, 1);
  g_assert_cmpstr (s->architectures[1], ==, "SCMP_ARCH_X86");
  g_assert_cmpstr (s->flags[0], ==, "SECCOMP_FILTER_FLAG_LOG");
  g_assert_cmpstr (s->listenerPath, ==, "/run/seccomp.sock");
  g_assert_cmpstr (s->listenerMetadata, ==, "meta");
  g_assert_cmpuint (s->n_syscalls, ==, 3);
  g_assert_cmpstr (s->syscalls[0].names[1], ==, "write");
  g_assert_false (s->syscalls[0].has_errnoRet);
  g_assert_cmpuint (s->syscalls[0].n_args, ==, 0);
  g_assert_cmpuint (s->syscalls[1].errnoRet, ==, 38);
  g_assert_cmpuint (s->syscalls[1].n_args, ==, 2);
  g_assert_cmpuint (s->syscalls[1].args[0].value, ==, 8);
  g_assert_cmpstr (s->syscalls[1].args[0].op, ==, "SCMP_CMP_EQ");
  g_assert_cmpuint (s->syscalls[1].args[1].index, ==, 5);
  g_assert_cmpuint (s->syscalls[1].args[1].value, ==, UINT64_MAX);
  g_assert_cmpstr (s->syscalls[2].action, ==, "SCMP_ACT_NOTIFY");
  g_assert_cmpstr (g_hash_table_lookup (l->sysctl, "net.ipv4.ip_forward"), ==, "1");
  g_assert_cmpstr (l->maskedPaths[0], ==, "/proc/kcore");
  g_assert_cmpstr (l->readonlyPaths[0], ==, "/proc/sys");
  g_assert_cmpstr (l->mountLabel, ==, "mlbl");
  g_assert_cmpstr (l->personality_domain, ==, "LINUX32");
  g_assert_nonnull (l->personality_flags);
}

static void
test_minimal_config (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthSpec) spec = parse_config ("{'ociVersion': '1.0.0', 'root': {'path': '/abs/root'}}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (spec->root_path, ==, "/abs/root");
  g_assert_false (spec->root_readonly);
  g_assert_null (spec->process);        /* allowed by the parser */
  g_assert_null (spec->linux_);
  g_assert_cmpuint (spec->n_mounts, ==, 0);
  g_assert_nonnull (spec->annotations);
  g_assert_cmpuint (g_hash_table_size (spec->annotations), ==, 0);
  g_assert_null (berth_spec_namespace (spec, BERTH_NS_PID));

  /* null means absent, like Go; relative root with ".." is cleaned against the bundle. */
  g_autoptr (BerthSpec) spec2 = parse_config (
    "{'ociVersion': '1.0.0', 'root': {'path': '../rootfs', 'readonly': null}, 'hostname': null,"
    " 'process': {'args': ['x'], 'cwd': '/', 'user': {'uid': 0, 'gid': 0}, 'env': null}}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (spec2->root_path, ==, "/rootfs");
  g_assert_null (spec2->hostname);
  g_assert_null (spec2->process->env);
  g_assert_null (spec2->process->capabilities);
  g_assert_false (spec2->process->has_oomScoreAdj);
}

/* ---- validation errors ---- */

typedef struct
{
  const char *patch;      /* deep-merged into the base; null removes a member */
  const char *message;    /* exact error message */
} ErrorCase;

static const char base_config[] =
  "{'ociVersion': '1.0.2', 'root': {'path': 'rootfs'},"
  " 'process': {'args': ['sh'], 'cwd': '/'},"
  " 'linux': {'namespaces': [{'type': 'pid'}, {'type': 'mount'}, {'type': 'uts'}]}}";

static void
merge_object (JsonObject *base, JsonObject *patch)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;
  json_object_iter_init (&iter, patch);
  while (json_object_iter_next (&iter, &key, &value))
    {
      JsonNode *old = json_object_get_member (base, key);
      if (JSON_NODE_HOLDS_NULL (value))
        json_object_remove_member (base, key);
      else if (old != NULL && JSON_NODE_HOLDS_OBJECT (old) && JSON_NODE_HOLDS_OBJECT (value))
        merge_object (json_node_get_object (old), json_node_get_object (value));
      else
        json_object_set_member (base, key, json_node_copy (value));
    }
}

static char *
patched_config (const char *patch)
{
  g_autofree char *base = J (base_config);
  g_autofree char *patch_json = J (patch);
  g_autoptr (JsonParser) bp = json_parser_new ();
  g_autoptr (JsonParser) pp = json_parser_new ();
  g_assert_true (json_parser_load_from_data (bp, base, -1, NULL));
  g_assert_true (json_parser_load_from_data (pp, patch_json, -1, NULL));
  merge_object (json_node_get_object (json_parser_get_root (bp)), json_node_get_object (json_parser_get_root (pp)));
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, json_parser_get_root (bp));
  return json_generator_to_data (gen, NULL);
}

static const ErrorCase config_errors[] = {
  { "{'ociVersion': null}", "config.json: .ociVersion: is required" },
  { "{'ociVersion': 1}", "config.json: .ociVersion: must be a string" },
  { "{'ociVersion': ''}", "config.json: .ociVersion: must not be empty" },
  { "{'root': null}", "config.json: .root: is required" },
  { "{'root': 'rootfs'}", "config.json: .root: must be an object" },
  { "{'root': {'path': ''}}", "config.json: .root.path: must not be empty" },
  { "{'root': {'readonly': 'yes'}}", "config.json: .root.readonly: must be a boolean" },
  { "{'process': {'args': null}}", "config.json: .process.args: must be a non-empty array of strings" },
  { "{'process': {'args': []}}", "config.json: .process.args: must be a non-empty array of strings" },
  { "{'process': {'args': 'sh'}}", "config.json: .process.args: must be a non-empty array of strings" },
  { "{'process': {'args': ['sh', 1]}}", "config.json: .process.args[1]: must be a string" },
  { "{'process': {'cwd': 'tmp'}}", "config.json: .process.cwd: must be an absolute path, got \"tmp\"" },
  { "{'process': {'cwd': null}}", "config.json: .process.cwd: is required" },
  { "{'process': {'env': ['A=b', null]}}", "config.json: .process.env[1]: must be a string" },
  { "{'process': {'terminal': 1}}", "config.json: .process.terminal: must be a boolean" },
  { "{'process': {'user': {'uid': -1}}}", "config.json: .process.user.uid: must be an integer in 0..4294967295" },
  { "{'process': {'user': {'gid': 4294967296}}}", "config.json: .process.user.gid: must be an integer in 0..4294967295" },
  { "{'process': {'user': {'uid': 1.5}}}", "config.json: .process.user.uid: must be an integer in 0..4294967295" },
  { "{'process': {'user': {'uid': '0'}}}", "config.json: .process.user.uid: must be an integer in 0..4294967295" },
  { "{'process': {'user': {'additionalGids': [1, -2]}}}", "config.json: .process.user.additionalGids[1]: must be an integer in 0..4294967295" },
  { "{'process': {'consoleSize': {'height': 10}}}", "config.json: .process.consoleSize.width: is required" },
  { "{'process': {'rlimits': [{'type': 'RLIMIT_FOO', 'hard': 1, 'soft': 1}]}}",
    "config.json: .process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"" },
  { "{'process': {'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': 1, 'soft': 1}, {'type': 'RLIMIT_NOFILE', 'hard': 2, 'soft': 2}]}}",
    "config.json: .process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"" },
  { "{'process': {'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': 1, 'soft': 2}]}}",
    "config.json: .process.rlimits[0].soft: must not exceed hard (1)" },
  { "{'process': {'rlimits': [{'type': 'RLIMIT_NOFILE', 'soft': 2}]}}", "config.json: .process.rlimits[0].hard: is required" },
  { "{'process': {'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': 'x', 'soft': 2}]}}",
    "config.json: .process.rlimits[0].hard: must be a non-negative integer" },
  { "{'process': {'rlimits': ['RLIMIT_NOFILE']}}", "config.json: .process.rlimits[0]: must be an object" },
  { "{'process': {'capabilities': {'bounding': ['CAP_KILL', 'CAP_TEST']}}}",
    "config.json: .process.capabilities.bounding[1]: unknown capability \"CAP_TEST\"" },
  { "{'process': {'capabilities': {'ambient': ['cap_kill']}}}",
    "config.json: .process.capabilities.ambient[0]: unknown capability \"cap_kill\"" },
  { "{'process': {'oomScoreAdj': 1001}}", "config.json: .process.oomScoreAdj: must be an integer in -1000..1000" },
  { "{'process': {'commandLine': 'sh -c true'}}", "config.json: .process.commandLine: is only supported on Windows" },
  { "{'process': {'scheduler': {'policy': 'SCHED_FOO'}}}",
    "config.json: .process.scheduler.policy: unknown scheduler policy \"SCHED_FOO\"" },
  { "{'process': {'scheduler': {'policy': 'SCHED_OTHER', 'nice': 20}}}",
    "config.json: .process.scheduler.nice: must be an integer in -20..19" },
  { "{'process': {'scheduler': {'policy': 'SCHED_OTHER', 'priority': 5}}}",
    "config.json: .process.scheduler.priority: can only be set for SCHED_FIFO or SCHED_RR" },
  { "{'process': {'scheduler': {'policy': 'SCHED_OTHER', 'flags': ['SCHED_FLAG_BOGUS']}}}",
    "config.json: .process.scheduler.flags[0]: unknown scheduler flag \"SCHED_FLAG_BOGUS\"" },
  { "{'process': {'ioPriority': {'class': 'IOPRIO_CLASS_NONE'}}}",
    "config.json: .process.ioPriority.class: unknown I/O priority class \"IOPRIO_CLASS_NONE\"" },
  { "{'process': {'ioPriority': {'class': 'IOPRIO_CLASS_BE', 'priority': 8}}}",
    "config.json: .process.ioPriority.priority: must be an integer in 0..7" },
  { "{'hostname': 5}", "config.json: .hostname: must be a string" },
  { "{'hostname': 'box', 'linux': {'namespaces': [{'type': 'pid'}]}}",
    "config.json: .hostname: requires a uts namespace in .linux.namespaces" },
  { "{'mounts': {}}", "config.json: .mounts: must be an array" },
  { "{'mounts': [{'destination': '/a'}, 'x']}", "config.json: .mounts[1]: must be an object" },
  { "{'mounts': [{'type': 'tmpfs'}]}", "config.json: .mounts[0].destination: is required" },
  { "{'mounts': [{'destination': ''}]}", "config.json: .mounts[0].destination: must not be empty" },
  { "{'mounts': [{'destination': '/a', 'options': 'ro'}]}", "config.json: .mounts[0].options: must be an array of strings" },
  { "{'mounts': [{'destination': '/a', 'uidMappings': [{'containerID': 0, 'hostID': 0}]}]}",
    "config.json: .mounts[0].uidMappings[0].size: is required" },
  { "{'hooks': {'prestart': [{'path': 'hook'}]}}", "config.json: .hooks.prestart[0].path: must be an absolute path, got \"hook\"" },
  { "{'hooks': {'poststop': [{'path': '/h'}, {'path': '/h', 'timeout': 0}]}}",
    "config.json: .hooks.poststop[1].timeout: must be a positive number of seconds" },
  { "{'hooks': {'createRuntime': [{'path': '/h', 'timeout': -3}]}}",
    "config.json: .hooks.createRuntime[0].timeout: must be a positive number of seconds" },
  { "{'hooks': {'startContainer': [{'args': ['x']}]}}", "config.json: .hooks.startContainer[0].path: is required" },
  { "{'annotations': {'a': 'b', 'c': 1}}", "config.json: .annotations.c: must be a string" },
  { "{'linux': []}", "config.json: .linux: must be an object" },
  { "{'linux': {'namespaces': [{'type': 'pid'}, {'type': 'uts'}, {'type': 'foo'}]}}",
    "config.json: .linux.namespaces[2].type: unknown namespace type \"foo\"" },
  { "{'linux': {'namespaces': [{'type': 'pid'}, {'type': 'uts'}, {'type': 'pid'}]}}",
    "config.json: .linux.namespaces[2].type: duplicate namespace type \"pid\"" },
  { "{'linux': {'namespaces': [{'type': 'uts', 'path': 'ns/uts'}]}}",
    "config.json: .linux.namespaces[0].path: must be an absolute path, got \"ns/uts\"" },
  { "{'linux': {'namespaces': [{}]}}", "config.json: .linux.namespaces[0].type: is required" },
  { "{'linux': {'uidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}]}}",
    "config.json: .linux.uidMappings: requires a user namespace in .linux.namespaces" },
  { "{'linux': {'gidMappings': [{'containerID': 0, 'hostID': 1000, 'size': 1}]}}",
    "config.json: .linux.gidMappings: requires a user namespace in .linux.namespaces" },
  { "{'linux': {'timeOffsets': {'monotonic': {'secs': 1}}}}",
    "config.json: .linux.timeOffsets: requires a time namespace in .linux.namespaces" },
  { "{'linux': {'timeOffsets': {'realtime': {'secs': 1}}}}",
    "config.json: .linux.timeOffsets.realtime: unknown clock \"realtime\" (expected monotonic or boottime)" },
  { "{'linux': {'timeOffsets': {'boottime': {'nanosecs': 1000000000}}}}",
    "config.json: .linux.timeOffsets.boottime.nanosecs: must be less than 1000000000" },
  { "{'linux': {'devices': [{'path': '/dev/x', 'type': 'x', 'major': 1, 'minor': 1}]}}",
    "config.json: .linux.devices[0].type: unknown device type \"x\" (expected c, u, b or p)" },
  { "{'linux': {'devices': [{'path': '/dev/x', 'type': 'c', 'major': 1}]}}",
    "config.json: .linux.devices[0].minor: is required" },
  { "{'linux': {'devices': [{'path': 'dev/x', 'type': 'c', 'major': 1, 'minor': 1}]}}",
    "config.json: .linux.devices[0].path: must be an absolute path, got \"dev/x\"" },
  { "{'linux': {'rootfsPropagation': 'foo'}}", "config.json: .linux.rootfsPropagation: unknown propagation \"foo\"" },
  { "{'linux': {'maskedPaths': ['/proc/kcore', 'proc/keys']}}",
    "config.json: .linux.maskedPaths[1]: must be an absolute path, got \"proc/keys\"" },
  { "{'linux': {'sysctl': {'net.x': 1}}}", "config.json: .linux.sysctl.net.x: must be a string" },
  { "{'linux': {'personality': {'domain': 'LINUX64'}}}",
    "config.json: .linux.personality.domain: unknown personality domain \"LINUX64\" (expected LINUX or LINUX32)" },
  { "{'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_FOO'}}}",
    "config.json: .linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_FOO\"" },
  { "{'linux': {'seccomp': {}}}", "config.json: .linux.seccomp.defaultAction: is required" },
  { "{'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_NOTIFY', 'listenerPath': '/s'}}}",
    "config.json: .linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action" },
  { "{'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_VAX']}}}",
    "config.json: .linux.seccomp.architectures[0]: unknown seccomp architecture \"SCMP_ARCH_VAX\"" },
  { "{'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', 'flags': ['SECCOMP_FILTER_FLAG_X']}}}",
    "config.json: .linux.seccomp.flags[0]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_X\"" },
  { "{'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['read'], 'action': 'SCMP_ACT_ALLOW'}, {'names': ['x'], 'action': 'ALLOW'}]}}}",
    "config.json: .linux.seccomp.syscalls[1].action: unknown seccomp action \"ALLOW\"" },
  { "{'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': [], 'action': 'SCMP_ACT_ALLOW'}]}}}",
    "config.json: .linux.seccomp.syscalls[0].names: must be a non-empty array of strings" },
  { "{'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['x'], 'action': 'SCMP_ACT_ERRNO', 'args': [{'index': 0, 'value': 1, 'op': 'SCMP_CMP_FOO'}]}]}}}",
    "config.json: .linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_FOO\"" },
  { "{'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['x'], 'action': 'SCMP_ACT_ERRNO', 'args': [{'index': 6, 'value': 1, 'op': 'SCMP_CMP_EQ'}]}]}}}",
    "config.json: .linux.seccomp.syscalls[0].args[0].index: must be an integer in 0..5" },
  { "{'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['x'], 'action': 'SCMP_ACT_NOTIFY'}]}}}",
    "config.json: .linux.seccomp.listenerPath: is required when SCMP_ACT_NOTIFY is used" },
  { "{'linux': {'resources': {'memory': {'limit': '1G'}}}}", "config.json: .linux.resources.memory.limit: must be an integer" },
  { "{'linux': {'resources': {'memory': {'swappiness': 101}}}}", "config.json: .linux.resources.memory.swappiness: must be in 0..100" },
  { "{'linux': {'resources': {'devices': [{'allow': true, 'access': 'rwx'}]}}}",
    "config.json: .linux.resources.devices[0].access: must be a combination of r, w and m, got \"rwx\"" },
  { "{'linux': {'resources': {'devices': [{'access': 'r'}]}}}", "config.json: .linux.resources.devices[0].allow: is required" },
  { "{'linux': {'resources': {'devices': [{'allow': true, 'type': 'u'}]}}}",
    "config.json: .linux.resources.devices[0].type: unknown device type \"u\" (expected a, c or b)" },
  { "{'linux': {'resources': {'pids': {'limit': 'max'}}}}", "config.json: .linux.resources.pids.limit: must be an integer" },
  { "{'linux': {'resources': {'blockIO': {'weight': 70000}}}}", "config.json: .linux.resources.blockIO.weight: must be an integer in 0..65535" },
  { "{'linux': {'resources': {'blockIO': {'throttleReadBpsDevice': [{'major': 8, 'minor': 0}]}}}}",
    "config.json: .linux.resources.blockIO.throttleReadBpsDevice[0].rate: is required" },
  { "{'linux': {'resources': {'hugepageLimits': [{'limit': 1}]}}}", "config.json: .linux.resources.hugepageLimits[0].pageSize: is required" },
  { "{'linux': {'resources': {'network': {'priorities': [{'name': 'eth0', 'priority': -1}]}}}}",
    "config.json: .linux.resources.network.priorities[0].priority: must be an integer in 0..4294967295" },
  { "{'linux': {'resources': {'rdma': {'mlx': {'hcaHandles': 'x'}}}}}",
    "config.json: .linux.resources.rdma.mlx.hcaHandles: must be an integer in 0..4294967295" },
  { "{'linux': {'resources': {'rdma': {'mlx': 3}}}}", "config.json: .linux.resources.rdma.mlx: must be an object" },
  { "{'linux': {'resources': {'unified': {'memory.max': 5}}}}", "config.json: .linux.resources.unified.memory.max: must be a string" },
};

static void
test_config_errors (void)
{
  for (size_t i = 0; i < G_N_ELEMENTS (config_errors); i++)
    {
      g_autofree char *json = patched_config (config_errors[i].patch);
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthSpec) spec = berth_spec_parse (json, strlen (json), "/bundle", &error);
      if (spec != NULL || error == NULL || strcmp (error->message, config_errors[i].message) != 0)
        g_error ("case %zu %s:\n  expected: %s\n  got:      %s", i, config_errors[i].patch, config_errors[i].message,
                 error ? error->message : "(success)");
      g_assert_error (error, BERTH_ERROR, EINVAL);
    }
  /* The base itself is valid (so each case fails for its own reason). */
  g_autofree char *base = patched_config ("{}");
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthSpec) spec = berth_spec_parse (base, strlen (base), "/bundle", &error);
  g_assert_no_error (error);
}

typedef struct { const char *json; const char *message; } RawErrorCase;

static const RawErrorCase raw_errors[] = {
  { "{\"ociVersion\": }", "config.json: invalid JSON at line 1, column 16: unexpected character `}', expected a value" },
  { "{\"ociVersion\": \"1.0.0\",\n \"root\": {\"path\": \"r\"},,\n}",
    "config.json: invalid JSON at line 2, column 24: unexpected character `,', expected a member name (a string)" },
  { "[]", "config.json: must be a JSON object" },
  { "", "config.json: must be a JSON object" },
  { "\"str\"", "config.json: must be a JSON object" },
};

static void
test_raw_errors (void)
{
  for (size_t i = 0; i < G_N_ELEMENTS (raw_errors); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthSpec) spec = berth_spec_parse (raw_errors[i].json, strlen (raw_errors[i].json), "/b", &error);
      g_assert_null (spec);
      g_assert_nonnull (error);
      g_assert_cmpstr (error->message, ==, raw_errors[i].message);
    }
}

/* ---- process.json, resources.json ---- */

static void
test_process_json (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *ok = J ("{'args': ['ls', '-l'], 'cwd': '/tmp', 'env': ['A=1'], 'user': {'uid': 5, 'gid': 6},"
                           " 'terminal': false, 'capabilities': {'bounding': ['CAP_KILL']}, 'noNewPrivileges': true}");
  g_autoptr (BerthProcess) p = berth_process_parse (ok, strlen (ok), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (p->args[1], ==, "-l");
  g_assert_cmpstr (p->cwd, ==, "/tmp");
  g_assert_cmpuint (p->uid, ==, 5);
  g_assert_cmpuint (p->gid, ==, 6);
  g_assert_cmpstr (p->capabilities->bounding[0], ==, "CAP_KILL");
  g_assert_null (p->capabilities->inheritable);
  g_assert_true (p->noNewPrivileges);

  static const RawErrorCase cases[] = {
    { "{'cwd': '/'}", "process.json: .args: must be a non-empty array of strings" },
    { "{'args': ['x'], 'cwd': 'rel'}", "process.json: .cwd: must be an absolute path, got \"rel\"" },
    { "{'args': ['x'], 'cwd': '/', 'user': {'uid': -5}}", "process.json: .user.uid: must be an integer in 0..4294967295" },
    { "{'args': ['x'], 'cwd': '/', 'rlimits': [{'type': 'RLIMIT_BAR', 'soft': 1, 'hard': 1}]}",
      "process.json: .rlimits[0].type: unknown rlimit \"RLIMIT_BAR\"" },
    { "{'args': ['x'], 'cwd': '/', 'capabilities': {'effective': ['CAP_TEST']}}",
      "process.json: .capabilities.effective[0]: unknown capability \"CAP_TEST\"" },
    { "['x']", "process.json: must be a JSON object" },
    { "{'args': ", "process.json: invalid JSON at line 1, column 10: unexpected end of data, expected a value" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *json = J (cases[i].json);
      g_autoptr (GError) err = NULL;
      g_autoptr (BerthProcess) bad = berth_process_parse (json, strlen (json), &err);
      g_assert_null (bad);
      g_assert_nonnull (err);
      g_assert_cmpstr (err->message, ==, cases[i].message);
    }
}

static void
test_resources_json (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *ok = J ("{'memory': {'limit': 1048576, 'swap': 2097152}, 'cpu': {'quota': 20000, 'period': 100000},"
                           " 'pids': {'limit': -1}, 'blockIO': {'weight': 100}, 'unified': {'io.weight': '50'}}");
  g_autoptr (BerthResources) r = berth_resources_parse (ok, strlen (ok), &error);
  g_assert_no_error (error);
  g_assert_true (r->memory->has_limit);
  g_assert_cmpint (r->memory->limit, ==, 1048576);
  g_assert_false (r->memory->has_reservation);
  g_assert_cmpint (r->cpu->quota, ==, 20000);
  g_assert_false (r->cpu->has_shares);
  g_assert_true (r->has_pids_limit);
  g_assert_cmpint (r->pids_limit, ==, -1);
  g_assert_cmpuint (r->blockIO->weight, ==, 100);
  g_assert_null (r->devices);
  g_assert_cmpstr (g_hash_table_lookup (r->unified, "io.weight"), ==, "50");

  /* uint64 "-1" (runc's "unset" swappiness) is not an error and leaves it unset. */
  g_autofree char *unset = J ("{'memory': {'swappiness': 18446744073709551615}}");
  g_autoptr (BerthResources) r2 = berth_resources_parse (unset, strlen (unset), &error);
  g_assert_no_error (error);
  g_assert_false (r2->memory->has_swappiness);

  static const RawErrorCase cases[] = {
    { "{'memory': {'limit': 1.5}}", "resources.json: .memory.limit: must be an integer" },
    { "{'memory': []}", "resources.json: .memory: must be an object" },
    { "{'cpu': {'cpus': 3}}", "resources.json: .cpu.cpus: must be a string" },
    { "{'pids': {'limit': true}}", "resources.json: .pids.limit: must be an integer" },
    { "{'devices': [{'allow': 'yes'}]}", "resources.json: .devices[0].allow: must be a boolean" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *json = J (cases[i].json);
      g_autoptr (GError) err = NULL;
      g_autoptr (BerthResources) bad = berth_resources_parse (json, strlen (json), &err);
      g_assert_null (bad);
      g_assert_nonnull (err);
      g_assert_cmpstr (err->message, ==, cases[i].message);
    }
}

/* ---- berth_spec_load ---- */

static void
test_load (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("berth-spec-XXXXXX", &error);
  g_assert_no_error (error);

  g_autoptr (BerthSpec) missing = berth_spec_load (dir, NULL, NULL, &error);
  g_assert_null (missing);
  g_assert_error (error, BERTH_ERROR, ENOENT);
  g_autofree char *expected = g_strdup_printf ("bundle %s: config.json: No such file or directory", dir);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);

  g_autofree char *path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *json = J ("{'ociVersion': '1.0.0', 'root': {'path': 'rootfs'}, 'process': {'args': ['x'], 'cwd': '/'}}");
  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  g_autofree char *raw = NULL;
  size_t raw_len = 0;
  g_autoptr (BerthSpec) spec = berth_spec_load (dir, &raw, &raw_len, &error);
  g_assert_no_error (error);
  g_autofree char *rootfs = g_build_filename (dir, "rootfs", NULL);
  g_assert_cmpstr (spec->root_path, ==, rootfs);
  g_assert_cmpuint (raw_len, ==, strlen (json));
  g_assert_cmpstr (raw, ==, json);

  /* A parse error keeps the config.json: prefix. */
  g_assert_true (g_file_set_contents (path, "{}", -1, NULL));
  g_autoptr (BerthSpec) bad = berth_spec_load (dir, NULL, NULL, &error);
  g_assert_null (bad);
  g_assert_cmpstr (error->message, ==, "config.json: .ociVersion: is required");
  g_clear_error (&error);

  g_assert_cmpint (unlink (path), ==, 0);
  g_assert_cmpint (rmdir (dir), ==, 0);
}

/* ---- lookups ---- */

static void
test_lookups (void)
{
  g_assert_cmpint (berth_capability_from_name ("CAP_CHOWN"), ==, CAP_CHOWN);
  g_assert_cmpint (berth_capability_from_name ("CAP_NET_BIND_SERVICE"), ==, CAP_NET_BIND_SERVICE);
  g_assert_cmpint (berth_capability_from_name ("CAP_SYS_ADMIN"), ==, CAP_SYS_ADMIN);
  g_assert_cmpint (berth_capability_from_name ("CAP_AUDIT_READ"), ==, CAP_AUDIT_READ);
  g_assert_cmpint (berth_capability_from_name ("CAP_PERFMON"), ==, CAP_PERFMON);
  g_assert_cmpint (berth_capability_from_name ("CAP_BPF"), ==, CAP_BPF);
  g_assert_cmpint (berth_capability_from_name ("CAP_CHECKPOINT_RESTORE"), ==, CAP_CHECKPOINT_RESTORE);
  g_assert_cmpint (berth_capability_from_name ("CAP_TEST"), ==, -1);
  g_assert_cmpint (berth_capability_from_name ("chown"), ==, -1);
  g_assert_cmpint (berth_capability_from_name (NULL), ==, -1);
  /* Every capability 0..CAP_LAST_CAP, checked against the kernel header's numbers. */
#define CAP_ENTRY(x) { #x, x }
  static const struct { const char *name; int value; } all[] = {
    CAP_ENTRY (CAP_CHOWN), CAP_ENTRY (CAP_DAC_OVERRIDE), CAP_ENTRY (CAP_DAC_READ_SEARCH),
    CAP_ENTRY (CAP_FOWNER), CAP_ENTRY (CAP_FSETID), CAP_ENTRY (CAP_KILL),
    CAP_ENTRY (CAP_SETGID), CAP_ENTRY (CAP_SETUID), CAP_ENTRY (CAP_SETPCAP),
    CAP_ENTRY (CAP_LINUX_IMMUTABLE), CAP_ENTRY (CAP_NET_BIND_SERVICE), CAP_ENTRY (CAP_NET_BROADCAST),
    CAP_ENTRY (CAP_NET_ADMIN), CAP_ENTRY (CAP_NET_RAW), CAP_ENTRY (CAP_IPC_LOCK),
    CAP_ENTRY (CAP_IPC_OWNER), CAP_ENTRY (CAP_SYS_MODULE), CAP_ENTRY (CAP_SYS_RAWIO),
    CAP_ENTRY (CAP_SYS_CHROOT), CAP_ENTRY (CAP_SYS_PTRACE), CAP_ENTRY (CAP_SYS_PACCT),
    CAP_ENTRY (CAP_SYS_ADMIN), CAP_ENTRY (CAP_SYS_BOOT), CAP_ENTRY (CAP_SYS_NICE),
    CAP_ENTRY (CAP_SYS_RESOURCE), CAP_ENTRY (CAP_SYS_TIME), CAP_ENTRY (CAP_SYS_TTY_CONFIG),
    CAP_ENTRY (CAP_MKNOD), CAP_ENTRY (CAP_LEASE), CAP_ENTRY (CAP_AUDIT_WRITE),
    CAP_ENTRY (CAP_AUDIT_CONTROL), CAP_ENTRY (CAP_SETFCAP), CAP_ENTRY (CAP_MAC_OVERRIDE),
    CAP_ENTRY (CAP_MAC_ADMIN), CAP_ENTRY (CAP_SYSLOG), CAP_ENTRY (CAP_WAKE_ALARM),
    CAP_ENTRY (CAP_BLOCK_SUSPEND), CAP_ENTRY (CAP_AUDIT_READ), CAP_ENTRY (CAP_PERFMON),
    CAP_ENTRY (CAP_BPF), CAP_ENTRY (CAP_CHECKPOINT_RESTORE),
  };
#undef CAP_ENTRY
  g_assert_cmpuint (G_N_ELEMENTS (all), ==, CAP_LAST_CAP + 1);
  for (size_t i = 0; i < G_N_ELEMENTS (all); i++)
    g_assert_cmpint (berth_capability_from_name (all[i].name), ==, all[i].value);

  g_assert_cmpint (berth_rlimit_from_name ("RLIMIT_NOFILE"), ==, RLIMIT_NOFILE);
  g_assert_cmpint (berth_rlimit_from_name ("RLIMIT_CPU"), ==, RLIMIT_CPU);
  g_assert_cmpint (berth_rlimit_from_name ("RLIMIT_RTTIME"), ==, RLIMIT_RTTIME);
  g_assert_cmpint (berth_rlimit_from_name ("RLIMIT_MSGQUEUE"), ==, RLIMIT_MSGQUEUE);
  g_assert_cmpint (berth_rlimit_from_name ("RLIMIT_FOO"), ==, -1);
  g_assert_cmpint (berth_rlimit_from_name ("nofile"), ==, -1);

  g_assert_cmpint (berth_namespace_clone_flag (BERTH_NS_PID), ==, CLONE_NEWPID);
  g_assert_cmpint (berth_namespace_clone_flag (BERTH_NS_NETWORK), ==, CLONE_NEWNET);
  g_assert_cmpint (berth_namespace_clone_flag (BERTH_NS_MOUNT), ==, CLONE_NEWNS);
  g_assert_cmpint (berth_namespace_clone_flag (BERTH_NS_IPC), ==, CLONE_NEWIPC);
  g_assert_cmpint (berth_namespace_clone_flag (BERTH_NS_UTS), ==, CLONE_NEWUTS);
  g_assert_cmpint (berth_namespace_clone_flag (BERTH_NS_USER), ==, CLONE_NEWUSER);
  g_assert_cmpint (berth_namespace_clone_flag (BERTH_NS_CGROUP), ==, 0x02000000);
  g_assert_cmpint (berth_namespace_clone_flag (BERTH_NS_TIME), ==, 0x80);
  g_assert_cmpint (berth_namespace_clone_flag (BERTH_NS_COUNT), ==, 0);
}

static void
test_scheduler_values (void)
{
  static const struct { const char *policy; int value; } cases[] = {
    { "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO }, { "SCHED_RR", SCHED_RR },
    { "SCHED_BATCH", SCHED_BATCH }, { "SCHED_IDLE", SCHED_IDLE }, { "SCHED_DEADLINE", 6 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *extra = g_str_equal (cases[i].policy, "SCHED_DEADLINE")
                            ? ", 'runtime': 10000000, 'deadline': 20000000, 'period': 30000000" : "";
      g_autofree char *json = g_strdup_printf ("{'ociVersion': '1', 'root': {'path': '/r'}, 'process': {'args': ['x'],"
                                               " 'cwd': '/', 'scheduler': {'policy': '%s'%s}}}", cases[i].policy, extra);
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthSpec) spec = parse_config (json, &error);
      g_assert_no_error (error);
      g_assert_cmpint (spec->process->scheduler->policy_value, ==, cases[i].value);
      if (cases[i].value == 6)
        g_assert_cmpuint (spec->process->scheduler->period, ==, 30000000);
    }
  static const struct { const char *cls; int value; } io[] = {
    { "IOPRIO_CLASS_RT", 1 }, { "IOPRIO_CLASS_BE", 2 }, { "IOPRIO_CLASS_IDLE", 3 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (io); i++)
    {
      g_autofree char *json = g_strdup_printf ("{'ociVersion': '1', 'root': {'path': '/r'}, 'process': {'args': ['x'],"
                                               " 'cwd': '/', 'ioPriority': {'class': '%s', 'priority': 4}}}", io[i].cls);
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthSpec) spec = parse_config (json, &error);
      g_assert_no_error (error);
      g_assert_cmpint (spec->process->ioPriority->class_value, ==, io[i].value);
      g_assert_cmpint (spec->process->ioPriority->priority, ==, 4);
    }
}

/* ---- default spec ---- */

static void
test_default_spec (void)
{
  g_autofree char *json = berth_spec_default_json (false, 0, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthSpec) spec = berth_spec_parse (json, strlen (json), "/b", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (spec->root_path, ==, "/b/rootfs");
  g_assert_true (spec->root_readonly);
  g_assert_nonnull (spec->process);
  g_assert_cmpstr (spec->process->args[0], ==, "sh");
  g_assert_true (spec->process->terminal);
  g_assert_true (spec->process->noNewPrivileges);
  g_assert_null (spec->process->capabilities->inheritable);   /* CVE-2022-29162 */
  g_assert_cmpuint (g_strv_length (spec->process->capabilities->bounding), ==, 3);
  g_assert_nonnull (berth_spec_namespace (spec, BERTH_NS_NETWORK));
  g_assert_null (berth_spec_namespace (spec, BERTH_NS_USER));
  g_assert_cmpuint (spec->n_mounts, ==, 7);
  g_assert_cmpstr (spec->mounts[5].type, ==, "sysfs");
  g_assert_nonnull (spec->linux_->resources);
  g_assert_cmpuint (spec->linux_->resources->n_devices, ==, 1);
  g_assert_false (spec->linux_->resources->devices[0].allow);
  g_assert_true (strchr (json, '\t') != NULL);   /* pretty, tab-indented like runc */

  g_autofree char *rl = berth_spec_default_json (true, 1234, 5678);
  g_autoptr (BerthSpec) rspec = berth_spec_parse (rl, strlen (rl), "/b", &error);
  g_assert_no_error (error);
  g_assert_null (rspec->process->capabilities->inheritable);
  g_assert_nonnull (berth_spec_namespace (rspec, BERTH_NS_USER));
  g_assert_null (berth_spec_namespace (rspec, BERTH_NS_NETWORK));
  g_assert_cmpuint (rspec->linux_->n_uidMappings, ==, 1);
  g_assert_cmpuint (rspec->linux_->uidMappings[0].hostID, ==, 1234);
  g_assert_cmpuint (rspec->linux_->uidMappings[0].containerID, ==, 0);
  g_assert_cmpuint (rspec->linux_->uidMappings[0].size, ==, 1);
  g_assert_cmpuint (rspec->linux_->gidMappings[0].hostID, ==, 5678);
  g_assert_null (rspec->linux_->resources);
  g_assert_cmpstr (rspec->mounts[5].source, ==, "/sys");
  g_assert_cmpstr (rspec->mounts[5].options[0], ==, "rbind");
  for (size_t i = 0; i < rspec->n_mounts; i++)
    for (size_t j = 0; rspec->mounts[i].options && rspec->mounts[i].options[j]; j++)
      g_assert_false (g_str_has_prefix (rspec->mounts[i].options[j], "gid="));
}

/* Compare with the installed runc's template (skipped without runc). */
static void
compare_with_runc (bool rootless)
{
  g_autofree char *runc = g_find_program_in_path ("runc");
  if (runc == NULL)
    {
      g_test_skip ("runc not installed");
      return;
    }
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("berth-spec-runc-XXXXXX", &error);
  g_assert_no_error (error);
  const char *argv[] = { runc, "spec", rootless ? "--rootless" : NULL, NULL };
  int status = 0;
  g_assert_true (g_spawn_sync (dir, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_autofree char *path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *runc_json = NULL;
  g_assert_true (g_file_get_contents (path, &runc_json, NULL, NULL));
  unlink (path);
  rmdir (dir);

  g_autofree char *ours = berth_spec_default_json (rootless, geteuid (), getegid ());
  g_autoptr (JsonParser) a = json_parser_new ();
  g_autoptr (JsonParser) b = json_parser_new ();
  g_assert_true (json_parser_load_from_data (a, runc_json, -1, NULL));
  g_assert_true (json_parser_load_from_data (b, ours, -1, NULL));
  g_assert_true (json_node_equal (json_parser_get_root (a), json_parser_get_root (b)));
}

static void test_default_matches_runc (void) { compare_with_runc (false); }
static void test_default_rootless_matches_runc (void) { compare_with_runc (true); }

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/spec/full-config", test_full_config);
  g_test_add_func ("/spec/minimal-config", test_minimal_config);
  g_test_add_func ("/spec/config-errors", test_config_errors);
  g_test_add_func ("/spec/raw-errors", test_raw_errors);
  g_test_add_func ("/spec/process-json", test_process_json);
  g_test_add_func ("/spec/resources-json", test_resources_json);
  g_test_add_func ("/spec/load", test_load);
  g_test_add_func ("/spec/lookups", test_lookups);
  g_test_add_func ("/spec/scheduler-ioprio-values", test_scheduler_values);
  g_test_add_func ("/spec/default", test_default_spec);
  g_test_add_func ("/spec/default-matches-runc", test_default_matches_runc);
  g_test_add_func ("/spec/default-rootless-matches-runc", test_default_rootless_matches_runc);
  return g_test_run ();
}
