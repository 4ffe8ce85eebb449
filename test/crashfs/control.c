/* The power cut and the control file's commands and counters (see crashfs.c). */
#define _GNU_SOURCE
#include "control.h"
#include "journal.h"
#include "overlay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int cfs_dead;

void cfs_cut(int torn, uint64_t seed)
{
	if (cfs_dead) return;
	cfs_drop_all(torn, seed);
	cfs_undo_all();
	cfs_stats.cuts++;
	cfs_dead = 1;
}

int cfs_control_read(char *buf, size_t size, off_t off)
{
	char text[1024];
	const struct cfs_stats *s = &cfs_stats;
	int n = snprintf(text, sizeof text,
			 "writes %" PRIu64 "\nbytes_written %" PRIu64 "\ndsync_writes %" PRIu64 "\nfsyncs %" PRIu64
			 "\nfdatasyncs %" PRIu64 "\ndirsyncs %" PRIu64 "\nsynced_bytes %" PRIu64 "\ndirty_bytes %" PRIu64
			 "\npending_ops %zu\ncuts %" PRIu64 "\ndropped_bytes %" PRIu64 "\ntorn_bytes %" PRIu64
			 "\nundone_ops %" PRIu64 "\neio_after_cut %" PRIu64 "\n",
			 s->writes, s->bytes_written, s->dsync_writes, s->fsyncs, s->fdatasyncs, s->dirsyncs, s->synced_bytes,
			 s->dirty_bytes, cfs_journal_pending(), s->cuts, s->dropped_bytes, s->torn_bytes, s->undone_ops,
			 s->eio_after_cut);
	if (off >= n) return 0;
	size_t len = (size_t)(n - off) < size ? (size_t)(n - off) : size;
	memcpy(buf, text + off, len);
	return (int)len;
}

int cfs_control_write(const char *buf, size_t size)
{
	char cmd[64];
	if (size >= sizeof cmd) return -EINVAL;
	memcpy(cmd, buf, size);
	cmd[size] = 0;
	unsigned long long seed;
	if (strcmp(cmd, "cut\n") == 0 || strcmp(cmd, "cut") == 0) cfs_cut(0, 0);
	else if (sscanf(cmd, "cut torn %llu", &seed) == 1) cfs_cut(1, seed);
	else if (strcmp(cmd, "sync\n") == 0 || strcmp(cmd, "sync") == 0) {
		if (cfs_dead) return -EIO;
		int err = cfs_sync_all();
		if (err) return err;
		cfs_commit_all();
	} else {
		fprintf(stderr, "crashfs: unknown control command %.*s (want cut, cut torn SEED or sync)\n", (int)size, buf);
		return -EINVAL;
	}
	return (int)size;
}
