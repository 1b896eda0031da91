/* lib/util/walk.c: order, skipping, post-order, stat, the depth limit, and
 * that a symlink to a directory is reported, never entered. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/strbuf.h"
#include "lib/util/walk.h"
#include "tap.h"

typedef struct {
  strbuf_t log;
  const char *skip;
  bool saw_stat;
} rec_t;

static int record(const pyoci_walk_entry_t *e, void *ctx, pyoci_error_t **err)
{
  rec_t *r = ctx;
  strbuf_addf(&r->log, "%s%s%s:%d ", e->post ? "/" : "", e->rel, e->type == DT_DIR ? "/" : e->type == DT_LNK ? "@" : "",
              e->depth);
  if (e->st != NULL && S_ISREG(e->st->st_mode) && e->st->st_size == 3)
    r->saw_stat = true;
  if (r->skip && strcmp(e->rel, r->skip) == 0)
    return PYOCI_WALK_SKIP;
  return 0;
}

static int fail_on_b(const pyoci_walk_entry_t *e, void *ctx, pyoci_error_t **err)
{
  if (strcmp(e->name, "b") == 0)
    return pyoci_error_set(err, 0, "stop at %s", e->rel);
  return 0;
}

static void mkfile(int dfd, const char *rel, const char *data)
{
  int fd = openat(dfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    if (write(fd, data, strlen(data)) < 0)
      perror("write");
    close(fd);
  }
}

static void test_tree(int root)
{
  mkdirat(root, "b", 0755);
  mkdirat(root, "b/c", 0755);
  mkfile(root, "a", "abc");
  mkfile(root, "b/c/d", "");
  mkfile(root, "b/e", "");
  if (symlinkat("b", root, "l") < 0)
    perror("symlink");
  cleanup_error pyoci_error_t *err = NULL;
  rec_t r = {STRBUF_INIT, NULL, false};
  ok(pyoci_walk_at(root, "t", record, &r, 0, PYOCI_WALK_SORTED | PYOCI_WALK_STAT, &err) == 0, "walk ok");
  is_str(strbuf_str(&r.log), "a:0 b/:0 b/c/:1 b/c/d:2 b/e:1 l@:0 ", "sorted pre-order, link not entered");
  ok(r.saw_stat, "STAT fills st");
  strbuf_release(&r.log);

  rec_t p = {STRBUF_INIT, "b/c", false};
  ok(pyoci_walk_at(root, "t", record, &p, 0, PYOCI_WALK_SORTED | PYOCI_WALK_POSTORDER, &err) == 0, "walk ok");
  is_str(strbuf_str(&p.log), "a:0 b/:0 b/c/:1 b/e:1 /b/:0 l@:0 ", "SKIP keeps out of b/c; post-order visit after children");
  ok(!p.saw_stat, "no st without PYOCI_WALK_STAT");
  strbuf_release(&p.log);

  rec_t u = {STRBUF_INIT, NULL, false};
  ok(pyoci_walk_at(root, "t", record, &u, 0, 0, &err) == 0, "unsorted walk ok");
  is_int(strlen(strbuf_str(&u.log)), strlen("a:0 b/:0 b/c/:1 b/c/d:2 b/e:1 l@:0 "), "unsorted sees the same entries");
  strbuf_release(&u.log);

  ok(pyoci_walk_at(root, "t", fail_on_b, NULL, 0, PYOCI_WALK_SORTED, &err) < 0, "a callback error stops the walk");
  is_str(err ? err->msg : NULL, "stop at b", "and its message comes back as is");
}

static void test_depth(int root)
{
  mkdirat(root, "deep", 0755);
  int fd = openat(root, "deep", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (int i = 0; i < 6 && fd >= 0; i++) {
    mkdirat(fd, "d", 0755);
    int sub = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(fd);
    fd = sub;
  }
  if (fd >= 0)
    close(fd);
  cleanup_close int deep = openat(root, "deep", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_error pyoci_error_t *err = NULL;
  rec_t r = {STRBUF_INIT, NULL, false};
  ok(pyoci_walk_at(deep, "deep tree", record, &r, 5, 0, &err) < 0, "6 levels refused with max_depth 5");
  is_str(err ? err->msg : NULL, "deep tree: directory tree deeper than 5 levels at 'd/d/d/d/d/d'",
         "the message names the tree and where");
  pyoci_error_release(&err);
  strbuf_release(&r.log);
  ok(pyoci_walk_at(deep, "deep tree", record, &r, 6, 0, &err) == 0, "6 levels fine with max_depth 6");
  strbuf_release(&r.log);
  is_int(PYOCI_WALK_MAX_DEPTH, 256, "one depth limit for every walk");
}

/* The post-order visit of a directory sees its own path even when its
 * children's longer paths made the walker move its path buffer (distill's
 * fix_dir read freed memory there: found by the SANITIZE suite). */
static int check_post_rel(const pyoci_walk_entry_t *e, void *ctx, pyoci_error_t **err)
{
  (void)err;
  int *bad = ctx;
  size_t lr = strlen(e->rel), ln = strlen(e->name);
  if (e->post && (lr < ln || strcmp(e->rel + lr - ln, e->name) != 0 || (e->depth == 0 && strcmp(e->rel, e->name) != 0)))
    (*bad)++;
  return 0;
}

static void test_post_rel(int root)
{
  mkdirat(root, "p", 0755);
  char name[250];
  memset(name, 'n', sizeof(name) - 1);
  name[sizeof(name) - 1] = '\0';
  int fd = openat(root, "p", O_RDONLY | O_DIRECTORY);
  /* 8 levels of 249-byte names: 2 KB of path, past any first allocation */
  for (int i = 0; i < 8 && fd >= 0; i++) {
    mkdirat(fd, name, 0755);
    int sub = openat(fd, name, O_RDONLY | O_DIRECTORY);
    close(fd);
    fd = sub;
  }
  if (fd >= 0)
    close(fd);
  int bad = 0;
  pyoci_error_t *err = NULL;
  int top = openat(root, ".", O_RDONLY | O_DIRECTORY);
  int rc = pyoci_walk_at(top, "t", check_post_rel, &bad, 0, PYOCI_WALK_POSTORDER, &err);
  ok(rc == 0 && bad == 0, "post-order rel of a directory survives its children's long paths");
  pyoci_error_free(err);
  close(top);
}

int main(void)
{
  cleanup_free char *dir = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_mkdtemp(NULL, "pyoci-walk-", &dir, &err) < 0)
    return 1;
  cleanup_close int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  test_tree(root);
  test_depth(root);
  test_post_rel(root);
  pyoci_rm_rf(dir, &err);
  return done_testing();
}
