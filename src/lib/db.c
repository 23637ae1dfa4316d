/*
 * Opening halo.db. See db.h.
 */
#include "db.h"

#include "error.h"
#include "paths.h"

/* How long a connection waits for another halo's write lock (an eval and `eval show`). */
#define BUSY_TIMEOUT_MS 10000

int halo_db_exec(sqlite3 *db, const char *path, const char *sql, const char *what)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK)
		return 0;
	int rc = halo_error_set(HALO_EIO, "'%s': %s: %s", path, what, err ? err : sqlite3_errmsg(db));
	sqlite3_free(err);
	return rc;
}

int halo_db_open(sqlite3 **out, const char *path, int extra_flags)
{
	sqlite3 *db = NULL;
	*out = NULL;
	if (!path || !*path)
		return halo_error_set(HALO_EUSAGE, "no results database path");
	int rc = halo_mkdir_parents(path, 0755);
	if (rc)
		return rc;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | extra_flags, NULL) != SQLITE_OK) {
		rc = db ? halo_error_set(HALO_EIO, "'%s': cannot open: %s", path, sqlite3_errmsg(db))
			: halo_error_set(HALO_ENOMEM, "out of memory");
		sqlite3_close(db);
		return rc;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	if ((rc = halo_db_exec(db, path, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
			       "cannot set pragmas"))) {
		sqlite3_close(db);
		return rc;
	}
	*out = db;
	return 0;
}
