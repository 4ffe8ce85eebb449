/*
 * The power cut and the control file MOUNTPOINT/.crashfs: reading it gives the counters, one
 * "name value" a line; writing "cut", "cut torn SEED" or "sync" runs that command.
 */
#ifndef CRASHFS_CONTROL_H
#define CRASHFS_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* After a cut: every call but the control file's fails with EIO, as on a machine without power. */
extern int cfs_dead;

/* Drops everything not durable (data, then names, newest first) and makes the file system dead. */
void cfs_cut(int torn, uint64_t seed);
int cfs_control_read(char *buf, size_t size, off_t off);
int cfs_control_write(const char *buf, size_t size);

#endif
