/* libseccomp's <seccomp.h>: runtime/seccomp.h shadows it on the include path,
 * so reach the system header through #include_next. */
#pragma once
#include_next <seccomp.h>
