/* lib/assemble's private pieces: the spec, Debian relations, the package
 * index, the resolver, .deb and wheel installation, the lock. */
#ifndef PYOCI_ASSEMBLE_ASM_INT_H
#define PYOCI_ASSEMBLE_ASM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/util/error.h"
#include "lib/util/hash.h"
#include "lib/util/strbuf.h"

/* Limits for hostile input. */
#define ASM_MAX_SPEC (1u << 20)            /* spec YAML */
#define ASM_MAX_YAML_EVENTS 100000
#define ASM_MAX_RELEASE (16u << 20)        /* InRelease */
#define ASM_MAX_PACKAGES_FILE (512ull << 20) /* one Packages index, uncompressed */
#define ASM_MAX_DEB (2ull << 30)           /* one .deb */
#define ASM_MAX_CONTROL (16u << 20)        /* control.tar member, uncompressed */
#define ASM_MAX_WHEEL_META (16u << 20)     /* RECORD, METADATA, WHEEL, entry_points */
#define ASM_MAX_ENTRIES 1000000            /* entries in one archive */
#define ASM_MAX_RELATION (1u << 20)        /* one relation field (rust packages Provide thousands) */
#define ASM_MAX_INDEX_PAGE (16u << 20)     /* one PEP 503 project page */

/* ---- strv: NULL-terminated owned string vectors ---- */
void pyoci_asm_strv_push(char ***v, const char *s);
size_t pyoci_asm_strv_len(char *const *v);
bool pyoci_asm_strv_has(char *const *v, const char *s);

/* ---- spec (spec.c) ---- */
typedef struct {
  char *src, *dst;
  mode_t mode;
  bool has_mode;
  uint32_t uid, gid;
  size_t line;
} pyoci_spec_content_t;

typedef struct {
  char *name;
  uint32_t id, gid; /* gid: users only */
  char *home;
  char *shell;
} pyoci_spec_account_t;

typedef struct {
  char *path;        /* spec file (for messages) */
  char *dir;         /* its directory: the context for contents/requirements */
  char **suites, **components, **uris, **packages, **exclude_paths, **include_paths;
  char *keyring;
  char *requirements;
  char **find_links;
  char *index_url;
  pyoci_spec_content_t *contents;
  size_t n_contents;
  pyoci_spec_account_t *users, *groups;
  size_t n_users, n_groups;
  bool has_accounts;
  char **entrypoint, **cmd;
  bool has_entrypoint, has_cmd;
  char *workdir, *user;
  char **env, **labels; /* "KEY=VALUE" */
} pyoci_spec_t;

int pyoci_spec_parse(const char *path, const char *buf, size_t len, pyoci_spec_t **out, pyoci_error_t **err);
int pyoci_spec_load(const char *path, pyoci_spec_t **out, pyoci_error_t **err);
void pyoci_spec_free(pyoci_spec_t *s);

/* ---- Debian relations (relation.c) ---- */
typedef enum { REL_ANY = 0, REL_LT, REL_LE, REL_EQ, REL_GE, REL_GT } pyoci_relop_t;
typedef struct {
  char *name;
  char *arch;     /* ":any", ":native" qualifier without the colon, or NULL */
  pyoci_relop_t op;
  char *version;  /* NULL when op == REL_ANY */
} pyoci_rel_t;
typedef struct {
  pyoci_rel_t *alts; /* "a | b | c" */
  size_t n;
} pyoci_relgroup_t;
typedef struct {
  pyoci_relgroup_t *groups; /* comma separated */
  size_t n;
} pyoci_rels_t;

/* Parse a Depends/Pre-Depends/Provides value; `what` names it in errors.
 * Architecture restrictions "[amd64]" and build profiles "<!nocheck>" are
 * rejected (they belong to source packages). */
int pyoci_rels_parse(const char *s, size_t len, const char *what, pyoci_rels_t *out, pyoci_error_t **err);
void pyoci_rels_free(pyoci_rels_t *r);
/* Does `version` satisfy op/want? */
bool pyoci_rel_version_ok(pyoci_relop_t op, const char *want, const char *version);
/* "name (>= 1.0)" for messages. */
void pyoci_rel_format(const pyoci_rel_t *r, strbuf_t *sb);

