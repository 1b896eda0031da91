/* RUN --mount at run time (run_mounts.h). */
#include "run_mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/path.h"
#include "lib/util/hash.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"
#include "copy.h"
#include "lib/dockerfile/dockerignore.h"

/* base/p (or p when absolute), cleaned as Go's path.Clean: ".." stops at
 * "/".  Always absolute. */
static char *clean_abs(const char *base, const char *p)
{
  cleanup_free char *joined = NULL;
  joined = xasprintf("/%s/%s", p[0] == '/' ? "" : (base ? base : ""), p);
  return pyoci_path_normalize(joined, PYOCI_PATH_GO);
}

static const pyoci_build_secret_t *find_secret(const pyoci_build_secret_t *v, size_t n, const char *id)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(v[i].id, id) == 0)
      return &v[i];
  return NULL;
}

static int secret_missing(const char *id, pyoci_error_t **err)
{
  return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                              "secret \"%s\" is required but was not given (pyoci build --secret id=%s,src=FILE)",
                              id, id);
}

int pyoci_run_mounts_add(pyoci_run_mounts_t *ms, const pyoci_mounts_ctx_t *c, pyoci_run_mount_t *spec,
                         const char *workdir, const pyoci_mount_from_t *from, pyoci_error_t **err)
{
  pyoci_run_mount_state_t st = {.spec = *spec, .lock_fd = -1, .host = PYOCI_PIN_INIT};
  memset(spec, 0, sizeof(*spec));
  int rc = 0;
  if (st.spec.type == PYOCI_MOUNT_SSH) {
    rc = pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "RUN --mount=type=ssh is not supported by pyoci (no ssh agent forwarding)");
  } else if (st.spec.target) {
    st.target = clean_abs(workdir, st.spec.target);
    if (strcmp(st.target, "/") == 0)
      rc = pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid mount target \"%s\"", st.spec.target);
  }
  if (rc == 0 && st.spec.type == PYOCI_MOUNT_SECRET) {
    st.secret = find_secret(c->secrets, c->n_secrets, st.spec.id);
    if (st.secret == NULL && st.spec.required)
      rc = secret_missing(st.spec.id, err);
  }
  if (rc == 0 && from) {
    st.has_from = true;
    st.from = *from;
  }
  pyoci_run_mount_state_t *v = xrealloc(ms->m, (ms->n + 1) * sizeof(*v));
  ms->m = v;
  ms->m[ms->n++] = st; /* kept even on error: released with the rest */
  return rc;
}

static bool ignored(void *ctx, const char *rel, bool is_dir)
{
  return pyoci_ignore_match(ctx, rel, is_dir);
}

static int context_source(const pyoci_mounts_ctx_t *c, const pyoci_run_mount_state_t *st, char **out,
                          pyoci_error_t **err);

/* A bind from the context as a COPY of its one source: the source resolved
 * inside the context (rel) and the copy over it, .dockerignore applied --
 * what the cache key hashes is what the bind gets.  cp points into the
 * struct: keep it where it is. */
typedef struct {
  char *rel;
  const char *srcs[1];
  pyoci_copy_t cp;
} context_bind_t;

static void context_bind_release(context_bind_t *b)
{
  free(b->rel);
}
#define cleanup_context_bind __attribute__((cleanup(context_bind_release)))

static int context_bind(const pyoci_mounts_ctx_t *c, const pyoci_run_mount_state_t *st, context_bind_t *b,
                        pyoci_error_t **err)
{
  if (context_source(c, st, &b->rel, err) < 0)
    return -1;
  b->srcs[0] = b->rel;
  b->cp = (pyoci_copy_t){.src_root = c->context, .srcs = b->srcs, .n_srcs = 1, .dest = "/", .workdir = "/",
                         .chmod = -1, .instruction = "RUN --mount"};
  if (c->ignore) {
    b->cp.exclude = ignored;
    b->cp.exclude_ctx = c->ignore;
  }
  return 0;
}

