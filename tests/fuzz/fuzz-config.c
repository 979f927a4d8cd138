/* libFuzzer harness: config.json parsing and validation (berth_spec_parse,
 * then the create-time validators that take spec input: sysctl, seccomp). */
#include "process-attrs.h"
#include "seccomp.h"
#include "spec.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthSpec) spec = berth_spec_parse ((const char *) data, size, "/fuzz-bundle", &error);
  if (spec == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      return 0;
    }
  g_autoptr (GError) e2 = NULL;
  berth_sysctl_validate (spec, &e2);
  if (spec->linux_ != NULL && spec->linux_->seccomp != NULL)
    {
      g_autoptr (GError) e3 = NULL;
      berth_seccomp_validate (spec->linux_->seccomp, &e3);
    }
  return 0;
}
