/* Variable expansion: every operator, quoting and escaping, word splitting,
 * checked against what BuildKit's shell lexer produces (cases taken from
 * the behaviour documented in the Dockerfile reference and lex_test). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dockerfile/expand.h"
#include "lib/util/cleanup.h"
#include "tap.h"

static pyoci_env_t env;

/* expand with '\\' and compare */
static void ex(const char *in, const char *want, const char *what)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *got = pyoci_expand_word(in, '\\', &env, &err);
  if (got == NULL)
    printf("#   error: %s\n", err ? err->msg : "?");
  is_str(got, want, "%s: [%s]", what, in);
}

static void ex_err(const char *in, const char *want_substr, const char *what)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *got = pyoci_expand_word(in, '\\', &env, &err);
  const char *shown = err ? err->msg : got ? got : "(null)";
  ok(got == NULL && err != NULL && strstr(err->msg, want_substr) != NULL, "%s: [%s] -> %s", what, in, shown);
}

static void words(const char *in, const char *want_joined, size_t want_n, const char *what)
{
  cleanup_error pyoci_error_t *err = NULL;
  char **w = NULL;
  size_t n = 0;
  int r = pyoci_expand_words(in, '\\', &env, &w, &n, &err);
  char buf[512] = "";
  for (size_t i = 0; r == 0 && i < n; i++) {
    if (i)
      strcat(buf, "|");
    strncat(buf, w[i], sizeof(buf) - strlen(buf) - 2);
  }
  is_str(buf, want_joined, "%s: words of [%s]", what, in);
  is_int(n, want_n, "%s: word count", what);
  pyoci_strvfreep(&w);
}

static void test_env_set(void)
{
  pyoci_env_t e = PYOCI_ENV_INIT;
  pyoci_env_set(&e, "A", "1");
  pyoci_env_set_kv(&e, "B=x=y");
  pyoci_env_set(&e, "A", "2");
  is_int(e.n, 2, "env keeps keys unique");
  is_str(pyoci_env_get(&e, "A"), "2", "env set replaces");
  is_str(pyoci_env_get(&e, "B"), "x=y", "value keeps later '='");
  ok(pyoci_env_get(&e, "a") == NULL, "keys are case-sensitive");
  pyoci_env_unset(&e, "A");
  ok(pyoci_env_get(&e, "A") == NULL && e.n == 1 && e.kv[1] == NULL, "unset removes and keeps NULL end");
  pyoci_env_release(&e);
}

/* Past a few entries lookups go through the index (issue 9 item 4): it
 * must agree with the order kept in kv through replace and unset. */
static void test_env_indexed(void)
{
  pyoci_env_t e = PYOCI_ENV_INIT;
  char k[16], v[16];
  for (int i = 0; i < 100; i++) {
    snprintf(k, sizeof(k), "K%d", i);
    snprintf(v, sizeof(v), "v%d", i);
    pyoci_env_set(&e, k, v);
  }
  pyoci_env_set_kv(&e, "K7=seven");
  pyoci_env_set_kv(&e, "K70");
  is_int(e.n, 100, "indexed env keeps keys unique");
  is_str(pyoci_env_get(&e, "K7"), "seven", "indexed replace by KEY=VALUE");
  is_str(pyoci_env_get(&e, "K70"), "", "a bare KEY sets an empty value");
  is_str(e.kv[7], "K7=seven", "replace keeps the position");
  pyoci_env_unset(&e, "K0");
  is_str(pyoci_env_get(&e, "K99"), "v99", "lookup after unset moved the entries");
  is_str(e.kv[98], "K99=v99", "unset keeps the order");
  ok(pyoci_env_get(&e, "K0") == NULL && pyoci_env_get(&e, "K") == NULL && pyoci_env_get(&e, "K1=") == NULL,
     "absent keys, prefixes and '=' are not found");
  for (int i = 1; i < 95; i++) {
    snprintf(k, sizeof(k), "K%d", i);
    pyoci_env_unset(&e, k);
  }
  is_int(e.n, 5, "back under the index threshold");
  is_str(pyoci_env_get(&e, "K97"), "v97", "linear lookup again");
  pyoci_env_t c = PYOCI_ENV_INIT;
  pyoci_env_set(&c, "X", "1");
  pyoci_env_copy(&c, &e);
  ok(c.n == 5 && pyoci_env_get(&c, "X") == NULL && strcmp(pyoci_env_get(&c, "K95"), "v95") == 0, "copy replaces");
  pyoci_env_release(&c);
  pyoci_env_release(&e);
}