/* ---- package index (repo.c, sources.c) ---- */
typedef struct {
  char *uri;       /* archive root, e.g. http://deb.debian.org/debian */
  char *suite;
  char **components;
  char *keyring;   /* Signed-By (a keyring file), NULL = the spec's or Debian's */
} pyoci_source_t;

/* apt's own sources (sources.list, sources.list.d/ *.list and *.sources)
 * under apt_dir, only "deb" entries for the given suites. */
int pyoci_apt_sources(const char *apt_dir, char *const *suites, pyoci_source_t **out, size_t *n,
                      pyoci_error_t **err);
void pyoci_sources_free(pyoci_source_t *s, size_t n);

typedef struct {
  char *name, *version, *arch, *multi_arch, *filename, *sha256, *source_pkg;
  char *depends, *pre_depends, *provides; /* raw values, NULL when absent */
  char *conflicts, *breaks;
  uint64_t size;
  const pyoci_source_t *src;  /* where it comes from */
} pyoci_debpkg_t;

typedef struct pyoci_index pyoci_index_t;
typedef struct {
  const char *cache_dir;
  const char *arch;          /* Debian arch: amd64, arm64, ... */
  const char *default_keyring;
  bool allow_http;           /* always true: Debian's archive is http, signatures carry the trust */
} pyoci_repo_opts_t;
/* Fetch and verify InRelease and the Packages indexes of every source. */
int pyoci_index_load(const pyoci_source_t *srcs, size_t n, const pyoci_repo_opts_t *o, pyoci_index_t **out,
                     pyoci_error_t **err);
/* Add the stanzas of one Packages file (already verified); fuzzed directly. */
int pyoci_index_add_packages(pyoci_index_t *ix, const char *path, const char *buf, size_t len,
                             const pyoci_source_t *src, pyoci_error_t **err);
pyoci_index_t *pyoci_index_new(void);
void pyoci_index_free(pyoci_index_t *ix);
/* Every version of `name` (real packages), highest first. */
size_t pyoci_index_find(const pyoci_index_t *ix, const char *name, pyoci_debpkg_t ***out);
/* Packages that Provide `name`, with the provided version (may be NULL). */
typedef struct {
  pyoci_debpkg_t *pkg;
  char *version;
} pyoci_provider_t;
size_t pyoci_index_providers(const pyoci_index_t *ix, const char *name, pyoci_provider_t **out);

/* Parse a Release file's SHA256 section: callback per "hash size path". */
typedef int (*pyoci_release_fn)(void *ctx, const char *sha256, uint64_t size, const char *path,
                                pyoci_error_t **err);
int pyoci_release_parse(const char *what, const char *buf, size_t len, pyoci_release_fn fn, void *ctx,
                        pyoci_error_t **err);

/* ---- resolver (resolve.c) ---- */
typedef struct {
  pyoci_debpkg_t *pkg;
  int parent;        /* index into the resolution, -1 = asked for in the spec */
  char *because;     /* "Depends: libc6 (>= 2.34)" */
} pyoci_chosen_t;
typedef struct {
  pyoci_chosen_t *pkgs;
  size_t n, cap;
} pyoci_resolution_t;
int pyoci_resolve(const pyoci_index_t *ix, char *const *asked, pyoci_resolution_t *res, pyoci_error_t **err);
void pyoci_resolution_free(pyoci_resolution_t *r);
/* The chain that brought `name` in, one line per step; NULL when not in. */
char *pyoci_resolution_explain(const pyoci_resolution_t *r, const char *name);

/* ---- .deb install (deb.c) ---- */
typedef struct {
  char *const *exclude; /* dpkg path-exclude globs ("/usr/share/doc/ *") */
  char *const *include; /* path-include exceptions */
} pyoci_deb_filter_t;
/* What the .deb said about itself, for status.d and checks. */
typedef struct {
  char *control;   /* the control file */
  char *md5sums;   /* md5sums, paths mapped like the files, excluded lines dropped */
  char *package, *version, *arch;
} pyoci_deb_info_t;
/* Unpack the .deb at fd into root (merged /usr: bin, sbin, lib* go under
 * usr/), nothing outside root, excluded paths skipped. */
int pyoci_deb_install(int fd, const char *what, int root_fd, const pyoci_deb_filter_t *f, pyoci_deb_info_t *info,
                      pyoci_error_t **err);
