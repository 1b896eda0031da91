/* The compiled form of the rules table, built once on first use: each rule's
 * PCRE2 code (JIT-compiled when the platform allows) and one Aho-Corasick
 * automaton over every rule's keywords, so a single case-folded pass over a
 * file says which rules can possibly match. */
#include "engine.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/log.h"

static struct secret_engine engine;
static int engine_state; /* 0 = not built, 1 = ready, -1 = failed */
static char engine_error[256];

/* ---- Aho-Corasick ---- */

static int ac_add_state(struct secret_engine *e)
{
  if (e->n_states >= SECRET_AC_MAX_STATES)
    return -1;
  int s = e->n_states++;
  memset(e->delta[s], 0, sizeof(e->delta[s]));
  e->out[s] = 0;
  e->fail[s] = 0;
  return s;
}

static int ac_add_keyword(struct secret_engine *e, const char *kw, unsigned rule)
{
  int s = 0;
  for (const unsigned char *p = (const unsigned char *)kw; *p; p++) {
    unsigned char c = (unsigned char)tolower(*p);
    if (e->delta[s][c] == 0) {
      int n = ac_add_state(e);
      if (n < 0)
        return -1;
      e->delta[s][c] = (uint16_t)n;
    }
    s = e->delta[s][c];
  }
  e->out[s] |= UINT64_C(1) << rule;
  return 0;
}

/* Breadth-first: fail links, then complete the goto function into a DFA so
 * scanning is one table lookup per byte. */
static void ac_finish(struct secret_engine *e)
{
  static uint16_t queue[SECRET_AC_MAX_STATES];
  size_t head = 0, tail = 0;
  for (int c = 0; c < 256; c++) {
    uint16_t n = e->delta[0][c];
    if (n != 0) {
      e->fail[n] = 0;
      queue[tail++] = n;
    }
  }
  while (head < tail) {
    uint16_t s = queue[head++];
    e->out[s] |= e->out[e->fail[s]];
    for (int c = 0; c < 256; c++) {
      uint16_t n = e->delta[s][c];
      if (n != 0) {
        e->fail[n] = e->delta[e->fail[s]][c];
        queue[tail++] = n;
      } else {
        e->delta[s][c] = e->delta[e->fail[s]][c];
      }
    }
  }
}

uint64_t pyoci_secret_engine_prefilter(const struct secret_engine *e, const unsigned char *buf, size_t len)
{
  uint64_t found = 0;
  uint16_t s = 0;
  for (size_t i = 0; i < len; i++) {
    /* Keywords are lowercase ASCII: fold only A-Z (tolower() is locale-bound). */
    unsigned char c = buf[i];
    if (c >= 'A' && c <= 'Z')
      c = (unsigned char)(c + ('a' - 'A'));
    s = e->delta[s][c];
    found |= e->out[s];
    if (found == e->all_rules)
      break;
  }
  return found;
}

/* ---- building ---- */

static int compile_rule(struct secret_engine *e, size_t i)
{
  const pyoci_secret_rule_t *r = &e->rules[i];
  int code;
  PCRE2_SIZE off;
  e->code[i] = pcre2_compile((PCRE2_SPTR)r->regex, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
  if (e->code[i] == NULL) {
    PCRE2_UCHAR msg[160];
    pcre2_get_error_message(code, msg, sizeof(msg));
    snprintf(engine_error, sizeof(engine_error), "secret rule '%s': bad regex at offset %zu: %s", r->id,
             (size_t)off, (const char *)msg);
    return -1;
  }
  /* JIT is an optimisation: without it (no executable memory) the
   * interpreter gives the same results. */
  if (pcre2_jit_compile(e->code[i], PCRE2_JIT_COMPLETE) != 0)
    pyoci_log(PYOCI_LOG_DEBUG, "secret rule '%s': no JIT, using the interpreter", r->id);
  int n = pcre2_substring_number_from_name(e->code[i], (PCRE2_SPTR) "secret");
  e->secret_group[i] = n > 0 ? n : 0;
  return 0;
}

static int engine_build(struct secret_engine *e)
{
  e->rules = pyoci_secret_rules(&e->n_rules);
  if (e->n_rules > SECRET_MAX_RULES) {
    snprintf(engine_error, sizeof(engine_error), "%zu secret rules: at most %d are supported", e->n_rules,
             SECRET_MAX_RULES);
    return -1;
  }
  e->n_states = 0;
  ac_add_state(e); /* root */
  for (size_t i = 0; i < e->n_rules; i++) {
    if (compile_rule(e, i) < 0)
      return -1;
    e->all_rules |= UINT64_C(1) << i;
    for (size_t k = 0; k < PYOCI_SECRET_MAX_KEYWORDS && e->rules[i].keywords[k]; k++)
      if (ac_add_keyword(e, e->rules[i].keywords[k], (unsigned)i) < 0) {
        snprintf(engine_error, sizeof(engine_error), "secret rule '%s': keyword table full", e->rules[i].id);
        return -1;
      }
  }
  ac_finish(e);
  e->mcontext = pcre2_match_context_create(NULL);
  e->mdata = pcre2_match_data_create(16, NULL);
  if (e->mcontext == NULL || e->mdata == NULL) {
    snprintf(engine_error, sizeof(engine_error), "secret scanner: out of memory");
    return -1;
  }
  /* Every rule is bounded, but a limit keeps a pathological file from
   * costing more than a few milliseconds per rule. */
  pcre2_set_match_limit(e->mcontext, 2000000);
  pcre2_set_depth_limit(e->mcontext, 10000);
  return 0;
}

struct secret_engine *pyoci_secret_engine_get(pyoci_error_t **err)
{
  if (engine_state == 0)
    engine_state = engine_build(&engine) == 0 ? 1 : -1;
  if (engine_state < 0) {
    pyoci_error_set(err, 0, "%s", engine_error);
    return NULL;
  }
  return &engine;
}