/* The source as a path relative to its root ("." for the root). */
static char *source_rel(const pyoci_run_mount_state_t *st)
{
  cleanup_free char *abs = clean_abs("/", st->spec.source ? st->spec.source : "/");
  return xstrdup(strcmp(abs, "/") == 0 ? "." : abs + 1);
}

int pyoci_run_mounts_key(const pyoci_run_mounts_t *ms, const pyoci_mounts_ctx_t *c, json_t **out,
                         pyoci_error_t **err)
{
  cleanup_json json_t *a = json_array();
  for (size_t i = 0; i < ms->n; i++) {
    const pyoci_run_mount_state_t *st = &ms->m[i];
    json_t *j = pyoci_run_mount_json(&st->spec);
    json_array_append_new(a, j);
    if (st->target)
      json_object_set_new(j, "target", json_string(st->target));
    if (st->has_from) {
      json_object_set_new(j, "from_key", json_string(st->from.key));
    } else if (st->spec.type == PYOCI_MOUNT_BIND) {
      /* what is bound from the context, as COPY hashes its sources */
      cleanup_context_bind context_bind_t b = {0};
      if (context_bind(c, st, &b, err) < 0)
        return -1;
      char digest[PYOCI_DIGEST_LEN];
      if (pyoci_copy_hash(&b.cp, digest, err) < 0)
        return pyoci_error_prefix(err, "source '%s'", st->spec.source ? st->spec.source : ".");
      json_object_set_new(j, "content", json_string(digest));
    }
  }
  *out = steal_pointer(&a);
  return 0;
}

static void add_rt(pyoci_run_mounts_t *ms, pyoci_mount_t m)
{
  pyoci_mount_t *v = xrealloc(ms->rt, (ms->n_rt + 1) * sizeof(*v));
  ms->rt = v;
  ms->rt[ms->n_rt++] = m;
}

/* Pin rel inside dir (a directory pyoci made, or a view's root). */
static int pin_in(pyoci_run_mount_state_t *st, const char *dir, const char *rel, const char *what,
                  pyoci_error_t **err)
{
  cleanup_close int dfd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return pyoci_error_set(err, errno, "open '%s'", dir);
  return pyoci_pin_in_root(dfd, rel, 0, what, &st->host, err);
}

/* What runc gets: the pin bound onto scratch/pN (scratch is the step's
 * private dir, which no RUN process sees). */
static int publish(pyoci_run_mount_state_t *st, const char *scratch, size_t i, pyoci_error_t **err)
{
  char name[32];
  snprintf(name, sizeof(name), "p%zu", i);
  cleanup_free char *at = pyoci_path_join(scratch, name);
  return pyoci_pin_publish(&st->host, at, err);
}

/* The context source resolved inside the context, the way BuildKit follows
 * a bind source's symlinks in the context root ("." = the root). */
static int context_source(const pyoci_mounts_ctx_t *c, const pyoci_run_mount_state_t *st, char **out,
                          pyoci_error_t **err)
{
  cleanup_close int rfd = open(c->context, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rfd < 0)
    return pyoci_error_set(err, errno, "open '%s'", c->context);
  cleanup_free char *lex = source_rel(st);
  cleanup_free char *real = NULL;
  if (pyoci_resolve_in_root(rfd, lex, &real, err) < 0)
    return pyoci_error_prefix(err, "RUN --mount source '%s'", st->spec.source ? st->spec.source : ".");
  *out = *real ? steal_pointer(&real) : xstrdup(".");
  return 0;
}

