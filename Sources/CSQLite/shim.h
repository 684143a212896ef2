#ifndef LIVEWATCH_CSQLITE_SHIM_H
#define LIVEWATCH_CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a macro cast Swift cannot import; this returns it.
static inline sqlite3_destructor_type livewatch_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

/// Turns SQLite's memory statistics off for the whole process (sqlite3_config is variadic: Swift cannot call it).
/// Only possible before SQLite is initialised (the first open): later it returns SQLITE_MISUSE and changes nothing.
static inline int livewatch_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
#endif
