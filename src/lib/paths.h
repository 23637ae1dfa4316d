/*
 * Where halo keeps its files (XDG base directories) and making folders.
 *
 *   config  $XDG_CONFIG_HOME/halo  else ~/.config/halo   (models.conf, config)
 *   data    $XDG_DATA_HOME/halo    else ~/.local/share/halo (halo.db)
 *   cache   $XDG_CACHE_HOME/halo   else ~/.cache/halo    (datasets, ground truth)
 *   state   $XDG_STATE_HOME/halo   else ~/.local/state/halo (logs of halo serve)
 *
 * A relative XDG_* value is ignored, as the spec says.
 */
#ifndef HALO_PATHS_H
#define HALO_PATHS_H

#include <stddef.h>

typedef enum halo_dir_kind {
	HALO_DIR_CONFIG,
	HALO_DIR_DATA,
	HALO_DIR_CACHE,
	HALO_DIR_STATE,
} halo_dir_kind;

/*
 * Writes "<base>/halo/<rel>" (or "<base>/halo" when rel is NULL or empty)
 * into buf. HALO_ENOTFOUND when neither the XDG variable nor HOME is set,
 * HALO_ENOMEM when buf is too small. Creates nothing.
 */
int halo_user_path(halo_dir_kind kind, const char *rel, char *buf, size_t size);

/* mkdir -p: creates path and its missing parents with `mode`. */
int halo_mkdir_p(const char *path, unsigned mode);
/* Creates the parent folders of a file path. */
int halo_mkdir_parents(const char *file_path, unsigned mode);

#endif
