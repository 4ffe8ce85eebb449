/* The volatile half of crashfs (see overlay.h). Single-threaded: the daemon runs with -s. */
#define _GNU_SOURCE
#include "overlay.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cfs_stats cfs_stats;
uint64_t cfs_dirty_limit_bytes = 512ull << 20;

static struct cfs_inode *inodes;

static off_t page_start(off_t index) { return index * CFS_PAGE_BYTES; }

struct cfs_inode *cfs_inode_find(dev_t dev, ino_t ino)
{
	for (struct cfs_inode *in = inodes; in; in = in->next)
		if (in->dev == dev && in->ino == ino) return in;
	return NULL;
}

struct cfs_inode *cfs_inode_from_fd(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	struct cfs_inode *in = cfs_inode_find(st.st_dev, st.st_ino);
	if (in) {
		close(fd); /* the record's own descriptor serves every handle */
		in->opens++;
		return in;
	}
	in = calloc(1, sizeof *in);
	if (!in) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	in->dev = st.st_dev;
	in->ino = st.st_ino;
	in->fd = fd;
	in->opens = 1;
	in->size = in->valid = st.st_size;
	in->next = inodes;
	inodes = in;
	return in;
}

static void free_pages(struct cfs_inode *in)
{
	for (size_t b = 0; b < in->nbuckets; b++) {
		struct cfs_page *p = in->buckets[b];
		while (p) {
			struct cfs_page *next = p->next;
			free(p);
			p = next;
		}
	}
	free(in->buckets);
	in->buckets = NULL;
	assert(cfs_stats.dirty_bytes >= in->npages * (uint64_t)CFS_PAGE_BYTES);
	cfs_stats.dirty_bytes -= in->npages * (uint64_t)CFS_PAGE_BYTES;
	in->nbuckets = in->npages = 0;
}

static void free_inode(struct cfs_inode *in)
{
	struct cfs_inode **link = &inodes;
	while (*link != in) link = &(*link)->next;
	*link = in->next;
	free_pages(in);
	close(in->fd);
	free(in);
}

void cfs_inode_put(struct cfs_inode *in)
{
	assert(in->opens > 0);
	in->opens--;
	if (in->opens > 0) return;
	struct stat st;
	int gone = fstat(in->fd, &st) == 0 && st.st_nlink == 0;
	if (!in->dirty || gone) free_inode(in);
}

void cfs_inode_forget(dev_t dev, ino_t ino)
{
	struct cfs_inode *in = cfs_inode_find(dev, ino);
	if (in && in->opens == 0) free_inode(in);
}

static struct cfs_page *find_page(struct cfs_inode *in, off_t index)
{
	if (in->nbuckets == 0) return NULL;
	for (struct cfs_page *p = in->buckets[index & (in->nbuckets - 1)]; p; p = p->next)
		if (p->index == index) return p;
	return NULL;
}

/* Doubles the hash table once it holds as many pages as buckets (a power of two, so `&` hashes). */
static int grow_buckets(struct cfs_inode *in)
{
	size_t n = in->nbuckets ? in->nbuckets * 2 : 64;
	struct cfs_page **b = calloc(n, sizeof *b);
	if (!b) return -ENOMEM;
	for (size_t i = 0; i < in->nbuckets; i++) {
		struct cfs_page *p = in->buckets[i];
		while (p) {
			struct cfs_page *next = p->next;
			p->next = b[p->index & (n - 1)];
			b[p->index & (n - 1)] = p;
			p = next;
		}
	}
	free(in->buckets);
	in->buckets = b;
	in->nbuckets = n;
	return 0;
}

/* Reads backing content of [off, off+len) into buf: zeros at and past `valid`. */
static int read_backing(struct cfs_inode *in, unsigned char *buf, off_t off, size_t len)
{
	memset(buf, 0, len);
	if (off >= in->valid) return 0;
	size_t want = (size_t)(in->valid - off) < len ? (size_t)(in->valid - off) : len;
	ssize_t got = pread(in->fd, buf, want, off);
	if (got < 0) return -errno;
	/* valid never exceeds the backing size, so a short read means someone changed the backing file */
	assert((size_t)got == want);
	return 0;
}

/* The dirty page `index`, made on first touch from the file's current content. */
static struct cfs_page *dirty_page(struct cfs_inode *in, off_t index, int *err)
{
	struct cfs_page *p = find_page(in, index);
	if (p) return p;
	if (cfs_stats.dirty_bytes + CFS_PAGE_BYTES > cfs_dirty_limit_bytes) {
		fprintf(stderr, "crashfs: dirty data limit of %llu bytes reached; fsync more often or raise --dirty-limit-mb\n",
			(unsigned long long)cfs_dirty_limit_bytes);
		*err = -EIO;
		return NULL;
	}
	if (in->npages >= in->nbuckets && (*err = grow_buckets(in)) != 0) return NULL;
	p = malloc(sizeof *p);
	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	p->index = index;
	if ((*err = read_backing(in, p->data, page_start(index), CFS_PAGE_BYTES)) != 0) {
		free(p);
		return NULL;
	}
	/* bytes past the volatile size are zeros already: valid <= size, and read_backing zeros past valid */
	assert(in->valid <= in->size);
	p->next = in->buckets[index & (in->nbuckets - 1)];
	in->buckets[index & (in->nbuckets - 1)] = p;
	in->npages++;
	cfs_stats.dirty_bytes += CFS_PAGE_BYTES;
	return p;
}

