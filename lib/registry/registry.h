/* The OCI distribution client: how images get from a registry into the
 * store and back out.
 *
 *   client.c     one registry host: scheme (https, http only for loopback or
 *                --tls-verify=false), TLS (system CAs + certs.d/HOST/ca.crt),
 *                ping, requests with auth, retries (429/5xx, Retry-After),
 *                redirects without credentials to other hosts
 *   auth.c       WWW-Authenticate parsing and the scheme table (anonymous,
 *                basic, bearer with a token cache per scope)
 *   errors.c     the registry's JSON error body as one line
 *   creds.c      ~/.docker/config.json: auths, credsStore, credHelpers
 *   manifest.c   manifests and indexes from the wire: limits, media types,
 *                platform choice
 *   pull.c       manifest -> parallel blob downloads through sha256 into
 *                store tmp/ (resumed with Range) -> verify -> publish
 *   push.c       HEAD, cross-repository mount, monolithic or chunked
 *                upload, manifests last
 *   referrers.c  OCI 1.1 referrers: attach an artifact, list them (API or
 *                the tag-schema fallback)
 *
 * Nothing here reads the environment: the CLI passes the docker config path,
 * the certs.d root and the options in pyoci_registry_opts_t. */
#ifndef PYOCI_REGISTRY_REGISTRY_H
#define PYOCI_REGISTRY_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/oci/store.h"
#include "lib/util/error.h"
#include "lib/util/hash.h"

/* Limits for hostile registries. */
#define PYOCI_REGISTRY_MAX_MANIFEST (4u << 20) /* a manifest or index */
#define PYOCI_REGISTRY_MAX_TOKEN (1u << 20)    /* token endpoint reply */
#define PYOCI_REGISTRY_MAX_ERROR_BODY (64u << 10)
#define PYOCI_REGISTRY_MAX_INDEX_ENTRIES 1024
#define PYOCI_REGISTRY_MAX_REDIRECTS 5

/* Progress of one blob, for the CLI's per-layer bars. */
typedef enum {
  PYOCI_BLOB_WAITING,  /* queued */
  PYOCI_BLOB_EXISTS,   /* already there (store or registry): nothing to move */
  PYOCI_BLOB_MOVING,   /* bytes flowing; done/total */
  PYOCI_BLOB_RETRYING, /* a retry or resume is coming */
  PYOCI_BLOB_DONE,     /* verified and published */
  PYOCI_BLOB_MOUNTED,  /* push: mounted from another repository */
} pyoci_blob_state_t;
typedef void (*pyoci_blob_progress_fn)(void *ctx, const char *digest, pyoci_blob_state_t st, uint64_t done,
                                       uint64_t total);

typedef struct {
  const char *docker_config; /* config.json path (credentials), NULL = none */
  const char *certs_dir;     /* docker's certs.d root, NULL = none */
  bool tls_verify;           /* false: https without verification, and http allowed */
  const char *username;      /* explicit credentials (login, --creds) */
  const char *password;
  unsigned jobs;             /* parallel blob transfers, 0 = 4 */
  unsigned retries;          /* per request, 0 = 4 */
  unsigned retry_max_wait;   /* cap on one wait in seconds, 0 = 60 */
  uint64_t chunk_size;       /* push: chunked upload in pieces of this size, 0 = monolithic */
  const char *source_ref;    /* push: where the blobs came from (mount source), NULL = the image's name */
  pyoci_blob_progress_fn progress;
  void *progress_ctx;
} pyoci_registry_opts_t;

/* ---- pull ---- */
typedef struct {
  const char *platform; /* "os/arch[/variant]", NULL = linux/<host arch> */
  bool all_platforms;   /* keep the whole index and every platform's blobs */
  bool untagged;        /* record the image without a name (copy) */
  bool check_layers;    /* check every layer's entries while it arrives (load's
                           rules) and refuse the image before it is published;
                           off, they are checked by whatever reads them first */
} pyoci_pull_opts_t;

typedef struct {
  char digest[PYOCI_DIGEST_LEN]; /* what the name points at in the store */
  char repo_digest[PYOCI_DIGEST_LEN]; /* what the registry served for the reference */
  char *name;                    /* familiar name tagged, NULL for a digest pull */
  size_t blobs_fetched, blobs_present;
  uint64_t bytes_fetched;
  bool up_to_date;               /* the tag already pointed at this digest */
} pyoci_pull_result_t;

int pyoci_registry_pull(pyoci_store_t *s, const char *ref, const pyoci_registry_opts_t *o,
                        const pyoci_pull_opts_t *po, pyoci_pull_result_t *res, pyoci_error_t **err);
void pyoci_pull_result_free(pyoci_pull_result_t *r);

/* ---- push ---- */
typedef struct {
  char *tag;                     /* tag or digest pushed to */
  char digest[PYOCI_DIGEST_LEN]; /* manifest (or index) digest */
  int64_t size;
  size_t blobs_pushed, blobs_skipped, blobs_mounted;
} pyoci_push_result_t;

/* Push image (a store reference) to dest (NULL = the image's own name).
 * Blobs whose source repository is known (the image's name when it is on
 * the same registry) are mounted instead of uploaded. */
int pyoci_registry_push(pyoci_store_t *s, const char *image, const char *dest, const pyoci_registry_opts_t *o,
                        pyoci_push_result_t *res, pyoci_error_t **err);
void pyoci_push_result_free(pyoci_push_result_t *r);

