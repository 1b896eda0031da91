/* Internal to lib/secret: the compiled rules (see engine.c). */
#ifndef PYOCI_SECRET_ENGINE_H
#define PYOCI_SECRET_ENGINE_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>

#include "scan.h"

enum { SECRET_MAX_RULES = 64, SECRET_AC_MAX_STATES = 1024 };

struct secret_engine {
  const pyoci_secret_rule_t *rules;
  size_t n_rules;
  pcre2_code *code[SECRET_MAX_RULES];
  int secret_group[SECRET_MAX_RULES]; /* 0 = mask the whole match */
  pcre2_match_context *mcontext;
  pcre2_match_data *mdata;
  /* Aho-Corasick DFA over the keywords: state x byte -> state, and the set
   * of rules (bit i = rule i) whose keywords end in each state. */
  uint16_t delta[SECRET_AC_MAX_STATES][256];
  uint16_t fail[SECRET_AC_MAX_STATES];
  uint64_t out[SECRET_AC_MAX_STATES];
  int n_states;
  uint64_t all_rules;
};

/* The engine, built on first call; NULL with err set if a rule is broken. */
struct secret_engine *pyoci_secret_engine_get(pyoci_error_t **err);
/* Bit i set when a keyword of rule i occurs in buf (ASCII case-insensitive). */
uint64_t pyoci_secret_engine_prefilter(const struct secret_engine *e, const unsigned char *buf, size_t len);

#endif
