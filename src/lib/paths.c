#include "paths.h"

#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int halo_user_path(halo_dir_kind kind, const char *rel, char *buf, size_t size)
{
	static const char *const vars[] = { "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME" };
	static const char *const fallbacks[] = { ".config", ".local/share", ".cache", ".local/state" };
	if ((unsigned)kind > HALO_DIR_STATE)
		return halo_error_set(HALO_EUSAGE, "unknown directory kind %d", (int)kind);
	const char *xdg = getenv(vars[kind]);
	const char *home = getenv("HOME");
	const char *sep = rel && *rel ? "/" : "";
	const char *tail = rel ? rel : "";
	int n;

	if (xdg && xdg[0] == '/')
		n = snprintf(buf, size, "%s/halo%s%s", xdg, sep, tail);
	else if (home && home[0])
		n = snprintf(buf, size, "%s/%s/halo%s%s", home, fallbacks[kind], sep, tail);
	else
		return halo_error_set(HALO_ENOTFOUND, "neither %s nor HOME is set", vars[kind]);
	if (n < 0 || (size_t)n >= size)
		return halo_error_set(HALO_ENOMEM, "path under %s is too long", vars[kind]);
	return 0;
}

int halo_mkdir_p(const char *path, unsigned mode)
{
	char tmp[4096];
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof(tmp))
		return halo_error_set(HALO_EUSAGE, "'%s': bad folder path", path);
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, mode) && errno != EEXIST)
			return halo_error_set(HALO_EIO, "'%s': cannot create folder: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return halo_error_set(HALO_EIO, "'%s': cannot create folder: %s", tmp, strerror(errno));
	struct stat st;
	if (stat(tmp, &st) || !S_ISDIR(st.st_mode))
		return halo_error_set(HALO_EIO, "'%s': not a folder", tmp);
	return 0;
}

int halo_mkdir_parents(const char *file_path, unsigned mode)
{
	char tmp[4096];
	size_t len = strlen(file_path);
	if (len == 0 || len >= sizeof(tmp))
		return halo_error_set(HALO_EUSAGE, "'%s': bad path", file_path);
	memcpy(tmp, file_path, len + 1);
	char *slash = strrchr(tmp, '/');
	if (!slash || slash == tmp)
		return 0;
	*slash = 0;
	return halo_mkdir_p(tmp, mode);
}