/* The same in two steps, so many .debs can be decompressed at once and
 * still be applied in order: decode (any thread) reads control.tar into
 * info and writes data.tar decompressed to out_fd; apply (in order) makes
 * the entries of that data.tar and maps info's md5sums like them. */
int pyoci_deb_decode(int fd, const char *what, int out_fd, pyoci_deb_info_t *info, pyoci_error_t **err);
int pyoci_deb_apply(int data_fd, const char *what, int root_fd, const pyoci_deb_filter_t *f, pyoci_deb_info_t *info,
                    pyoci_error_t **err);
void pyoci_deb_info_release(pyoci_deb_info_t *i);
/* Many .debs into one root (debs.c): decoded by worker threads, applied in
 * order; done() runs after each, in order too (status.d, checks). */
typedef int (*pyoci_deb_done_fn)(void *ctx, size_t i, const pyoci_deb_info_t *info, pyoci_error_t **err);
typedef struct {
  const char *const *paths;  /* the cached .deb files */
  const char *const *whats;  /* their names in messages (URLs) */
  size_t n;
  const char *tmpdir;        /* where decoded data.tars wait to be applied */
  int root_fd;
  const pyoci_deb_filter_t *filter;
  int threads;               /* 0 = $PYOCI_THREADS or nproc */
  pyoci_deb_done_fn done;
  void *ctx;
} pyoci_debs_t;
int pyoci_debs_install(const pyoci_debs_t *d, pyoci_error_t **err);
/* var/lib/dpkg/status.d/NAME and NAME.md5sums (rootfs.c). */
int pyoci_root_status(int root_fd, const pyoci_deb_info_t *info, pyoci_error_t **err);
/* "bin/ls" -> "usr/bin/ls"; returns a new string. */
char *pyoci_merged_usr_path(const char *path);
/* dpkg --path-exclude/--path-include: is /path excluded? */
bool pyoci_path_excluded(const pyoci_deb_filter_t *f, const char *abs_path);

/* ---- root file system chores maintainer scripts would do (rootfs.c) ---- */
int pyoci_root_merged_usr_links(int root_fd, pyoci_error_t **err);
int pyoci_root_write(int root_fd, const char *path, const void *data, size_t len, mode_t mode,
                     pyoci_error_t **err);
int pyoci_root_mkdirs(int root_fd, const char *path, mode_t mode, pyoci_error_t **err);
int pyoci_root_accounts(int root_fd, const pyoci_spec_t *spec, pyoci_error_t **err);
/* merged-/usr links, os-release (unless base-files is in), CA bundle, localtime. */
int pyoci_root_fixups(int root_fd, const char *suite, pyoci_error_t **err);

/* ---- wheels (wheelmeta.c, wheel.c, pyreq.c) ---- */
typedef struct {
  char *name, *version;    /* as pinned (name normalised per PEP 503) */
  char **hashes;           /* "sha256:<hex>" values allowed */
  size_t line;
} pyoci_req_t;
int pyoci_requirements_parse(const char *path, const char *buf, size_t len, pyoci_req_t **out, size_t *n,
                             pyoci_error_t **err);
void pyoci_reqs_free(pyoci_req_t *r, size_t n);
char *pyoci_pep503_name(const char *name);

typedef struct {
  char *wheel_version, *root_is_purelib; /* WHEEL */
  char **tags;                           /* py-abi-plat triples from the file name and WHEEL */
} pyoci_wheel_meta_t;
/* One RECORD row. */
typedef struct {
  char *path;
  char *hash; /* "sha256=..." urlsafe base64, NULL for RECORD itself */
  int64_t size;
} pyoci_record_t;
int pyoci_record_parse(const char *what, const char *buf, size_t len, pyoci_record_t **out, size_t *n,
                       pyoci_error_t **err);
void pyoci_records_free(pyoci_record_t *r, size_t n);
/* Name and Version from METADATA (core metadata headers). */
int pyoci_metadata_parse(const char *what, const char *buf, size_t len, char **name, char **version,
                         pyoci_error_t **err);
/* console_scripts from entry_points.txt: "name = module:func" pairs. */
int pyoci_entry_points_parse(const char *what, const char *buf, size_t len, char ***names, char ***targets,
                             pyoci_error_t **err);

