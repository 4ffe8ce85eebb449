/* The metadata half of crashfs (see journal.h). Single-threaded: the daemon runs with -s. */
#define _GNU_SOURCE
#include "journal.h"
#include "overlay.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cfs_root = -1;

enum op_kind { OP_CREATE, OP_MKDIR, OP_REMOVE, OP_RENAME };

struct op {
	enum op_kind kind;
	char *path;      /* created / removed / renamed-from name */
	char *to;        /* OP_RENAME: the new name */
	char trash[48];  /* OP_REMOVE: where the file went; OP_RENAME: the replaced file, or "" */
	int trash_is_dir;
	dev_t dev;       /* the file created, renamed or removed */
	ino_t ino;
	dev_t trash_dev; /* OP_RENAME: the replaced file */
	ino_t trash_ino;
};

static struct op ops[CFS_JOURNAL_MAX];
static size_t nops;
static unsigned long trash_seq;

/* An undo or commit that fails means the backing directory changed under us: stop loudly. */
static void must(int ok, const char *what, const char *a, const char *b)
{
	if (ok) return;
	fprintf(stderr, "crashfs: %s %s%s%s failed: %s\n", what, a, b ? " -> " : "", b ? b : "", strerror(errno));
	abort();
}

int cfs_journal_open(void)
{
	if (mkdirat(cfs_root, CFS_TRASH_DIR, 0700) != 0 && errno != EEXIST) return -errno;
	int fd = openat(cfs_root, CFS_TRASH_DIR, O_RDONLY | O_DIRECTORY);
	if (fd < 0) return -errno;
	DIR *d = fdopendir(fd);
	struct dirent *e;
	int stale = 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) stale++;
	closedir(d);
	if (stale) {
		fprintf(stderr, "crashfs: %d files in %s: a previous crashfs did not finish; inspect and remove them\n", stale, CFS_TRASH_DIR);
		return -EEXIST;
	}
	return 0;
}

void cfs_journal_close(void)
{
	if (nops == 0) unlinkat(cfs_root, CFS_TRASH_DIR, AT_REMOVEDIR);
}

size_t cfs_journal_pending(void) { return nops; }

static struct op *new_op(enum op_kind kind, const char *path)
{
	if (nops == CFS_JOURNAL_MAX) {
		fprintf(stderr, "crashfs: %d metadata changes not durable; fsync a directory\n", CFS_JOURNAL_MAX);
		return NULL;
	}
	struct op *op = &ops[nops];
	memset(op, 0, sizeof *op);
	op->kind = kind;
	op->path = strdup(path);
	if (!op->path) return NULL;
	nops++;
	return op;
}

int cfs_record_create(const char *rel, dev_t dev, ino_t ino)
{
	struct op *op = new_op(OP_CREATE, rel);
	if (!op) return -EIO;
	op->dev = dev;
	op->ino = ino;
	return 0;
}

int cfs_record_mkdir(const char *rel)
{
	return new_op(OP_MKDIR, rel) ? 0 : -EIO;
}

static int dir_is_empty(const char *rel)
{
	int fd = openat(cfs_root, rel, O_RDONLY | O_DIRECTORY);
	if (fd < 0) return -errno;
	DIR *d = fdopendir(fd);
	struct dirent *e;
	int empty = 1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
	closedir(d);
	return empty;
}

/* Moves `rel` into the trash; the name it got is written to `trash`. */
static int to_trash(const char *rel, char trash[48])
{
	snprintf(trash, 48, "%s/%lu", CFS_TRASH_DIR, ++trash_seq);
	return renameat(cfs_root, rel, cfs_root, trash) == 0 ? 0 : -errno;
}

int cfs_do_remove(const char *rel, int is_dir)
{
	struct stat st;
	if (fstatat(cfs_root, rel, &st, AT_SYMLINK_NOFOLLOW) != 0) return -errno;
	if (is_dir && !S_ISDIR(st.st_mode)) return -ENOTDIR;
	if (!is_dir && S_ISDIR(st.st_mode)) return -EISDIR;
	if (is_dir) {
		int empty = dir_is_empty(rel);
		if (empty < 0) return empty;
		if (!empty) return -ENOTEMPTY;
	}
	if (nops == CFS_JOURNAL_MAX) return -EIO;
	char trash[48];
	int err = to_trash(rel, trash);
	if (err) return err;
	struct op *op = new_op(OP_REMOVE, rel);
	must(op != NULL, "recording the removal of", rel, NULL);
	memcpy(op->trash, trash, sizeof trash);
	op->trash_is_dir = is_dir;
	op->dev = st.st_dev;
	op->ino = st.st_ino;
	return 0;
}