/* ---- remote inspect ---- */
typedef struct {
  char *manifest;       /* raw bytes as served */
  size_t manifest_len;
  char *media_type;
  char digest[PYOCI_DIGEST_LEN];
  char *config;         /* config bytes of the chosen platform's manifest (NULL for an artifact) */
  size_t config_len;
  char *repo;           /* "docker.io/library/python" */
  char **tags;          /* tags in the repository (may be empty) */
  size_t n_tags;
  char (*layers)[PYOCI_DIGEST_LEN]; /* the platform manifest's layers */
  size_t n_layers;
} pyoci_remote_image_t;

/* Fetch the manifest of ref (raw) and, unless raw_only, the config of the
 * platform's manifest and the repository's tags. */
int pyoci_registry_inspect(const char *ref, const pyoci_registry_opts_t *o, const char *platform, bool raw_only,
                           pyoci_remote_image_t *out, pyoci_error_t **err);
void pyoci_remote_image_free(pyoci_remote_image_t *r);
/* skopeo inspect's JSON for it: Name, Digest, RepoTags, Created,
 * DockerVersion, Labels, Architecture, Os, Layers, Env.  Caller frees. */
char *pyoci_remote_image_json(const pyoci_remote_image_t *r);

/* ---- login ---- */
/* Check user/password against registry (a host[:port], docker.io, or a
 * URL), then store them in docker_config (or its credential helper). */
int pyoci_registry_login(const char *registry, const pyoci_registry_opts_t *o, pyoci_error_t **err);
/* Forget the credentials; PYOCI_E_NOT_FOUND when there were none. */
int pyoci_registry_logout(const char *registry, const pyoci_registry_opts_t *o, pyoci_error_t **err);
/* The server key docker uses in config.json for a registry name
 * ("docker.io" -> "https://index.docker.io/v1/").  Caller frees. */
char *pyoci_registry_server_key(const char *registry);
/* The host a registry name is contacted at: Docker Hub's "docker.io" (what
 * a reference's domain is after normalisation, also for "index.docker.io")
 * is served by "registry-1.docker.io", as docker's default endpoint;
 * every other name is its own host.  Not allocated. */
const char *pyoci_registry_endpoint(const char *registry);

/* ---- referrers ---- */
typedef struct {
  char digest[PYOCI_DIGEST_LEN];
  char *artifact_type;
  int64_t size;
  char *media_type;
} pyoci_referrer_t;

/* Push blob (bytes, artifact_type, a single-layer artifact manifest whose
 * subject is image's manifest) to the repository the image was pulled from
 * or dest; update the fallback tag index when the registry has no referrers
 * API.  digest_out: the artifact manifest's digest. */
int pyoci_registry_attach(pyoci_store_t *s, const char *image, const char *dest, const char *artifact_type,
                          const char *layer_media_type, const void *bytes, size_t len,
                          const pyoci_registry_opts_t *o, char digest_out[PYOCI_DIGEST_LEN], pyoci_error_t **err);
/* List the referrers of ref's manifest. */
int pyoci_registry_referrers(const char *ref, const pyoci_registry_opts_t *o, pyoci_referrer_t **out, size_t *n,
                             pyoci_error_t **err);
void pyoci_referrers_free(pyoci_referrer_t *v, size_t n);

/* ---- parsers of registry replies, exposed for unit tests and fuzzing ---- */

/* One WWW-Authenticate challenge: scheme and the params a client uses. */
typedef struct {
  char *scheme; /* lowercased: "basic", "bearer", ... */
  char *realm, *service, *scope, *error;
} pyoci_auth_challenge_t;
/* Parse the first challenge of a header value (RFC 7235 auth-params,
 * quoted strings with escapes); at most 8 KiB.  PYOCI_E_CORRUPT on junk. */
int pyoci_auth_challenge_parse(const char *header, pyoci_auth_challenge_t *out, pyoci_error_t **err);
void pyoci_auth_challenge_free(pyoci_auth_challenge_t *c);

/* The registry's JSON error body ({"errors":[{code,message,detail}]}) as one
 * line, "message: what" (what = what was asked for, may be NULL); a body
 * that is not such JSON gives "HTTP <status>".  Never NULL. */
char *pyoci_registry_error_text(const char *body, size_t len, long status, const char *what);

/* A manifest or index as read from a registry or layout: media type (from
 * the body, else the Content-Type), descriptors, subject. */
typedef struct {
  char media_type[128];
  char digest[PYOCI_DIGEST_LEN];
  int64_t size;
  char *artifact_type;
  char os[32], arch[32], variant[32]; /* index entries */
} pyoci_wire_desc_t;

typedef struct {
  char *media_type;
  bool is_index;
  pyoci_wire_desc_t config;    /* manifests */
  pyoci_wire_desc_t *descs;    /* layers (manifest) or manifests (index) */
  size_t n_descs;
  bool has_subject;
  pyoci_wire_desc_t subject;
  char *artifact_type;
} pyoci_wire_manifest_t;

/* Parse and check (limits, digests, sizes, known media types; schema 1 is
 * refused with a clear message).  content_type may be NULL.  On error out
 * holds nothing to free. */
int pyoci_wire_manifest_parse(const char *buf, size_t len, const char *content_type, const char *what,
                              pyoci_wire_manifest_t *out, pyoci_error_t **err);
void pyoci_wire_manifest_free(pyoci_wire_manifest_t *m);
/* Index entry for platform "os/arch[/variant]" (NULL = linux/host); -1 +
 * PYOCI_E_NOT_FOUND listing what the index has. */
int pyoci_wire_pick_platform(const pyoci_wire_manifest_t *idx, const char *platform, const char *what,
                             size_t *which, pyoci_error_t **err);

#endif
