/* /dev inside the container: linux.devices plus the default devices, the
 * /dev symlinks and /dev/ptmx, all created relative to an fd of /dev (the
 * fresh tmpfs the spec mounted there when there is one) so that nothing the
 * image put in /dev is ever followed (CVE-2026-41579). */
#pragma once
#include "mounts.h"

bool berth_devices_setup (int rootfd, const BerthMountState *state, const BerthSpec *spec, GError **error);
