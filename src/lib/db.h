/*
 * The one SQLite file halo keeps its results in (halo.db: evaluations,
 * benchmarks), opened the same way by every store: parent folders created,
 * WAL journal (a reader never blocks the writer, and a process killed with
 * SIGKILL loses at most the transaction it was in), foreign keys on, and a
 * busy timeout so that two halo processes take turns instead of failing.
 */
#ifndef HALO_DB_H
#define HALO_DB_H

#include <sqlite3.h>

/*
 * Opens (creating) the database at path with SQLITE_OPEN_READWRITE |
 * SQLITE_OPEN_CREATE | extra_flags. On success *out is the connection; the
 * caller closes it with sqlite3_close(). On failure *out is NULL and the
 * error names the file.
 */
int halo_db_open(sqlite3 **out, const char *path, int extra_flags);

/* sqlite3_exec with the error recorded as "'<path>': <what>: <sqlite's message>". */
int halo_db_exec(sqlite3 *db, const char *path, const char *sql, const char *what);

#endif
