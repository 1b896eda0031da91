/* COPY/ADD semantics on plain directories (no overlay needed). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/builder/copy.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/strbuf.h"
#include "tap.h"

static char *ctx, *dst;

/* Run a shell snippet with $D set to dir. */
static void sh(const char *script, const char *dir)
{
  setenv("D", dir, 1);
  if (system(script) != 0)
    printf("# command failed: %s\n", script);
}

static int run_copy(const char *const *srcs, size_t n, const char *dest, const char *workdir, pyoci_error_t **err)
{
  pyoci_copy_t c = {.src_root = ctx, .srcs = srcs, .n_srcs = n, .dest = dest, .workdir = workdir,
                    .dest_root = dst, .chmod = -1, .instruction = "COPY"};
  return pyoci_copy_run(&c, err);
}

static bool exists(const char *rel, mode_t type)
{
  cleanup_free char *p = pyoci_path_join(dst, rel);
  struct stat st;
  return lstat(p, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

static bool is_excluded(void *x, const char *rel, bool is_dir)
{
  return strcmp(rel, "secret.txt") == 0 || strcmp(rel, "sub/skip") == 0;
}

int main(void)
{
  cleanup_error pyoci_error_t *err = NULL;
  ok(pyoci_mkdtemp(NULL, "pyoci-ctx-", &ctx, &err) == 0 && pyoci_mkdtemp(NULL, "pyoci-dst-", &dst, &err) == 0,
     "temp dirs");
  sh("cd $D && echo app >app.py && echo req >requirements.txt && mkdir -p sub/deep && echo x >sub/deep/x && "
     "echo s >sub/skip && ln -s deep/x sub/link && echo k >secret.txt && echo a >a.md && echo b >b.md",
     ctx);

  const char *s1[] = {"app.py", "requirements.txt"};
  ok(run_copy(s1, 2, "./", "/app", &err) == 0, "COPY app.py requirements.txt ./ with WORKDIR /app");
  ok(exists("app/app.py", S_IFREG) && exists("app/requirements.txt", S_IFREG), "files land in the workdir");

  pyoci_error_release(&err);
  ok(run_copy(s1, 2, "/nodir", "/", &err) == 0 && exists("nodir", S_IFREG),
     "several sources without a trailing slash: each copied to the path in turn, as BuildKit");

  pyoci_error_release(&err);
  const char *s2[] = {"sub"};
  ok(run_copy(s2, 1, "/opt/sub", "/", &err) == 0, "COPY dir copies its contents");
  ok(exists("opt/sub/deep/x", S_IFREG) && !exists("opt/sub/sub", S_IFDIR), "contents, not the dir itself");
  ok(exists("opt/sub/link", S_IFLNK), "symlinks inside directories stay symlinks");

  const char *s3[] = {"app.py"};
  ok(run_copy(s3, 1, "/renamed.py", "/", &err) == 0 && exists("renamed.py", S_IFREG),
     "file to a path without slash is renamed");
  ok(run_copy(s3, 1, "/opt", "/", &err) == 0 && exists("opt/app.py", S_IFREG),
     "file to an existing directory goes inside it");

  const char *s4[] = {"*.md"};
  ok(run_copy(s4, 1, "/docs/", "/", &err) == 0 && exists("docs/a.md", S_IFREG) && exists("docs/b.md", S_IFREG),
     "wildcards");

  const char *s5[] = {"../app.py"};
  ok(run_copy(s5, 1, "/up.py", "/", &err) == 0 && exists("up.py", S_IFREG),
     "'..' stops at the context root, as in BuildKit");
  pyoci_error_release(&err);
  const char *s6[] = {"missing.txt"};
  ok(run_copy(s6, 1, "/x", "/", &err) < 0 && strstr(err->msg, "missing.txt"), "missing source names the file");
  pyoci_error_release(&err);
  const char *s7[] = {"nomatch*"};
  ok(run_copy(s7, 1, "/x/", "/", &err) == 0 && !exists("x", S_IFDIR),
     "wildcard without match copies nothing (BuildKit's AllowEmptyWildcard)");
  pyoci_error_release(&err);

  /* .dockerignore */
  const char *s8[] = {"."};
  pyoci_copy_t c = {.src_root = ctx, .srcs = s8, .n_srcs = 1, .dest = "/ctx/", .workdir = "/", .dest_root = dst,
                    .chmod = -1, .instruction = "COPY", .exclude = is_excluded};
  ok(pyoci_copy_run(&c, &err) == 0, "COPY . with excludes");
  ok(exists("ctx/app.py", S_IFREG) && !exists("ctx/secret.txt", S_IFREG) && !exists("ctx/sub/skip", S_IFREG),
     "excluded files are not copied");
  const char *s9[] = {"secret.txt"};
  c.srcs = s9;
  ok(pyoci_copy_run(&c, &err) < 0 && strstr(err->msg, "excluded by .dockerignore"), "naming an excluded file fails");
  pyoci_error_release(&err);

  /* --chown and --chmod */
  if (geteuid() == 0) {
    pyoci_copy_t o = {.src_root = ctx, .srcs = s3, .n_srcs = 1, .dest = "/owned/dir/", .workdir = "/",
                      .dest_root = dst, .chown = true, .uid = 1000, .gid = 1001, .chmod = 0600, .instruction = "COPY"};
    ok(pyoci_copy_run(&o, &err) == 0, "COPY --chown=1000:1001 --chmod=600");
    struct stat st;
    cleanup_free char *f = pyoci_path_join(dst, "owned/dir/app.py");
    cleanup_free char *d = pyoci_path_join(dst, "owned");
    ok(stat(f, &st) == 0 && st.st_uid == 1000 && st.st_gid == 1001 && (st.st_mode & 07777) == 0600,
       "file owner and mode");
    ok(stat(d, &st) == 0 && st.st_uid == 1000 && (st.st_mode & 07777) == 0755, "created parents owned by chown user");
  } else {
    printf("ok %d # skip chown needs root\n", ++tap_n);
  }

  /* user resolution */
  sh("mkdir -p $D/etc && printf 'root:x:0:0::/root:/bin/sh\\napp:x:1000:1000::/home/app:/bin/sh\\n' >$D/etc/passwd "
     "&& printf 'root:x:0:\\napp:x:1000:\\nstaff:x:50:\\n' >$D/etc/group",
     dst);
  int64_t uid = -1, gid = -1;
  ok(pyoci_resolve_user(dst, "app", true, &uid, &gid, &err) == 0 && uid == 1000 && gid == 1000, "--chown=app");
  ok(pyoci_resolve_user(dst, "app:staff", true, &uid, &gid, &err) == 0 && gid == 50, "--chown=app:staff");
  ok(pyoci_resolve_user(dst, "1000", false, &uid, &gid, &err) == 0 && uid == 1000 && gid == 1000,
     "USER 1000 takes passwd's primary group");
  ok(pyoci_resolve_user(dst, "4242", false, &uid, &gid, &err) == 0 && uid == 4242 && gid == 0,
     "USER of an unknown uid gets gid 0");
  ok(pyoci_resolve_user(dst, "nobody", true, &uid, &gid, &err) < 0 && strstr(err->msg, "unable to find user nobody"),
     "unknown user name is an error");
  pyoci_error_release(&err);

  /* content hash */
  char h1[PYOCI_DIGEST_LEN], h2[PYOCI_DIGEST_LEN], h3[PYOCI_DIGEST_LEN];
  c.srcs = s8;
  ok(pyoci_copy_hash(&c, h1, &err) == 0, "hash sources");
  sh("touch -d '2001-01-01' $D/app.py", ctx);
  ok(pyoci_copy_hash(&c, h2, &err) == 0 && strcmp(h1, h2) == 0, "mtime changes do not change the hash");
  sh("echo changed >$D/app.py", ctx);
  ok(pyoci_copy_hash(&c, h3, &err) == 0 && strcmp(h1, h3) != 0, "content changes do");
  sh("echo changed >$D/secret.txt", ctx);
  char h4[PYOCI_DIGEST_LEN];
  ok(pyoci_copy_hash(&c, h4, &err) == 0 && strcmp(h3, h4) == 0, "excluded files do not count");

  pyoci_rm_rf(ctx, &err);
  pyoci_rm_rf(dst, &err);
  free(ctx);
  free(dst);
  return done_testing();
}