/* bind from the context: a copy of the source (.dockerignore applied). */
static int prepare_context_bind(pyoci_run_mount_state_t *st, const pyoci_mounts_ctx_t *c, const char *dir,
                                pyoci_error_t **err)
{
  cleanup_context_bind context_bind_t b = {0};
  if (context_bind(c, st, &b, err) < 0)
    return -1;
  const char *rel = b.rel;
  b.cp.dest_root = dir;
  if (pyoci_mkdir_p(dir, 0755, err) < 0)
    return -1;
  if (pyoci_copy_run(&b.cp, err) < 0)
    return pyoci_error_prefix(err, "source '%s'", st->spec.source ? st->spec.source : ".");
  /* rel has no symlink left; the copy is resolved inside dir all the same */
  cleanup_close int rfd = open(c->context, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int fd = rfd < 0 ? -1 : pyoci_open_in_root(rfd, strcmp(rel, ".") == 0 ? "" : rel, O_PATH);
  struct stat sb;
  if (fd < 0 || fstat(fd, &sb) < 0)
    return pyoci_error_set(err, errno, "RUN --mount source '%s'", rel);
  const char *base = strrchr(rel, '/');
  return pin_in(st, dir, S_ISDIR(sb.st_mode) ? "" : base ? base + 1 : rel, rel, err);
}

/* bind from a stage or image: the source inside a throwaway overlay view. */
static int prepare_from_bind(pyoci_run_mount_state_t *st, const pyoci_mounts_ctx_t *c, pyoci_error_t **err)
{
  const char *root = NULL;
  if (pyoci_view_open(c->s, st->from.layers, st->from.diff_ids, st->from.n, &st->view, &root, err) < 0)
    return -1;
  cleanup_free char *rel = source_rel(st);
  if (pin_in(st, root, strcmp(rel, ".") == 0 ? "" : rel, rel, err) < 0)
    return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "RUN --mount from=%s: source '%s'", st->spec.from,
                                st->spec.source ? st->spec.source : "/");
  return 0;
}

/* A new cache directory's content (from=/source=) and its mode and owner. */
static int fill_cache_dir(pyoci_run_mount_state_t *st, const pyoci_mounts_ctx_t *c, const char *dir,
                          pyoci_error_t **err)
{
  if (st->has_from) {
    pyoci_view_t *view = NULL;
    const char *root = NULL;
    if (pyoci_view_open(c->s, st->from.layers, st->from.diff_ids, st->from.n, &view, &root, err) < 0)
      return -1;
    cleanup_free char *rel = source_rel(st);
    const char *srcs[] = {rel};
    pyoci_copy_t cp = {.src_root = root, .srcs = srcs, .n_srcs = 1, .dest = "/", .workdir = "/", .dest_root = dir,
                       .chmod = -1, .keep_owner = true, .instruction = "RUN --mount"};
    int rc = pyoci_copy_run(&cp, err);
    pyoci_view_close(view);
    if (rc < 0)
      return -1;
  }
  if (chown(dir, (uid_t)st->spec.uid, (gid_t)st->spec.gid) < 0 || chmod(dir, (mode_t)st->spec.mode & 07777) < 0)
    return pyoci_error_set(err, errno, "set up cache mount '%s'", dir);
  return 0;
}

