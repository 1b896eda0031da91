/* Variable expansion as the Dockerfile builder does it (BuildKit's shell
 * lexer): $v ${v} ${v:-w} ${v-w} ${v:+w} ${v+w} ${v:?msg} ${v?msg}
 * ${v#pat} ${v##pat} ${v%pat} ${v%%pat} ${v/pat/repl} ${v//pat/repl},
 * single quotes (literal), double quotes (expand inside), and the escape
 * character of the Dockerfile ('\\' or '`').
 *
 * pyoci_env_t is the small ordered key/value set the builder keeps per stage
 * (ARG and ENV values); expansion reads it, unknown names expand to "".
 *
 * Which instructions are expanded, and against which environment, is the
 * planner's business (plan.h); this module only does the lexing. */
#ifndef PYOCI_DOCKERFILE_EXPAND_H
#define PYOCI_DOCKERFILE_EXPAND_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/util/alloc.h"
#include "lib/util/error.h"

/* Largest result one expansion may produce: ENV a=$a$a repeated would grow
 * exponentially otherwise. */
#define PYOCI_EXPAND_MAX (1u << 20)

/* An ordered set of "KEY=VALUE" strings with unique keys (case-sensitive,
 * as on Linux).  Setting an existing key replaces it in place. */
typedef struct {
  char **kv;
  size_t n, cap;
  /* key -> position in kv, kept once n is past a few entries: a Dockerfile
   * with N ENVs sets N variables, and a scan per lookup made that N^2 */
  pyoci_strmap_t index;
} pyoci_env_t;

#define PYOCI_ENV_INIT {NULL, 0, 0, PYOCI_STRMAP_INIT}

void pyoci_env_set(pyoci_env_t *e, const char *key, const char *value);
/* Set from one "KEY=VALUE" string ("KEY" alone sets an empty value). */
void pyoci_env_set_kv(pyoci_env_t *e, const char *kv);
/* The value, or NULL when unset. */
const char *pyoci_env_get(const pyoci_env_t *e, const char *key);
void pyoci_env_unset(pyoci_env_t *e, const char *key);
/* dst becomes a copy of src (dst's old contents are released). */
void pyoci_env_copy(pyoci_env_t *dst, const pyoci_env_t *src);
/* Add every entry of src to dst, overriding dst's values. */
void pyoci_env_merge(pyoci_env_t *dst, const pyoci_env_t *src);
void pyoci_env_release(pyoci_env_t *e);
#define cleanup_env __attribute__((cleanup(pyoci_env_release)))

/* Lexer knobs, matching BuildKit's Lex fields. */
typedef struct {
  char escape;             /* '\\' (default) or '`' */
  bool raw_quotes;         /* keep quote characters in the output */
  bool raw_escapes;        /* keep escape characters in the output */
  bool skip_unset;         /* leave $name / ${name...} as written when name is unset */
  bool skip_process_quotes; /* quotes are ordinary characters (heredoc bodies) */
} pyoci_lex_opts_t;

/* The general entry point: expand `word` against env (may be NULL).  On
 * success *result (if result != NULL) is the expanded string with quotes
 * removed, and *words (if words != NULL) the same split into words at
 * unquoted whitespace (a NULL-terminated vector, *n_words entries). */
int pyoci_lex(const char *word, const pyoci_lex_opts_t *opts, const pyoci_env_t *env, char **result,
              char ***words, size_t *n_words, pyoci_error_t **err);

/* ProcessWord: one string, spaces kept.  Caller frees; NULL on error. */
char *pyoci_expand_word(const char *word, char escape, const pyoci_env_t *env, pyoci_error_t **err);
/* ProcessWords: expanded and split into words (EXPOSE and other word lists). */
int pyoci_expand_words(const char *word, char escape, const pyoci_env_t *env, char ***words, size_t *n,
                       pyoci_error_t **err);
/* Heredoc bodies of COPY/ADD <<EOF: variables expand, quotes stay. */
char *pyoci_expand_heredoc(const char *body, const pyoci_env_t *env, pyoci_error_t **err);

#endif
