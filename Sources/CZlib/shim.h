#ifndef LIVEWATCH_CZLIB_SHIM_H
#define LIVEWATCH_CZLIB_SHIM_H
#include <zlib.h>
#endif
