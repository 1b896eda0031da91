/* What is in an image or a root file system: the operating system and the
 * packages that its package databases (dpkg, apk) and Python distributions
 * (dist-info, egg-info) record.
 *
 *   files --feed_dir / feed_layer--> fsview (path -> bytes of the few files
 *   that matter; later layers replace earlier ones, whiteouts delete)
 *   --finish--> OS detection + catalogers --> pyoci_catalog_result_t
 *
 * Catalogers are small vtables in a registry, like libarchive's format
 * readers: probe(path) says whether a file is one of theirs, parse() turns its
 * bytes into packages.  The SBOM writers (sbom.h) and the scanner consume the
 * result. */
#ifndef PYOCI_PKG_CATALOG_H
#define PYOCI_PKG_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/vuln/vercmp.h" /* pyoci_pep503_normalize */
#include <sys/types.h>

#include "lib/layer/layer.h"
#include "lib/oci/image.h"
#include "lib/oci/store.h"
#include "lib/util/error.h"

/* Limits for hostile input. */
#define PYOCI_PKG_MAX_FILE (64u << 20)          /* one database / metadata file */
#define PYOCI_PKG_MAX_TOTAL (512ull << 20)      /* all kept file contents */
#define PYOCI_PKG_MAX_LINE (256u << 10)         /* one line of a database */
#define PYOCI_PKG_MAX_FIELDS 1024               /* fields in one stanza */
#define PYOCI_PKG_MAX_PACKAGES 1000000          /* packages in one catalog */

typedef enum { PYOCI_PKG_DEB, PYOCI_PKG_APK, PYOCI_PKG_PYTHON } pyoci_pkg_type_t;

/* "deb", "apk", "python" */
const char *pyoci_pkg_type_name(pyoci_pkg_type_t t);

typedef struct {
  pyoci_pkg_type_t type;
  char *name;
  char *version;
  char *arch;           /* NULL when the format has none (python) */
  char *source_name;    /* deb: Source (default Package); apk: origin */
  char *source_version; /* deb: "src (ver)" version, default Version */
  char *license;        /* NULL unless the database says so cheaply */
  char *maintainer;     /* NULL when not recorded */
  char *origin;         /* path (no leading '/') of the file it came from */
  int layer_index;      /* layer that brought it; -1 for a directory */
  char *layer_digest;   /* that layer's digest; NULL for a directory */
  char *purl;
  /* Python only: the dpkg/apk package whose file list holds this
   * distribution's metadata (owner.c), NULL when none.  owner_distro: that
   * package is the distribution's, so its advisories cover this copy and
   * the scanner does not match it against PyPI. */
  char *owner;
  pyoci_pkg_type_t owner_type;
  bool owner_distro;
} pyoci_pkg_t;

void pyoci_pkg_clear(pyoci_pkg_t *p);

typedef struct {
  char *id;             /* os-release ID ("debian"), or from a release file */
  char *version_id;     /* os-release VERSION_ID ("12") */
  char *pretty_name;    /* os-release PRETTY_NAME */
  char *id_like;        /* os-release ID_LIKE */
  char *debian_version; /* etc/debian_version ("12.5") */
  char *alpine_release; /* etc/alpine-release ("3.18.2") */
  /* Derived, as trivy prints them ("debian 12.5", "alpine 3.18.2"):
   * family = ID (or from the release files), version = debian_version for
   * Debian when it is numeric, alpine-release for Alpine, else VERSION_ID. */
  char *family;
  char *version;
} pyoci_os_t;

void pyoci_os_clear(pyoci_os_t *os);

typedef struct {
  pyoci_os_t os;              /* all NULL when no OS was recognised */
  pyoci_pkg_t *packages;      /* sorted by type, name, version, origin */
  size_t n_packages;
  char **warnings;            /* files that could not be parsed (non-strict) */
  size_t n_warnings;
} pyoci_catalog_result_t;

