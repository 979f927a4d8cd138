/* libFuzzer harness: `update -r` resources.json parsing. */
#include "spec.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthResources) resources = berth_resources_parse ((const char *) data, size, &error);
  g_assert ((resources == NULL) == (error != NULL));
  return 0;
}
