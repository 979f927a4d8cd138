/* libFuzzer harness: `exec --process` process.json parsing. */
#include "spec.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthProcess) process = berth_process_parse ((const char *) data, size, &error);
  g_assert ((process == NULL) == (error != NULL));
  return 0;
}
