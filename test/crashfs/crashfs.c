/*
 * crashfs: a FUSE pass-through for power-cut tests, after SQLite's crash-test VFS and Jepsen's
 * LazyFS. Written data stays in the daemon's memory (overlay.c) until fsync, fdatasync, an
 * O_DSYNC/O_SYNC write or msync(MS_SYNC) (which reaches us as fsync) makes it durable; name
 * changes are undoable until made durable (journal.c; their operations are in dir-ops.c). A power
 * cut drops everything not durable and makes the file system dead: every later call fails with
 * EIO until it is unmounted.
 *
 *   crashfs [--strict-dirs] [--dirty-limit-mb N] BACKING MOUNTPOINT
 *
 * Runs in the foreground, single-threaded. Control file MOUNTPOINT/.crashfs (hidden from
 * listings): read it for counters; write "cut", "cut torn SEED" (each dirty page reaches the disk
 * with probability 1/2 first) or "sync" (everything durable: a clean shutdown). Unmounting is a
 * power cut too, so nothing unsynced survives into the next mount; mount again to "reboot".
 *
 * The kernel's page cache above us: writes are write-through (no writeback cache), so every write
 * reaches the daemon when it is made; a cut makes the daemon refuse everything, and the test
 * unmounts, which drops the kernel's cached pages, before mounting again. Shared writable mmap
 * works through the page cache (so no direct_io on files); msync(MS_SYNC) writes the dirty pages
 * back and then sends FSYNC. chmod, chown and utimens are passed through and durable at once.
 */
#define _GNU_SOURCE
#include "ops.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct handle {
	struct cfs_inode *in;
	int flags; /* open flags: O_DSYNC/O_SYNC make each write durable */
};

static struct handle control_handle;
static int strict_dirs; /* only a directory fsync makes name changes durable */
static int refuse_direct; /* O_DIRECT opens fail with EINVAL, as on file systems without direct I/O */

static struct handle *handle_of(struct fuse_file_info *fi) { return (struct handle *)(uintptr_t)fi->fh; }
static int touches_control(const char *path, struct fuse_file_info *fi)
{
	return is_control(path) || (fi && handle_of(fi) == &control_handle);
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	if (is_control(path)) {
		memset(st, 0, sizeof *st);
		st->st_mode = S_IFREG | 0600;
		st->st_nlink = 1;
		return 0;
	}
	CHECK_ALIVE();
	if (is_hidden(path)) return -ENOENT;
	struct cfs_inode *in = fi && fi->fh ? handle_of(fi)->in : NULL; /* NULL for the control handle, whose path is set */
	if (in ? fstat(in->fd, st) != 0 : fstatat(cfs_root, rel(path), st, AT_SYMLINK_NOFOLLOW) != 0) return -errno;
	if (!in) in = cfs_inode_find(st->st_dev, st->st_ino);
	if (in) {
		st->st_size = in->size;
		st->st_blocks = (in->size + 511) / 512;
	}
	return 0;
}

static int op_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	if (touches_control(path, fi)) return -EPERM;
	CHECK_ALIVE();
	if (fi && fi->fh) return fchmod(handle_of(fi)->in->fd, mode) == 0 ? 0 : -errno;
	return fchmodat(cfs_root, rel(path), mode, 0) == 0 ? 0 : -errno;
}

static int op_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	if (touches_control(path, fi)) return -EPERM;
	CHECK_ALIVE();
	if (fi && fi->fh) return fchown(handle_of(fi)->in->fd, uid, gid) == 0 ? 0 : -errno;
	return fchownat(cfs_root, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

static int op_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	if (touches_control(path, fi)) return -EPERM;
	CHECK_ALIVE();
	if (fi && fi->fh) return futimens(handle_of(fi)->in->fd, tv) == 0 ? 0 : -errno;
	return utimensat(cfs_root, rel(path), tv, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

/* A handle on a record for backing descriptor fd (always O_RDWR: syncs write through it). */
static int attach(int fd, int flags, int truncate, struct fuse_file_info *fi)
{
	struct handle *h = malloc(sizeof *h);
	struct cfs_inode *in = h ? cfs_inode_from_fd(fd) : NULL;
	if (!in) {
		int e = h ? errno : ENOMEM;
		if (!h) close(fd);
		free(h);
		return -e;
	}
	h->in = in;
	h->flags = flags;
	if (truncate) cfs_truncate(in, 0);
	fi->fh = (uintptr_t)h;
	/* the kernel's cached pages stay valid across opens: every change comes through this mount,
	   and after a cut the mount goes (the test unmounts), and its page cache with it */
	fi->keep_cache = 1;
	return 0;
}

static int op_open(const char *path, struct fuse_file_info *fi)
{
	if (is_control(path)) {
		fi->fh = (uintptr_t)&control_handle;
		fi->direct_io = 1; /* every read reaches us: the counters are never cached */
		return 0;
	}
	CHECK_ALIVE();
	if (is_hidden(path)) return -ENOENT;
	if (refuse_direct && (fi->flags & O_DIRECT)) return -EINVAL;
	int fd = openat(cfs_root, rel(path), O_RDWR | O_CLOEXEC);
	if (fd < 0) return -errno;
	return attach(fd, fi->flags, fi->flags & O_TRUNC, fi);
}

static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	CHECK_ALIVE();
	if (is_hidden(path)) return -EPERM;
	if (refuse_direct && (fi->flags & O_DIRECT)) return -EINVAL;
	if (cfs_journal_pending() == CFS_JOURNAL_MAX) return -EIO;
	struct stat st;
	int existed = fstatat(cfs_root, rel(path), &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (existed && (fi->flags & O_EXCL)) return -EEXIST;
	/* never O_TRUNC on the backing file: a truncate is volatile until synced */
	int fd = openat(cfs_root, rel(path), O_RDWR | O_CREAT | O_CLOEXEC, mode);
	if (fd < 0) return -errno;
	if (!existed) {
		if (fstat(fd, &st) != 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		cfs_record_create(rel(path), st.st_dev, st.st_ino);
	}
	return attach(fd, fi->flags, existed && (fi->flags & O_TRUNC), fi);
}

static int op_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	if (handle_of(fi) == &control_handle) return cfs_control_read(buf, size, off);
	CHECK_ALIVE();
	return (int)cfs_read(handle_of(fi)->in, buf, size, off);
}

/* Data durable; with the ordered journal, also the name changes that made this file. */
static int sync_inode(struct cfs_inode *in)
{
	int err = cfs_sync(in);
	if (!err && !strict_dirs) cfs_commit_for_inode(in->dev, in->ino);
	return err;
}

static int op_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	struct handle *h = handle_of(fi);
	if (h == &control_handle) return cfs_control_write(buf, size);
	CHECK_ALIVE();
	ssize_t n = cfs_write(h->in, buf, size, off);
	/* O_SYNC includes the O_DSYNC bit; the kernel also sends an FSYNC after such a write */
	if (n > 0 && (h->flags & O_DSYNC)) {
		cfs_stats.dsync_writes++;
		int err = sync_inode(h->in);
		if (err) return err;
	}
	return (int)n;
}

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	/* writeFileSync opens the control file with O_TRUNC: nothing to truncate */
	if (touches_control(path, fi)) return 0;
	CHECK_ALIVE();
	if (fi && fi->fh) return cfs_truncate(handle_of(fi)->in, size);
	if (is_hidden(path)) return -EPERM;
	int fd = openat(cfs_root, rel(path), O_RDWR | O_CLOEXEC);
	if (fd < 0) return -errno;
	struct cfs_inode *in = cfs_inode_from_fd(fd);
	if (!in) return -errno;
	int err = cfs_truncate(in, size);
	cfs_inode_put(in);
	return err;
}