void pyoci_catalog_result_free(pyoci_catalog_result_t *r);
static inline void pyoci_catalog_result_freep(pyoci_catalog_result_t **r)
{
  pyoci_catalog_result_free(*r);
}
#define cleanup_catalog_result __attribute__((cleanup(pyoci_catalog_result_freep)))

/* ---- catalogers ---- */

/* Called by parse() for each package; takes ownership of pkg's strings
 * (leaving *pkg cleared) even when it fails. */
typedef int (*pyoci_pkg_add_fn)(void *ctx, pyoci_pkg_t *pkg, pyoci_error_t **err);

typedef struct {
  const char *name;
  /* Is this (cleaned, relative) path one of this cataloger's files? */
  bool (*probe)(const char *path);
  /* Parse one file's bytes; path names it in errors ("FILE:LINE: ...").
   * Only type/name/version/arch/source/license/maintainer are filled here. */
  int (*parse)(const char *path, const char *content, size_t len, pyoci_pkg_add_fn add, void *ctx,
               pyoci_error_t **err);
  /* Release whatever the cataloger keeps between runs (NULL: nothing). */
  void (*free)(void);
  /* One file holds the whole database (dpkg status, apk installed): the
   * package's layer is the first of the unbroken run of layers whose copy
   * of the file lists it, not simply the last layer that rewrote the file. */
  bool whole_database;
} pyoci_cataloger_t;

extern const pyoci_cataloger_t pyoci_cataloger_dpkg;   /* var/lib/dpkg/status, status.d/ */
extern const pyoci_cataloger_t pyoci_cataloger_apk;    /* lib/apk/db/installed */
extern const pyoci_cataloger_t pyoci_cataloger_python; /* dist-info, egg-info, EGG-INFO */

/* The registry: NULL-terminated, in the order they run. */
const pyoci_cataloger_t *const *pyoci_catalogers(void);

/* ---- OS detection (osrelease.c) ---- */
bool pyoci_os_probe(const char *path);
/* Parse etc/os-release KEY=VALUE text (shell quoting) into os: ID,
 * VERSION_ID, PRETTY_NAME, ID_LIKE.  Callers parse one file: the first of
 * etc/os-release, usr/lib/os-release that exists. */
int pyoci_os_parse_os_release(pyoci_os_t *os, const char *path, const char *content, size_t len,
                              pyoci_error_t **err);
/* First line of a one-line release file (debian_version, alpine-release). */
int pyoci_os_parse_release_line(const char *path, const char *content, size_t len, char **out,
                                pyoci_error_t **err);
/* Fill family/version from what was parsed. */
void pyoci_os_derive(pyoci_os_t *os);

/* ---- ownership (owner.c) ---- */
/* dpkg's info/NAME.list and status.d/NAME.md5sums: the files that say which OS
 * package installed a Python distribution. */
bool pyoci_owner_probe(const char *path);
/* Keep only the lines of such a file that name Python metadata (in place;
 * content stays NUL-terminated).  Other paths are left alone. */
void pyoci_owner_trim(const char *path, char *content, size_t *len);
/* Is the OS package `owner` the distribution's (see owner.c for the rule)? */
bool pyoci_owner_is_distro(const pyoci_catalog_result_t *r, const char *owner, pyoci_pkg_type_t type);

/* ---- project files (lockfile.c), for `scan --fs` ---- */
typedef enum {
  PYOCI_LOCKFILE_NONE,
  PYOCI_LOCKFILE_REQUIREMENTS, /* requirements*.txt */
  PYOCI_LOCKFILE_POETRY,       /* poetry.lock */
  PYOCI_LOCKFILE_UV,           /* uv.lock */
  PYOCI_LOCKFILE_PIPFILE,      /* Pipfile.lock */
} pyoci_lockfile_kind_t;

#define PYOCI_LOCKFILE_MAX_FILE (16u << 20) /* bytes of one project file */
#define PYOCI_LOCKFILE_MAX_DEPTH 8          /* nested -r includes */
#define PYOCI_LOCKFILE_MAX_FILES 64         /* requirement files read for one */

