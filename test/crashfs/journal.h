/*
 * The metadata half of crashfs: names (create, mkdir, unlink, rmdir, rename) change in the
 * backing directory at once, so every later call sees them, and each change is recorded with how
 * to undo it; a removed name's file is moved into a trash directory rather than deleted. A power
 * cut undoes, newest first, every change not yet durable.
 *
 * The model is an ordered metadata journal, as ext4 and XFS keep: changes become durable as a
 * prefix, never out of order. fsync of a directory makes every change so far durable; fsync or
 * fdatasync of a file makes durable the changes up to the last one that created or renamed that
 * file (what a journaling file system's commit of that inode carries along), unless crashfs runs
 * with --strict-dirs, where only a directory fsync does (POSIX read strictly).
 */
#ifndef CRASHFS_JOURNAL_H
#define CRASHFS_JOURNAL_H

#include <sys/types.h>

#define CFS_TRASH_DIR ".crashfs-trash"
#define CFS_JOURNAL_MAX 65536

extern int cfs_root; /* descriptor of the backing directory */

/* Makes the trash directory; fails if a previous daemon left files in it. */
int cfs_journal_open(void);
/* Removes the empty trash directory (after a cut or a full sync). */
void cfs_journal_close(void);
size_t cfs_journal_pending(void);

/* Each does the change in the backing directory and records it; 0 or -errno. `rel` paths are
   relative to the backing root. */
int cfs_record_create(const char *rel, dev_t dev, ino_t ino);
int cfs_record_mkdir(const char *rel);
int cfs_do_remove(const char *rel, int is_dir);
int cfs_do_rename(const char *from, const char *to, unsigned int flags);

/* Makes durable every change up to the last one that created or renamed (dev, ino). */
void cfs_commit_for_inode(dev_t dev, ino_t ino);
/* Makes every change so far durable. */
void cfs_commit_all(void);
/* The power cut's metadata half: undoes every change not durable, newest first. */
void cfs_undo_all(void);

#endif