int cfs_do_rename(const char *from, const char *to, unsigned int flags)
{
	if (flags & ~RENAME_NOREPLACE) return -EINVAL; /* RENAME_EXCHANGE, RENAME_WHITEOUT: not needed */
	struct stat src, dst;
	if (fstatat(cfs_root, from, &src, AT_SYMLINK_NOFOLLOW) != 0) return -errno;
	int replaces = fstatat(cfs_root, to, &dst, AT_SYMLINK_NOFOLLOW) == 0;
	if (replaces) {
		if (flags & RENAME_NOREPLACE) return -EEXIST;
		if (src.st_dev == dst.st_dev && src.st_ino == dst.st_ino) return 0; /* POSIX: nothing to do */
		if (S_ISDIR(src.st_mode) && !S_ISDIR(dst.st_mode)) return -ENOTDIR;
		if (!S_ISDIR(src.st_mode) && S_ISDIR(dst.st_mode)) return -EISDIR;
		if (S_ISDIR(dst.st_mode)) {
			int empty = dir_is_empty(to);
			if (empty < 0) return empty;
			if (!empty) return -ENOTEMPTY;
		}
	}
	if (nops == CFS_JOURNAL_MAX) return -EIO;
	char trash[48] = "";
	int err = replaces ? to_trash(to, trash) : 0;
	if (err) return err;
	if (renameat(cfs_root, from, cfs_root, to) != 0) {
		err = -errno;
		if (replaces) must(renameat(cfs_root, trash, cfs_root, to) == 0, "restoring", trash, to);
		return err;
	}
	struct op *op = new_op(OP_RENAME, from);
	must(op && (op->to = strdup(to)) != NULL, "recording the rename of", from, to);
	memcpy(op->trash, trash, sizeof trash);
	op->trash_is_dir = replaces && S_ISDIR(dst.st_mode);
	op->dev = src.st_dev;
	op->ino = src.st_ino;
	if (replaces) {
		op->trash_dev = dst.st_dev;
		op->trash_ino = dst.st_ino;
	}
	return 0;
}

static void free_op(struct op *op)
{
	free(op->path);
	free(op->to);
}

/* A durable removal: the trashed file is deleted for good, and its record (if unused) with it. */
static void commit_op(struct op *op)
{
	if (op->trash[0]) {
		must(unlinkat(cfs_root, op->trash, op->trash_is_dir ? AT_REMOVEDIR : 0) == 0, "deleting", op->trash, NULL);
		if (op->kind == OP_REMOVE) cfs_inode_forget(op->dev, op->ino);
		else cfs_inode_forget(op->trash_dev, op->trash_ino);
	}
	free_op(op);
}

static void commit_prefix(size_t n)
{
	for (size_t i = 0; i < n; i++) commit_op(&ops[i]);
	memmove(ops, ops + n, (nops - n) * sizeof *ops);
	nops -= n;
}

void cfs_commit_for_inode(dev_t dev, ino_t ino)
{
	size_t n = 0;
	for (size_t i = 0; i < nops; i++)
		if ((ops[i].kind == OP_CREATE || ops[i].kind == OP_RENAME) && ops[i].dev == dev && ops[i].ino == ino) n = i + 1;
	commit_prefix(n);
}

void cfs_commit_all(void) { commit_prefix(nops); }

static void undo_op(struct op *op)
{
	switch (op->kind) {
	case OP_CREATE:
		must(unlinkat(cfs_root, op->path, 0) == 0, "undoing the creation of", op->path, NULL);
		break;
	case OP_MKDIR:
		/* empty: whatever was made inside it came later and is undone already */
		must(unlinkat(cfs_root, op->path, AT_REMOVEDIR) == 0, "undoing mkdir of", op->path, NULL);
		break;
	case OP_REMOVE:
		must(renameat(cfs_root, op->trash, cfs_root, op->path) == 0, "undoing the removal of", op->path, NULL);
		break;
	case OP_RENAME:
		must(renameat(cfs_root, op->to, cfs_root, op->path) == 0, "undoing the rename of", op->path, op->to);
		if (op->trash[0]) must(renameat(cfs_root, op->trash, cfs_root, op->to) == 0, "restoring", op->trash, op->to);
		break;
	}
	free_op(op);
}

void cfs_undo_all(void)
{
	while (nops > 0) {
		undo_op(&ops[--nops]);
		cfs_stats.undone_ops++;
	}
}