/* The image's interpreter and C library, for the tag check. */
typedef struct {
  int py_major, py_minor; /* 3, 11 */
  int glibc_major, glibc_minor; /* 2, 36; 0 when no libc6 */
  const char *machine;    /* x86_64, aarch64, ... */
} pyoci_pyenv_t;
/* 0 when one of the wheel file name's tags fits env, else -1 with a
 * one-line reason. */
int pyoci_wheel_tags_check(const char *filename, const pyoci_pyenv_t *env, pyoci_error_t **err);

typedef struct {
  const pyoci_pyenv_t *env;
  const char *site;     /* "usr/local/lib/python3.11/dist-packages" */
  const char *bindir;   /* "usr/local/bin" */
  const char *prefix;   /* "usr/local" for .data/data */
  const char *python;   /* "/usr/bin/python3.11" for wrappers */
} pyoci_wheel_target_t;
/* Install one wheel (verified sha256 already) into root. */
int pyoci_wheel_install(int fd, const char *what, int root_fd, const pyoci_wheel_target_t *t,
                        pyoci_error_t **err);

/* A wheel for a requirement: in one of the find-links directories, else
 * on the PEP 503 index (fetched into the cache); its sha256 is one of the
 * requirement's hashes and its tags fit env. */
typedef struct {
  char *path, *filename, *sha256, *url; /* url NULL for a local file */
} pyoci_wheel_found_t;
int pyoci_wheel_find(const pyoci_req_t *r, char *const *find_links, const char *index_url, const pyoci_pyenv_t *env,
                     const char *cache_dir, pyoci_wheel_found_t *out, pyoci_error_t **err);
void pyoci_wheel_found_release(pyoci_wheel_found_t *f);
/* One <a href="URL#sha256=HEX"> of a PEP 503 project page: the URL resolved
 * against the page's (without the fragment), the file name it ends in
 * (%XX decoded), the fragment's sha256 (lower case; NULL when none). */
typedef struct {
  char *url, *file, *sha256;
} pyoci_pep503_link_t;
/* The next link at or after *pos in a NUL-terminated page (advancing *pos);
 * 1 found (url NULL when it does not parse), 0 at the end. */
int pyoci_pep503_next_link(const char **pos, const char *page_url, pyoci_pep503_link_t *l);
void pyoci_pep503_link_release(pyoci_pep503_link_t *l);

/* ---- lock (lock.c) ---- */
typedef struct {
  char *name, *version, *arch, *sha256, *url, *source;
  uint64_t size;
} pyoci_lock_deb_t;
typedef struct {
  char *name, *version, *file, *sha256, *url;
} pyoci_lock_wheel_t;
typedef struct {
  char *arch;
  char **asked;          /* the spec's packages */
  char *requirements_sha256;
  pyoci_lock_deb_t *debs;
  size_t n_debs;
  pyoci_lock_wheel_t *wheels;
  size_t n_wheels;
} pyoci_lock_t;
char *pyoci_lock_dump(const pyoci_lock_t *l);
int pyoci_lock_parse(const char *path, const char *buf, size_t len, pyoci_lock_t *l, pyoci_error_t **err);
void pyoci_lock_release(pyoci_lock_t *l);

/* ---- fetching (fetch.c) ---- */
typedef struct {
  const char *url;
  const char *sha256;   /* hex, expected */
  uint64_t size;        /* expected, 0 = unknown */
  char *path;           /* out: the cached file */
} pyoci_fetch_t;
/* Make each item present in cache_dir/KIND/sha256/<hex> (downloading the
 * missing ones in parallel, checking size and sha256). */
int pyoci_fetch_all(const char *cache_dir, const char *kind, pyoci_fetch_t *items, size_t n, int jobs,
                    pyoci_error_t **err);
/* The cached CACHE/KIND/sha256/<hex> when it is there with that size (0:
 * any) and hash, else NULL. */
char *pyoci_fetch_cache_lookup(const char *cache_dir, const char *kind, const char *sha256, uint64_t size);
/* Put buf there, after checking it has that sha256. */
int pyoci_fetch_cache_put(const char *cache_dir, const char *kind, const char *sha256, const void *buf, size_t len,
                    pyoci_error_t **err);
/* sha256 hex of a file; -1 on error. */
int pyoci_file_sha256(const char *path, char hex[PYOCI_DIGEST_HEX_LEN + 1], pyoci_error_t **err);

#endif