int main(void)
{
  test_env_set();
  test_env_indexed();
  pyoci_env_set(&env, "PWD", "/home");
  pyoci_env_set(&env, "SHELL", "bash");
  pyoci_env_set(&env, "FOO", "bar");
  pyoci_env_set(&env, "EMPTY", "");
  pyoci_env_set(&env, "SPACED", "a b  c");
  pyoci_env_set(&env, "PATHV", "/usr/local/bin/python3.11");

  /* plain references */
  ex("$PWD", "/home", "simple $name");
  ex("${PWD}", "/home", "braced");
  ex("he$PWD.x", "he/home.x", "name stops at '.'");
  ex("${PWD}x", "/homex", "braced then text");
  ex("$PWDx", "", "longest name wins, unknown is empty");
  ex("$UNSET", "", "unset is empty");
  ex("$", "$", "lone dollar");
  ex("a$ b", "a$ b", "dollar before space");
  ex("$1x", "x", "positional digits are a name");
  ex("$$", "", "special parameter $$ (unset)");

  /* ${v:-w} ${v-w} ${v:+w} ${v+w} */
  ex("${FOO:-def}", "bar", ":- set");
  ex("${UNSET:-def}", "def", ":- unset");
  ex("${EMPTY:-def}", "def", ":- empty counts as unset");
  ex("${EMPTY-def}", "", "- empty is set");
  ex("${UNSET-def}", "def", "- unset");
  ex("${FOO:+alt}", "alt", ":+ set");
  ex("${EMPTY:+alt}", "", ":+ empty");
  ex("${EMPTY+alt}", "alt", "+ empty is set");
  ex("${UNSET+alt}", "", "+ unset");
  ex("${UNSET:-$FOO}", "bar", "nested variable in word");
  ex("${UNSET:-${EMPTY:-deep}}", "deep", "nested braces");
  ex("${UNSET:-a b}", "a b", "word keeps spaces");
  ex("${UNSET:-'q'}", "q", "quotes inside word");

  /* ${v?} */
  ex("${FOO:?msg}", "bar", ":? set");
  ex_err("${UNSET:?must be set}", "UNSET: must be set", ":? unset with message");
  ex_err("${EMPTY:?}", "EMPTY: is not allowed to be empty", ":? empty");
  ex_err("${UNSET?}", "UNSET: is not allowed to be unset", "? unset");
  ex("${EMPTY?}", "", "? empty is fine");

  /* pattern trims and replacement */
  ex("${PATHV#*/}", "usr/local/bin/python3.11", "# shortest prefix");
  ex("${PATHV##*/}", "python3.11", "## longest prefix");
  ex("${PATHV%/*}", "/usr/local/bin", "% shortest suffix");
  ex("${PATHV%%/*}", "", "%% longest suffix");
  ex("${PATHV%.??}", "/usr/local/bin/python3", "? matches one byte");
  ex("${FOO/a/A}", "bAr", "/ replaces first");
  ex("${SPACED// /_}", "a_b__c", "// replaces all");
  ex("${FOO/x/y}", "bar", "/ no match");
  ex("${FOO/b*/Z}", "Z", "/ star is greedy");

  /* quoting */
  ex("'$FOO'", "$FOO", "single quotes keep $");
  ex("\"$FOO\"", "bar", "double quotes expand");
  ex("\"'$FOO'\"", "'bar'", "single quotes inside double");
  ex("'\"$FOO\"'", "\"$FOO\"", "double quotes inside single");
  ex("\\$FOO", "$FOO", "escaped dollar");
  ex("\"\\$FOO\"", "$FOO", "escaped dollar in double quotes");
  ex("\"a\\b\"", "a\\b", "other escapes stay in double quotes");
  ex("a\\ b", "a b", "escaped space");
  ex("a\\", "a", "trailing escape dropped");
  ex("\"\\\"\"", "\"", "escaped quote inside double quotes");
  ex_err("'abc", "single-quote", "unterminated single quote");
  ex_err("\"abc", "double-quote", "unterminated double quote");
  ex_err("${FOO", "missing '}'", "unterminated brace");
  ex_err("${}", "bad substitution", "empty braces");
  ex_err("${:a}", "bad substitution", "colon first");
  ex_err("${FOO:=x}", "unsupported modifier (:=)", ":= unsupported");
  ex_err("${FOO^}", "unsupported modifier (^)", "unknown modifier");
  {
    cleanup_error pyoci_error_t *err = NULL;
    cleanup_free char *got = pyoci_expand_word("x'y", '\\', &env, &err);
    is_str(err ? err->msg : NULL,
           "failed to process \"x'y\": unexpected end of statement while looking for matching single-quote",
           "full error text");
  }

  /* backtick escape */
  {
    cleanup_error pyoci_error_t *err = NULL;
    cleanup_free char *a = pyoci_expand_word("`$FOO C:\\dir", '`', &env, &err);
    is_str(a, "$FOO C:\\dir", "escape=` escapes $, backslash is literal");
  }

  /* word splitting (EXPOSE, heredoc detection) */
  words("a b  c", "a|b|c", 3, "plain split");
  words("$SPACED", "a|b|c", 3, "variables are split");
  words("\"$SPACED\"", "a b  c", 1, "quoted variable is one word");
  words("'x y' z", "x y|z", 2, "quoted words");
  words("a\\ b c", "a b|c", 2, "escaped space joins");
  words("\"\" x", "x", 1, "empty quoted word is dropped (as BuildKit)");
  words("", "", 0, "empty input has no words");

  /* raw options used by the heredoc scanner */
  {
    pyoci_lex_opts_t o = {.escape = '\\', .raw_quotes = true, .skip_unset = true};
    cleanup_error pyoci_error_t *err = NULL;
    char *res = NULL;
    ok(pyoci_lex("<<\"EOF\" $NOPE ${NOPE:-x}", &o, &env, &res, NULL, NULL, &err) == 0, "raw lex");
    is_str(res, "<<\"EOF\" $NOPE ${NOPE:-x}", "raw quotes kept, unset kept as written");
    free(res);
  }
  {
    cleanup_error pyoci_error_t *err = NULL;
    cleanup_free char *h = pyoci_expand_heredoc("echo \"$FOO\" '$FOO' \\$FOO\n", &env, &err);
    is_str(h, "echo \"bar\" 'bar' $FOO\n", "heredoc body: quotes are plain characters");
  }

  /* size limit: doubling a value does not run away */
  {
    pyoci_env_t big = PYOCI_ENV_INIT;
    char *v = malloc(600000);
    memset(v, 'x', 599999);
    v[599999] = 0;
    pyoci_env_set(&big, "B", v);
    free(v);
    cleanup_error pyoci_error_t *err = NULL;
    cleanup_free char *r = pyoci_expand_word("$B$B", '\\', &big, &err);
    ok(r == NULL && err && strstr(err->msg, "exceeds"), "expansion size is bounded");
    pyoci_env_release(&big);
  }
  pyoci_env_release(&env);
  return done_testing();
}