ssize_t cfs_read(struct cfs_inode *in, char *buf, size_t size, off_t off)
{
	if (off >= in->size) return 0;
	if ((off_t)size > in->size - off) size = in->size - off;
	size_t done = 0;
	while (done < size) {
		off_t at = off + done;
		off_t index = at / CFS_PAGE_BYTES;
		size_t in_page = at - page_start(index);
		size_t n = CFS_PAGE_BYTES - in_page < size - done ? CFS_PAGE_BYTES - in_page : size - done;
		struct cfs_page *p = find_page(in, index);
		if (p) memcpy(buf + done, p->data + in_page, n);
		else {
			int err = read_backing(in, (unsigned char *)buf + done, at, n);
			if (err) return err;
		}
		done += n;
	}
	return size;
}

ssize_t cfs_write(struct cfs_inode *in, const char *buf, size_t size, off_t off)
{
	size_t done = 0;
	while (done < size) {
		off_t at = off + done;
		off_t index = at / CFS_PAGE_BYTES;
		size_t in_page = at - page_start(index);
		size_t n = CFS_PAGE_BYTES - in_page < size - done ? CFS_PAGE_BYTES - in_page : size - done;
		int err = 0;
		struct cfs_page *p = dirty_page(in, index, &err);
		if (!p) return done > 0 ? (ssize_t)done : err;
		memcpy(p->data + in_page, buf + done, n);
		done += n;
		if (at + (off_t)n > in->size) in->size = at + n;
		in->dirty = 1;
	}
	cfs_stats.writes++;
	cfs_stats.bytes_written += size;
	return size;
}

int cfs_truncate(struct cfs_inode *in, off_t size)
{
	if (size < in->size) {
		/* pages wholly past the new end go; the one holding it keeps zeros past it */
		for (size_t b = 0; b < in->nbuckets; b++) {
			struct cfs_page **link = &in->buckets[b];
			while (*link) {
				struct cfs_page *p = *link;
				if (page_start(p->index) >= size) {
					*link = p->next;
					free(p);
					in->npages--;
					cfs_stats.dirty_bytes -= CFS_PAGE_BYTES;
				} else {
					if (page_start(p->index) + CFS_PAGE_BYTES > size)
						memset(p->data + (size - page_start(p->index)), 0, page_start(p->index) + CFS_PAGE_BYTES - size);
					link = &p->next;
				}
			}
		}
		if (in->valid > size) in->valid = size;
	}
	in->size = size;
	in->dirty = 1;
	assert(in->valid <= in->size);
	return 0;
}

int cfs_fallocate(struct cfs_inode *in, int mode, off_t off, off_t len)
{
	if (mode & ~FALLOC_FL_KEEP_SIZE) return -EOPNOTSUPP;
	/* the blocks are reserved on the backing file at once (ENOSPC now, as on a real disk), but the
	   size it reports stays: a size change is durable only after a sync */
	if (fallocate(in->fd, FALLOC_FL_KEEP_SIZE, off, len) != 0) return -errno;
	if (!(mode & FALLOC_FL_KEEP_SIZE) && off + len > in->size) {
		in->size = off + len;
		in->dirty = 1;
	}
	return 0;
}

/* Writes one dirty page's bytes below the volatile size to the backing file. */
static int write_page(struct cfs_inode *in, struct cfs_page *p)
{
	off_t start = page_start(p->index);
	if (start >= in->size) return 0;
	size_t n = in->size - start < CFS_PAGE_BYTES ? (size_t)(in->size - start) : CFS_PAGE_BYTES;
	ssize_t w = pwrite(in->fd, p->data, n, start);
	if (w < 0) return -errno;
	if ((size_t)w != n) return -EIO;
	return (int)n;
}

int cfs_sync(struct cfs_inode *in)
{
	if (!in->dirty) return 0;
	/* cut first what a truncate removed, so an extension past it reads zeros, not old bytes */
	if (ftruncate(in->fd, in->valid) != 0) return -errno;
	for (size_t b = 0; b < in->nbuckets; b++)
		for (struct cfs_page *p = in->buckets[b]; p; p = p->next) {
			int n = write_page(in, p);
			if (n < 0) return n;
			cfs_stats.synced_bytes += n;
		}
	if (ftruncate(in->fd, in->size) != 0) return -errno;
	free_pages(in);
	in->valid = in->size;
	in->dirty = 0;
	return 0;
}

int cfs_sync_all(void)
{
	for (struct cfs_inode *in = inodes; in; in = in->next) {
		int err = cfs_sync(in);
		if (err) return err;
	}
	return 0;
}

void cfs_drop_all(int torn, uint64_t seed)
{
	uint64_t x = seed | 1;
	for (struct cfs_inode *in = inodes; in; in = in->next) {
		for (size_t b = 0; b < in->nbuckets; b++)
			for (struct cfs_page *p = in->buckets[b]; p; p = p->next) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				int n = torn && (x & 1) ? write_page(in, p) : 0;
				if (n > 0) cfs_stats.torn_bytes += n;
				cfs_stats.dropped_bytes += CFS_PAGE_BYTES - (n > 0 ? n : 0);
			}
		free_pages(in);
		struct stat st;
		in->size = in->valid = fstat(in->fd, &st) == 0 ? st.st_size : 0;
		in->dirty = 0;
	}
}