static int prepare_cache(pyoci_run_mount_state_t *st, const pyoci_mounts_ctx_t *c, const char *scratch,
                         pyoci_error_t **err)
{
  char digest[PYOCI_DIGEST_LEN];
  pyoci_sha256_buf(st->spec.id, strlen(st->spec.id), digest);
  const char *hex = digest + strlen("sha256:");
  cleanup_free char *base = pyoci_path_join(pyoci_store_path(c->s), "cache/mounts");
  cleanup_free char *dir = pyoci_path_join(base, hex);
  strbuf_t lp = STRBUF_INIT;
  strbuf_addf(&lp, "%s.lock", dir);
  cleanup_free char *lock = strbuf_detach(&lp);
  if (pyoci_mkdir_p(base, 0700, err) < 0)
    return -1;
  st->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (st->lock_fd < 0)
    return pyoci_error_set(err, errno, "open '%s'", lock);
  int op = st->spec.sharing == PYOCI_SHARING_SHARED ? LOCK_SH : LOCK_EX;
  if (st->spec.sharing == PYOCI_SHARING_PRIVATE)
    op |= LOCK_NB;
  int rc;
  while ((rc = flock(st->lock_fd, op)) < 0 && errno == EINTR)
    ;
  if (rc < 0 && errno == EWOULDBLOCK) {
    /* private and in use by another build: this step gets its own */
    close(st->lock_fd);
    st->lock_fd = -1;
    if (pyoci_mkdir_p(scratch, 0700, err) < 0 || fill_cache_dir(st, c, scratch, err) < 0)
      return -1;
    return pin_in(st, scratch, "", scratch, err);
  }
  if (rc < 0)
    return pyoci_error_set(err, errno, "lock '%s'", lock);
  if (!pyoci_path_exists(dir)) {
    cleanup_free char *tmp = NULL;
    if (pyoci_mkdtemp(base, ".new-", &tmp, err) < 0)
      return -1;
    if (fill_cache_dir(st, c, tmp, err) < 0) {
      pyoci_error_t *ignored = NULL;
      pyoci_rm_rf(tmp, &ignored);
      pyoci_error_free(ignored);
      return -1;
    }
    if (rename(tmp, dir) < 0) {
      /* another build made it first: use theirs */
      pyoci_error_t *ignored = NULL;
      pyoci_rm_rf(tmp, &ignored);
      pyoci_error_free(ignored);
    }
  }
  return pin_in(st, dir, "", dir, err);
}

static int prepare_secret(pyoci_run_mounts_t *ms, pyoci_run_mount_state_t *st, const char *scratch,
                          const char *name, pyoci_error_t **err)
{
  if (st->spec.env) {
    strbuf_t e = STRBUF_INIT;
    strbuf_addf(&e, "%s=%.*s", st->spec.env, (int)strnlen(st->secret->data, st->secret->len), st->secret->data);
    char **v = xrealloc(ms->env, (ms->n_env + 2) * sizeof(char *));
    ms->env = v;
    ms->env[ms->n_env++] = strbuf_detach(&e);
    ms->env[ms->n_env] = NULL;
  }
  if (st->target == NULL)
    return 0;
  cleanup_free char *path = pyoci_path_join(scratch, name);
  cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 || pyoci_write_all(fd, st->secret->data, st->secret->len, path, err) < 0)
    return fd < 0 ? pyoci_error_set(err, errno, "create '%s'", path) : -1;
  if (fchown(fd, (uid_t)st->spec.uid, (gid_t)st->spec.gid) < 0 || fchmod(fd, (mode_t)st->spec.mode & 07777) < 0)
    return pyoci_error_set(err, errno, "set up secret file '%s'", path);
  return pin_in(st, scratch, name, path, err);
}

static int prepare_one(pyoci_run_mounts_t *ms, pyoci_run_mount_state_t *st, const pyoci_mounts_ctx_t *c,
                       const char *scratch, size_t i, pyoci_error_t **err)
{
  char name[32];
  snprintf(name, sizeof(name), "m%zu", i);
  cleanup_free char *path = pyoci_path_join(scratch, name);
  switch (st->spec.type) {
  case PYOCI_MOUNT_BIND:
    return st->has_from ? prepare_from_bind(st, c, err) : prepare_context_bind(st, c, path, err);
  case PYOCI_MOUNT_CACHE:
    return prepare_cache(st, c, path, err);
  case PYOCI_MOUNT_SECRET:
    return st->secret ? prepare_secret(ms, st, scratch, name, err) : 0;
  case PYOCI_MOUNT_TMPFS:
  case PYOCI_MOUNT_SSH:
    break;
  }
  return 0;
}

/* The target as runc will resolve it inside the step's root (the base
 * image's symlinks followed there): the mount point to take out of the
 * layer afterwards is the one runc really makes. */