pyoci_lockfile_kind_t pyoci_lockfile_probe(const char *path);
/* Resolve "-r FILE" of the requirements file `from`: its path (for
 * messages) and contents, both the caller's to free. */
typedef int (*pyoci_lockfile_include_fn)(void *ctx, const char *from, const char *file, char **path, char **buf,
                                     size_t *len, pyoci_error_t **err);
/* Parse one project file into Python packages (pinned versions only);
 * include NULL: "-r" lines are skipped. */
int pyoci_lockfile_parse(pyoci_lockfile_kind_t kind, const char *path, const char *buf, size_t len,
                     pyoci_lockfile_include_fn include, void *include_ctx, pyoci_pkg_add_fn add, void *ctx,
                     pyoci_error_t **err);

/* ---- purls (purl.c) ---- */
/* pkg:deb/debian/NAME@VERSION?arch=amd64&distro=debian-12.5,
 * pkg:apk/alpine/NAME@VERSION?arch=x86_64&distro=3.18.2, pkg:pypi/name@version */
char *pyoci_purl_for(const pyoci_pkg_t *p, const pyoci_os_t *os);


/* ---- building a catalog ---- */
typedef struct pyoci_catalog pyoci_catalog_t;

pyoci_catalog_t *pyoci_catalog_new(void);
void pyoci_catalog_free(pyoci_catalog_t *cat);
static inline void pyoci_catalog_freep(pyoci_catalog_t **c)
{
  pyoci_catalog_free(*c);
}
#define cleanup_catalog __attribute__((cleanup(pyoci_catalog_freep)))

/* strict: a file that cannot be parsed fails finish() (default: it becomes a
 * warning in the result and is logged). */
void pyoci_catalog_set_strict(pyoci_catalog_t *cat, bool strict);

/* Also read project files (requirements*.txt, poetry.lock, uv.lock,
 * Pipfile.lock) of a directory fed with feed_dir; "-r" includes are opened
 * inside root (never outside it). */
void pyoci_catalog_set_project(pyoci_catalog_t *cat, const char *root);

/* A root file system on disk.  Symlinks are recorded, never followed. */
int pyoci_catalog_feed_dir(pyoci_catalog_t *cat, const char *path, pyoci_error_t **err);

/* One entry of a layer, for any tar reader.  read() fills buf with up to len
 * bytes of content and returns the count, 0 at end, -1 on error. */
typedef enum { PYOCI_CAT_FILE, PYOCI_CAT_DIR, PYOCI_CAT_SYMLINK, PYOCI_CAT_HARDLINK, PYOCI_CAT_OTHER } pyoci_cat_type_t;
typedef ssize_t (*pyoci_cat_read_fn)(void *ctx, void *buf, size_t len, pyoci_error_t **err);
int pyoci_catalog_feed_entry(pyoci_catalog_t *cat, int layer_index, const char *path, pyoci_cat_type_t type,
                             int64_t size, const char *link, pyoci_cat_read_fn read, void *read_ctx,
                             pyoci_error_t **err);
/* Name the digest of a layer (shown with each package it brought). */
void pyoci_catalog_set_layer_digest(pyoci_catalog_t *cat, int layer_index, const char *digest);

/* A layer read with lib/layer's tar reader.  Layers must be fed in order
 * (0 = base); whiteouts in layer N hide what layers below N put there. */
int pyoci_catalog_feed_layer(pyoci_catalog_t *cat, int layer_index, const char *layer_digest,
                             pyoci_tar_reader_t *reader, pyoci_error_t **err);

/* Run OS detection and the catalogers over what survived. */
int pyoci_catalog_finish(pyoci_catalog_t *cat, pyoci_catalog_result_t **out, pyoci_error_t **err);

/* Convenience: every layer of an image from the store, streamed once. */
int pyoci_catalog_image(pyoci_store_t *store, const pyoci_image_t *image, pyoci_catalog_result_t **out,
                        pyoci_error_t **err);

/* A layer tar entry type as the catalog's file view sees it. */
pyoci_cat_type_t pyoci_cat_type_of(pyoci_tar_type_t t);

#endif
