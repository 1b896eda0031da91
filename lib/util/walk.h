/* One recursive directory walk over file descriptors, so the depth limit,
 * the "." / ".." skipping, O_NOFOLLOW on every directory and the readdir
 * error check are written once instead of in each module that walks a tree
 * (catalogers, secret scanning, the tar writer, store caches, COPY hashing).
 *
 * The walk never follows a symlink: a directory is entered with
 * openat(O_DIRECTORY | O_NOFOLLOW) relative to its parent's fd, so a
 * directory renamed or swapped for a link mid-walk cannot lead outside. */
#ifndef PYOCI_UTIL_WALK_H
#define PYOCI_UTIL_WALK_H

#include <stdbool.h>
#include <sys/stat.h>

#include "error.h"

/* The deepest directory level any walk enters (the root's entries are depth
 * 0).  Deeper trees are refused, not truncated: a tree that deep is either
 * hostile or broken, and silently skipping it would hide files. */
enum { PYOCI_WALK_MAX_DEPTH = 256 };

enum {
  PYOCI_WALK_SORTED = 1 << 0,   /* entries of each directory in strcmp order */
  PYOCI_WALK_STAT = 1 << 1,     /* fill entry->st (fstatat, no follow) */
  PYOCI_WALK_POSTORDER = 1 << 2, /* also call back for a directory after its children (post = true) */
  PYOCI_WALK_SKIP_UNREADABLE = 1 << 3 /* a directory that cannot be opened is logged and skipped (scanners) */
};

/* Returned by a callback: do not enter this directory. */
enum { PYOCI_WALK_SKIP = 1 };

typedef struct {
  int dirfd;          /* the directory holding the entry; valid during the callback */
  const char *name;   /* the entry's name in dirfd */
  const char *rel;    /* its path from the walk's root ("a/b/name") */
  int depth;          /* 0 for the root's own entries */
  unsigned char type; /* DT_* (DT_UNKNOWN resolved with fstatat) */
  bool post;          /* PYOCI_WALK_POSTORDER: the children were visited */
  const struct stat *st; /* PYOCI_WALK_STAT only, else NULL */
} pyoci_walk_entry_t;

/* 0 = go on (and enter a directory), PYOCI_WALK_SKIP = do not enter,
 * negative = stop the walk (fill *err). */
typedef int (*pyoci_walk_fn)(const pyoci_walk_entry_t *e, void *ctx, pyoci_error_t **err);

/* Walk the directory open at dirfd (not closed).  max_depth <= 0 means
 * PYOCI_WALK_MAX_DEPTH.  what names the tree in messages.  Returns 0, or the
 * callback's negative value / -1 with *err filled. */
int pyoci_walk_at(int dirfd, const char *what, pyoci_walk_fn cb, void *ctx, int max_depth, unsigned flags,
                  pyoci_error_t **err);

/* True when the directory at path has no entries besides "." and "..";
 * if_unreadable when it cannot be opened. */
bool pyoci_dir_is_empty(const char *path, bool if_unreadable);

#endif
