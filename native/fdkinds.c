/* Placeholder: filled in by its own issue. */
#include "ioready.h"

bool init_fdkinds(napi_env env, napi_value exports) { return true; }
