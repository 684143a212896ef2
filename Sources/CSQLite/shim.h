#ifndef LIVEWATCH_CSQLITE_SHIM_H
#define LIVEWATCH_CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a macro cast Swift cannot import; this returns it.
static inline sqlite3_destructor_type livewatch_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}
#endif
