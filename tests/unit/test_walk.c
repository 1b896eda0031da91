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

int main(void)
{
  cleanup_free char *dir = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_mkdtemp(NULL, "pyoci-walk-", &dir, &err) < 0)
    return 1;
  cleanup_close int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  test_tree(root);
  test_depth(root);
  pyoci_rm_rf(dir, &err);
  return done_testing();
}
