/*
 * What crashfs's FUSE operations share: paths relative to the backing root, the control file and
 * trash directory hidden from users of the mount, and the refusal of every call after a cut. The
 * file operations and the table are in crashfs.c, the directory and name operations in dir-ops.c.
 */
#ifndef CRASHFS_OPS_H
#define CRASHFS_OPS_H

#define FUSE_USE_VERSION 31
#include <fuse.h>

#include "control.h"
#include "journal.h"
#include "overlay.h"

#include <errno.h>
#include <string.h>

#define CONTROL_PATH "/.crashfs"

/* A mount path as a path relative to the backing root descriptor (cfs_root). */
static inline const char *rel(const char *path) { return path[1] ? path + 1 : "."; }
static inline int is_control(const char *path) { return path && strcmp(path, CONTROL_PATH) == 0; }
/* The trash directory is ours: invisible to and untouchable by users of the mount. */
static inline int is_hidden(const char *path)
{
	return path && (is_control(path) || strncmp(path, "/" CFS_TRASH_DIR, sizeof CFS_TRASH_DIR) == 0);
}

static inline int refuse_if_dead(void)
{
	if (!cfs_dead) return 0;
	cfs_stats.eio_after_cut++;
	return -EIO;
}
#define CHECK_ALIVE()                          \
	do {                                   \
		int e_ = refuse_if_dead();     \
		if (e_) return e_;             \
	} while (0)

/* dir-ops.c: listing, creating, removing and renaming names, and the directory fsync. */
int op_opendir(const char *path, struct fuse_file_info *fi);
int op_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi, enum fuse_readdir_flags flags);
int op_releasedir(const char *path, struct fuse_file_info *fi);
int op_mkdir(const char *path, mode_t mode);
int op_unlink(const char *path);
int op_rmdir(const char *path);
int op_rename(const char *from, const char *to, unsigned int flags);
int op_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi);

#endif
