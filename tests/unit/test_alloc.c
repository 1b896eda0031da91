/* lib/util/alloc.h: the x-allocators' overflow checks, ALLOC_GROW, the
 * string vector and the string-keyed hash map. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "tap.h"

/* Runs fn in a child; returns the signal that ended it, 0 when it went on
 * to exit 0.  Under ASan the sanitizer may report a huge malloc itself and
 * exit 1 before our handler runs: that counts as SIGABRT (it did not go on). */
static int dies_with(void (*fn)(void))
{
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0)
      dup2(devnull, STDERR_FILENO);
    fn();
    _exit(0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  if (WIFSIGNALED(st))
    return WTERMSIG(st);
  return WEXITSTATUS(st) != 0 ? SIGABRT : 0;
}

static void mult_overflow(void)
{
  volatile size_t big = SIZE_MAX / 2 + 1;
  free(xcalloc(big, 4));
}

static void grow_overflow(void)
{
  char *p = xreallocarray(NULL, SIZE_MAX / 8 + 1, 16);
  free(p);
}

static void huge_malloc(void)
{
  volatile size_t big = SIZE_MAX - 64;
  free(xmalloc(big));
}

static void test_x(void)
{
  cleanup_free char *a = xstrdup("abc");
  is_str(a, "abc", "xstrdup copies");
  cleanup_free char *b = xstrndup("abcdef", 3);
  is_str(b, "abc", "xstrndup stops at n");
  cleanup_free char *c = xasprintf("%s-%d", "x", 42);
  is_str(c, "x-42", "xasprintf formats");
  ok(xstrdup_or_null(NULL) == NULL, "xstrdup_or_null keeps NULL");
  cleanup_free char *d = xmemdup("a\0b", 3);
  ok(memcmp(d, "a\0b", 3) == 0, "xmemdup copies embedded NULs");
  cleanup_free int *z = xcalloc(16, sizeof(int));
  int sum = 0;
  for (int i = 0; i < 16; i++)
    sum += z[i];
  is_int(sum, 0, "xcalloc zeroes");
  is_int(pyoci_st_add(3, 4), 7, "st_add adds");
  is_int(pyoci_st_mult(3, 4), 12, "st_mult multiplies");
  is_int(dies_with(mult_overflow), SIGABRT, "xcalloc with n*size overflowing aborts (no short buffer)");
  is_int(dies_with(grow_overflow), SIGABRT, "xreallocarray overflowing aborts");
  is_int(dies_with(huge_malloc), SIGABRT, "out of memory aborts");
}

static void test_alloc_grow(void)
{
  int *v = NULL;
  size_t n = 0, alloc = 0;
  for (int i = 0; i < 1000; i++) {
    ALLOC_GROW(v, n + 1, alloc);
    v[n++] = i;
  }
  ok(alloc >= 1000, "ALLOC_GROW makes room (alloc %zu)", alloc);
  long sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += v[i];
  is_int(sum, 999L * 1000 / 2, "every element kept across moves");
  free(v);
}

static void test_strv(void)
{
  cleanup_strvec pyoci_strv_t sv = PYOCI_STRV_INIT;
  pyoci_strv_push(&sv, "b");
  pyoci_strv_pushf(&sv, "a%d", 1);
  pyoci_strv_push_nocopy(&sv, xstrdup("c"));
  is_int(sv.n, 3, "three pushed");
  ok(sv.v[3] == NULL, "always NULL-terminated");
  ok(pyoci_strv_contains(&sv, "a1") && !pyoci_strv_contains(&sv, "a"), "contains is exact");
  pyoci_strv_sort(&sv);
  is_str(sv.v[0], "a1", "sorted 0");
  is_str(sv.v[2], "c", "sorted 2");
  pyoci_strv_pop(&sv);
  ok(sv.n == 2 && sv.v[2] == NULL, "pop frees the last and keeps the terminator");
  size_t n = 0;
  cleanup_strv char **v = pyoci_strv_detach(&sv, &n);
  ok(n == 2 && v[2] == NULL && sv.v == NULL && sv.n == 0, "detach hands over the array");
  pyoci_strv_t empty = PYOCI_STRV_INIT;
  cleanup_strv char **e = pyoci_strv_detach(&empty, NULL);
  ok(e != NULL && e[0] == NULL, "detach of an empty vector is an empty array, not NULL");
}

static void test_strmap(void)
{
  pyoci_strmap_t m = PYOCI_STRMAP_INIT;
  ok(pyoci_strmap_find(&m, "x") == NULL, "empty map finds nothing");
  char key[32];
  for (int i = 0; i < 5000; i++) {
    snprintf(key, sizeof(key), "k%d", i);
    bool added = false;
    pyoci_strmap_slot_t *s = pyoci_strmap_insert(&m, key, &added);
    if (!added)
      break;
    s->val.num = (size_t)i;
  }
  is_int(m.n, 5000, "5000 keys inserted across rehashes");
  pyoci_strmap_slot_t *s = pyoci_strmap_find(&m, "k4321");
  ok(s != NULL && s->val.num == 4321, "value kept through rehash");
  bool added = true;
  s = pyoci_strmap_insert(&m, "k7", &added);
  ok(!added && s->val.num == 7, "second insert returns the first slot");
  ok(pyoci_strmap_find(&m, "k5000") == NULL, "absent key");
  size_t i = 0, seen = 0;
  while (pyoci_strmap_next(&m, &i) != NULL)
    seen++;
  is_int(seen, 5000, "iteration visits every key once");
  /* delete every even key while iterating, then re-insert some */
  pyoci_strmap_slot_t *it;
  for (size_t j = 0; (it = pyoci_strmap_next(&m, &j)) != NULL;)
    if (it->val.num % 2 == 0)
      pyoci_strmap_remove(&m, it);
  is_int(m.n, 2500, "half removed during iteration");
  ok(pyoci_strmap_find(&m, "k42") == NULL && pyoci_strmap_find(&m, "k43") != NULL, "removed keys are gone, others stay");
  for (int k = 0; k < 5000; k += 2) {
    snprintf(key, sizeof(key), "k%d", k);
    pyoci_strmap_insert(&m, key, NULL)->val.num = (size_t)k;
  }
  s = pyoci_strmap_find(&m, "k4000");
  ok(m.n == 5000 && s != NULL && s->val.num == 4000, "deleted slots are reused");
  pyoci_strmap_clear(&m, NULL);
  ok(m.cap == 0 && m.n == 0, "clear empties");
  pyoci_strmap_t owned = PYOCI_STRMAP_INIT;
  pyoci_strmap_insert(&owned, "a", NULL)->val.ptr = xstrdup("value");
  is_str(pyoci_strmap_find(&owned, "a")->val.ptr, "value", "pointer values");
  pyoci_strmap_clear(&owned, free);
  ok(owned.slots == NULL, "clear frees values through free_val");
}

int main(void)
{
  test_x();
  test_alloc_grow();
  test_strv();
  test_strmap();
  return done_testing();
}
