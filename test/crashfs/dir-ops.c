/*
 * crashfs's directory and name operations: listing (hiding the control file and the trash
 * directory), mkdir, unlink, rmdir and rename through the undo journal (journal.c), and the
 * directory fsync that makes every pending name change durable.
 */
#define _GNU_SOURCE
#include "ops.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Directories are read through a DIR kept in the handle: with nullpath_ok, readdir gets no path. */
struct dir_handle {
	DIR *dir;
	int is_root; /* the root lists our trash directory, which readdir hides */
};

int op_opendir(const char *path, struct fuse_file_info *fi)
{
	CHECK_ALIVE();
	if (is_hidden(path)) return -ENOENT;
	int fd = openat(cfs_root, rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		int e = errno;
		if (fd >= 0) close(fd);
		return -e;
	}
	struct dir_handle *h = malloc(sizeof *h);
	if (!h) {
		closedir(d);
		return -ENOMEM;
	}
	h->dir = d;
	h->is_root = strcmp(path, "/") == 0;
	fi->fh = (uintptr_t)h;
	return 0;
}

int op_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)path, (void)off, (void)flags;
	CHECK_ALIVE();
	struct dir_handle *h = (struct dir_handle *)(uintptr_t)fi->fh;
	rewinddir(h->dir);
	for (struct dirent *e; (e = readdir(h->dir));)
		if (!(h->is_root && strcmp(e->d_name, CFS_TRASH_DIR) == 0)) fill(buf, e->d_name, NULL, 0, 0);
	return 0;
}

int op_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	struct dir_handle *h = (struct dir_handle *)(uintptr_t)fi->fh;
	closedir(h->dir);
	free(h);
	return 0;
}

int op_mkdir(const char *path, mode_t mode)
{
	CHECK_ALIVE();
	if (is_hidden(path)) return -EPERM;
	if (cfs_journal_pending() == CFS_JOURNAL_MAX) return -EIO;
	if (mkdirat(cfs_root, rel(path), mode) != 0) return -errno;
	return cfs_record_mkdir(rel(path));
}

int op_unlink(const char *path)
{
	CHECK_ALIVE();
	return is_hidden(path) ? -EPERM : cfs_do_remove(rel(path), 0);
}

int op_rmdir(const char *path)
{
	CHECK_ALIVE();
	return is_hidden(path) ? -EPERM : cfs_do_remove(rel(path), 1);
}

int op_rename(const char *from, const char *to, unsigned int flags)
{
	CHECK_ALIVE();
	return is_hidden(from) || is_hidden(to) ? -EPERM : cfs_do_rename(rel(from), rel(to), flags);
}

int op_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path, (void)datasync, (void)fi;
	CHECK_ALIVE();
	cfs_stats.dirsyncs++;
	cfs_commit_all();
	return 0;
}