static int op_fallocate(const char *path, int mode, off_t off, off_t len, struct fuse_file_info *fi)
{
	(void)path;
	if (handle_of(fi) == &control_handle) return -EINVAL;
	CHECK_ALIVE();
	return cfs_fallocate(handle_of(fi)->in, mode, off, len);
}

static int op_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	if (handle_of(fi) == &control_handle) return 0;
	CHECK_ALIVE();
	if (datasync) cfs_stats.fdatasyncs++;
	else cfs_stats.fsyncs++;
	return sync_inode(handle_of(fi)->in);
}

static int op_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path, (void)fi;
	return 0; /* close() makes nothing durable */
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	struct handle *h = handle_of(fi);
	if (h == &control_handle) return 0;
	cfs_inode_put(h->in);
	free(h);
	return 0;
}

static int op_statfs(const char *path, struct statvfs *st)
{
	(void)path;
	CHECK_ALIVE();
	return fstatvfs(cfs_root, st) == 0 ? 0 : -errno;
}

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	/* write-through: every write() reaches the daemon as it is made (writeback cache would hold
	   it in the kernel until a flush, harmless for durability but it hides the write order) */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	/* unlink really unlinks, instead of renaming open files to .fuse_hidden (through our rename);
	   calls on such files then come with a NULL path and the handle */
	cfg->hard_remove = 1;
	cfg->nullpath_ok = 1;
	return NULL;
}

/* Unmounting without a "sync" first is a power cut: the next mount starts from what is durable. */
static void op_destroy(void *data)
{
	(void)data;
	cfs_cut(0, 0);
	cfs_journal_close();
}

static const struct fuse_operations ops = {
	.getattr = op_getattr, .opendir = op_opendir, .readdir = op_readdir, .releasedir = op_releasedir, .mkdir = op_mkdir, .unlink = op_unlink,
	.rmdir = op_rmdir, .rename = op_rename, .chmod = op_chmod, .chown = op_chown,
	.utimens = op_utimens, .truncate = op_truncate, .open = op_open, .create = op_create,
	.read = op_read, .write = op_write, .fallocate = op_fallocate, .fsync = op_fsync,
	.fsyncdir = op_fsyncdir, .flush = op_flush, .release = op_release, .statfs = op_statfs,
	.init = op_init, .destroy = op_destroy,
};

static int usage(void)
{
	fprintf(stderr, "usage: crashfs [--strict-dirs] [--refuse-direct] [--dirty-limit-mb N] BACKING MOUNTPOINT\n");
	return 2;
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--strict-dirs") == 0) strict_dirs = 1;
		else if (strcmp(argv[i], "--refuse-direct") == 0) refuse_direct = 1;
		else if (strcmp(argv[i], "--dirty-limit-mb") == 0 && i + 1 < argc) cfs_dirty_limit_bytes = strtoull(argv[++i], NULL, 10) << 20;
		else return usage();
	}
	if (argc - i != 2) return usage();
	cfs_root = open(argv[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfs_root < 0) {
		fprintf(stderr, "crashfs: backing directory %s: %s\n", argv[i], strerror(errno));
		return 1;
	}
	int err = cfs_journal_open();
	if (err) {
		fprintf(stderr, "crashfs: trash directory in %s: %s\n", argv[i], strerror(-err));
		return 1;
	}
	char *fargs[] = {argv[0], argv[i + 1], "-f", "-s", "-o", "fsname=crashfs,subtype=crashfs", NULL};
	return fuse_main(6, fargs, &ops, NULL);
}
