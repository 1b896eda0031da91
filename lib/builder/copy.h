/* COPY and ADD as Docker does them: wildcards, "directory contents" rule,
 * trailing-slash rule, --chown/--chmod, ownership kept for --from, ADD's
 * extraction of local tar archives.  Sources are resolved inside src_root
 * and destinations inside dest_root (openat2 RESOLVE_IN_ROOT): neither side
 * can reach outside its root through "..", absolute links or symlinks. */
#ifndef PYOCI_BUILDER_COPY_H
#define PYOCI_BUILDER_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/util/error.h"
#include "lib/util/hash.h"

/* true = the context path (relative, no leading '/') is excluded. */
typedef bool (*pyoci_copy_exclude_fn)(void *ctx, const char *relpath, bool is_dir);

typedef struct {
  const char *src_root;        /* build context, or a stage's/image's root */
  const char *const *srcs;     /* sources as written (expanded) */
  size_t n_srcs;
  const char *dest;            /* as written; relative = under workdir */
  const char *workdir;         /* "/" when unset */
  const char *dest_root;       /* the step's merged root */
  bool chown;                  /* --chown given: use uid/gid below */
  int64_t uid, gid;
  int chmod;                   /* --chmod bits, or -1 */
  bool keep_owner;             /* COPY --from: keep the source's owners */
  bool extract_archives;       /* ADD: local tar archives are unpacked */
  pyoci_copy_exclude_fn exclude; /* .dockerignore, context only */
  pyoci_copy_exclude_fn reinclude; /* excluded dir: may a '!' pattern re-include below it? */
  void *exclude_ctx;
  const char *instruction;     /* "COPY" or "ADD", for messages */
} pyoci_copy_t;

int pyoci_copy_run(const pyoci_copy_t *c, pyoci_error_t **err);

/* Whether a destination as written names a directory (Docker's rule: it
 * ends in '/', or is "." or ends in "/."). */
bool pyoci_copy_dest_names_dir(const char *dest);

/* Digest of everything the sources select (paths, types, modes, contents,
 * link targets; not mtimes): the content part of a COPY step's cache key. */
int pyoci_copy_hash(const pyoci_copy_t *c, char out[PYOCI_DIGEST_LEN], pyoci_error_t **err);

/* mkdir -p of an absolute path inside root (symlinks resolved in root),
 * new directories 0755 owned by uid:gid. */
int pyoci_mkdir_in_root(const char *root, const char *path, int64_t uid, int64_t gid, pyoci_error_t **err);

/* Write data to the absolute path inside root (parents created 0755 root,
 * symlinks resolved in root, an existing non-directory replaced). */
int pyoci_write_in_root(const char *root, const char *path, const char *data, size_t len, mode_t mode,
                        pyoci_error_t **err);

/* Resolve a --chown / USER spec ("name", "uid", "name:group", "uid:gid")
 * against root's etc/passwd and etc/group.  With chown_rules a bare user
 * means user:user (docker build's --chown); otherwise (USER) it takes the
 * user's primary group from passwd, 0 when there is no entry. */
int pyoci_resolve_user(const char *root, const char *spec, bool chown_rules, int64_t *uid, int64_t *gid,
                       pyoci_error_t **err);

/* The supplementary groups a process of user (name or uid) gets, as
 * BuildKit gives them (runc's GetExecUser): every etc/group entry listing
 * it as a member; none with an explicit group ("user:group").  *gids is
 * malloc'ed (possibly with *n == 0). */
int pyoci_user_groups(const char *root, const char *user, int64_t uid, int64_t gid, gid_t **gids, size_t *n,
                      pyoci_error_t **err);

#endif
