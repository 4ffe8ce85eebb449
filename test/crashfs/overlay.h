/*
 * The volatile half of crashfs: what a file holds that is not durable yet.
 *
 * Each backing file that has been opened gets one record, keyed by the backing inode (so renames
 * keep it), holding the backing descriptor (which also keeps the inode number from being reused
 * while the record lives), the file's volatile size and its dirty pages. The backing file itself
 * is the "disk": it only ever receives bytes at a sync. Reads merge the two.
 */
#ifndef CRASHFS_OVERLAY_H
#define CRASHFS_OVERLAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CFS_PAGE_BYTES 4096

struct cfs_page {
	off_t index; /* page number: covers [index * CFS_PAGE_BYTES, +CFS_PAGE_BYTES) */
	struct cfs_page *next;
	unsigned char data[CFS_PAGE_BYTES];
};

struct cfs_inode {
	dev_t dev;
	ino_t ino;
	int fd;    /* backing descriptor, O_RDWR */
	int opens; /* open handles (a record with dirty data outlives its last close) */
	off_t size;  /* volatile size: what stat and reads see */
	off_t valid; /* backing bytes below this are file content; above it reads as zeros */
	int dirty;   /* size, valid or pages differ from the backing file */
	struct cfs_page **buckets; /* hash by page index; sequential writes spread evenly */
	size_t nbuckets;
	size_t npages;
	struct cfs_inode *next;
};

/* Counters shown by the control file. */
struct cfs_stats {
	uint64_t writes, bytes_written, dsync_writes, fsyncs, fdatasyncs, dirsyncs;
	uint64_t synced_bytes;  /* bytes copied to the backing files by syncs */
	uint64_t dirty_bytes;   /* pages held right now */
	uint64_t dropped_bytes; /* dirty page bytes thrown away by the cut */
	uint64_t torn_bytes;    /* dirty page bytes a torn cut let through */
	uint64_t cuts, undone_ops, eio_after_cut;
};

extern struct cfs_stats cfs_stats;
extern uint64_t cfs_dirty_limit_bytes;

/* Record of an open backing descriptor (takes ownership of fd; opens++). NULL + errno on failure. */
struct cfs_inode *cfs_inode_from_fd(int fd);
/* The record of (dev, ino) if one exists; no reference taken. */
struct cfs_inode *cfs_inode_find(dev_t dev, ino_t ino);
/* Drops a reference; frees the record once nothing refers to it and nothing is dirty (or the file is gone). */
void cfs_inode_put(struct cfs_inode *in);
/* Frees a record that holds no open handle (its name was durably removed): its data can never come back. */
void cfs_inode_forget(dev_t dev, ino_t ino);

/* Each returns bytes done or -errno. */
ssize_t cfs_read(struct cfs_inode *in, char *buf, size_t size, off_t off);
ssize_t cfs_write(struct cfs_inode *in, const char *buf, size_t size, off_t off);
int cfs_truncate(struct cfs_inode *in, off_t size);
int cfs_fallocate(struct cfs_inode *in, int mode, off_t off, off_t len);
/* Makes everything the record holds durable: copies dirty pages to the backing file. */
int cfs_sync(struct cfs_inode *in);
/* Makes every record durable (the control file's "sync": a clean shutdown). */
int cfs_sync_all(void);
/*
 * The power cut's data half: drops every dirty page of every record. With torn != 0 each dirty
 * page independently reaches the backing file first with probability 1/2 (xorshift from seed), as
 * a disk that wrote back some of the page cache before losing power.
 */
void cfs_drop_all(int torn, uint64_t seed);

#endif