static int resolve_target(pyoci_run_mount_state_t *st, int root_fd, pyoci_error_t **err)
{
  cleanup_free char *real = NULL;
  if (pyoci_resolve_in_root(root_fd, st->target, &real, err) < 0)
    return pyoci_error_prefix(err, "RUN --mount target '%s'", st->spec.target);
  if (*real == '\0')
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid mount target \"%s\": it resolves to /",
                                st->spec.target);
  free(st->target);
  st->target = xasprintf("/%s", real);
  return 0;
}

int pyoci_run_mounts_prepare(pyoci_run_mounts_t *ms, const pyoci_mounts_ctx_t *c, pyoci_step_t *step,
                             const char *scratch, pyoci_error_t **err)
{
  if (pyoci_mkdir_p(scratch, 0700, err) < 0)
    return -1;
  cleanup_close int root_fd = open(step->merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return pyoci_error_set(err, errno, "open '%s'", step->merged);
  step->mount_targets = xcalloc(ms->n + 1, sizeof(char *));
  for (size_t i = 0; i < ms->n; i++) {
    pyoci_run_mount_state_t *st = &ms->m[i];
    if (prepare_one(ms, st, c, scratch, i, err) < 0)
      return -1;
    if (st->target == NULL || (st->spec.type == PYOCI_MOUNT_SECRET && st->host.fd < 0))
      continue; /* env-only or absent secret: nothing mounted */
    if (resolve_target(st, root_fd, err) < 0 || (st->host.fd >= 0 && publish(st, scratch, i, err) < 0))
      return -1;
    add_rt(ms, (pyoci_mount_t){.destination = st->target, .tmpfs = st->spec.type == PYOCI_MOUNT_TMPFS,
                               .source = st->host.path, .readonly = st->spec.readonly, .size = st->spec.size});
    step->mount_targets[step->n_mount_targets++] = xstrdup(st->target + 1);
  }
  return 0;
}

void pyoci_run_mounts_release(pyoci_run_mounts_t *ms)
{
  for (size_t i = 0; i < ms->n; i++) {
    pyoci_run_mount_state_t *st = &ms->m[i];
    pyoci_view_close(st->view);
    if (st->lock_fd >= 0)
      close(st->lock_fd);
    pyoci_pin_release(&st->host);
    free(st->target);
    pyoci_run_mount_release(&st->spec);
  }
  for (size_t i = 0; i < ms->n_env; i++) {
    explicit_bzero(ms->env[i], strlen(ms->env[i]));
    free(ms->env[i]);
  }
  free(ms->env);
  free(ms->rt);
  free(ms->m);
  memset(ms, 0, sizeof(*ms));
}

static int check_instr(const pyoci_plan_t *plan, const pyoci_df_instr_t *in, const pyoci_build_secret_t *secrets,
                       size_t n, pyoci_error_t **err)
{
  for (size_t k = 0; in->kind == PYOCI_DF_RUN && k < in->n_mounts; k++) {
    pyoci_run_mount_t m;
    int rc = 0;
    if (pyoci_run_mount_parse(in->mounts[k], NULL, NULL, &m, err) < 0)
      rc = -1;
    else if (!m.deferred && m.type == PYOCI_MOUNT_SECRET && m.required && !find_secret(secrets, n, m.id))
      rc = secret_missing(m.id, err);
    pyoci_run_mount_release(&m);
    if (rc < 0)
      return pyoci_error_prefix(err, "%s:%d", plan->df->name, in->line);
  }
  return 0;
}

int pyoci_run_mounts_check_secrets(const pyoci_plan_t *plan, const pyoci_build_secret_t *secrets, size_t n,
                                   pyoci_error_t **err)
{
  for (size_t o = 0; o < plan->n_order; o++) {
    const pyoci_stage_t *st = &plan->stages[plan->order[o]];
    for (size_t i = 0; i < st->n_instrs; i++)
      if (check_instr(plan, &st->instrs[i], secrets, n, err) < 0)
        return -1;
  }
  return 0;
}
