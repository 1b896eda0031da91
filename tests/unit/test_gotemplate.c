/* Go text/template subset: each expected string is what Go's text/template
 * (with docker's function map) prints for the same template and data. */
#include <stdlib.h>
#include <string.h>

#include "lib/util/gojson.h"
#include "lib/util/gotemplate.h"
#include "lib/util/json.h"
#include "tap.h"

static json_t *data, *kinds;

/* Run tmpl over the shared test data; returns output or "ERR: message". */
static char *run_flags(const char *tmpl, unsigned flags)
{
  pyoci_error_t *err = NULL;
  pyoci_gotemplate_t *t = NULL;
  strbuf_t sb = STRBUF_INIT;
  if (pyoci_gotemplate_parse(tmpl, flags, &t, &err) < 0 ||
      pyoci_gotemplate_execute(t, data, kinds, &sb, &err) < 0) {
    strbuf_reset(&sb);
    strbuf_addf(&sb, "ERR: %s", err->msg);
    pyoci_error_free(err);
  }
  pyoci_gotemplate_free(t);
  return strbuf_detach(&sb);
}
static char *run(const char *tmpl)
{
  return run_flags(tmpl, 0);
}

/* A one-line test name: newlines in a template would break TAP. */
static const char *oneline(const char *s)
{
  static char buf[256];
  size_t n = 0;
  for (; *s && n < sizeof(buf) - 3; s++) {
    if (*s == '\n') {
      buf[n++] = '\\';
      buf[n++] = 'n';
    } else {
      buf[n++] = *s;
    }
  }
  buf[n] = '\0';
  return buf;
}

#define T(tmpl, want)                                                                                       \
  do {                                                                                                     \
    char *got_ = run(tmpl);                                                                                \
    is_str(got_, want, "%s", oneline(tmpl));                                                               \
    free(got_);                                                                                            \
  } while (0)

#define T_ERR(tmpl, prefix)                                                                                 \
  do {                                                                                                     \
    char *got_ = run(tmpl);                                                                                \
    ok(strncmp(got_, prefix, strlen(prefix)) == 0, "error for %s", oneline(tmpl));                                  \
    if (strncmp(got_, prefix, strlen(prefix)) != 0)                                                        \
      printf("#   got:  '%s'\n#   want prefix: '%s'\n", got_, prefix);                                     \
    free(got_);                                                                                            \
  } while (0)

static void setup(void)
{
  const char *doc = "{\"Id\":\"sha256:abc\",\"Size\":172344679,\"Ratio\":0.85,\"Big\":1000000.0,"
                    "\"Tiny\":0.00001,\"RepoTags\":[\"app:1\",\"app:latest\"],\"Empty\":[],"
                    "\"Config\":{\"Cmd\":[\"python\",\"app.py\"],\"Env\":[\"A=1\",\"B=<x>&y\"],"
                    "\"Entrypoint\":null,\"Labels\":{\"b\":\"2\",\"a\":\"1\"},\"User\":\"\","
                    "\"Volumes\":null,\"Healthcheck\":null},"
                    "\"RootFS\":{\"Type\":\"layers\",\"Layers\":[\"sha256:l1\",\"sha256:l2\"]},"
                    "\"Flag\":true,\"Nothing\":null,\"Mixed\":[1,\"two\",null,2.5]}";
  pyoci_error_t *err = NULL;
  data = pyoci_json_parse(doc, strlen(doc), "test", &err);
  const char *k = "{\"Config\":{\"Entrypoint\":\"[]string\",\"Volumes\":\"map[string]struct{}\","
                  "\"Labels\":\"map[string]string\",\"Healthcheck\":\"*HealthConfig\",\"OnBuild\":\"[]string\","
                  "\"Shell\":\"[]string\",\"StopSignal\":\"string\"},\"Variant\":\"string\"}";
  kinds = pyoci_json_parse(k, strlen(k), "kinds", &err);
  if (data == NULL || kinds == NULL)
    abort();
}

static void test_basics(void)
{
  T("hello", "hello");
  T("", "");
  T("{{.Id}}", "sha256:abc");
  T("{{.Size}}", "172344679");
  T("{{.Size}} {{len .RootFS.Layers}}", "172344679 2");
  T("{{.Config.Cmd}}", "[python app.py]");
  T("{{.RepoTags}}", "[app:1 app:latest]");
  T("{{.Config.Labels}}", "map[a:1 b:2]");
  T("{{.Missing}}", "<no value>");
  T("{{.Missing.Deeper}}", "<no value>");
  T("{{.Nothing}}", "<no value>");
  T("{{.Mixed}}", "[1 two <nil> 2.5]");
  T("{{.Ratio}}", "0.85");
  T("{{.Big}}", "1e+06");
  T("{{.Tiny}}", "1e-05");
  T("{{.Flag}}", "true");
  T("{{.RootFS}}", "map[Layers:[sha256:l1 sha256:l2] Type:layers]");
  T("{{$}}", "map[Big:1e+06 Config:map[Cmd:[python app.py] Entrypoint:<nil> Env:[A=1 B=<x>&y] Healthcheck:<nil> "
             "Labels:map[a:1 b:2] User: Volumes:<nil>] Empty:[] Flag:true Id:sha256:abc Mixed:[1 two <nil> 2.5] "
             "Nothing:<nil> Ratio:0.85 RepoTags:[app:1 app:latest] RootFS:map[Layers:[sha256:l1 sha256:l2] "
             "Type:layers] Size:172344679 Tiny:1e-05]");
  T("{{\"quoted \\\"x\\\"\\n\"}}", "quoted \"x\"\n");
  T("{{`raw\\n`}}", "raw\\n");
  T("{{42}} {{-7}} {{1.5}} {{true}}", "42 -7 1.5 true");
}

static void test_kinds(void)
{
  /* Go's typed nils: a nil []string prints [], a nil map map[], json null */
  T("{{.Config.Entrypoint}}", "[]");
  T("{{.Config.Volumes}}", "map[]");
  T("{{json .Config.Entrypoint}}", "null");
  T("{{len .Config.Entrypoint}}", "0");
  T("{{.Config.OnBuild}}", "[]");          /* absent (omitempty) but typed */
  T("{{.Variant}}", "");                   /* missing string field is "" */
  T("{{.Config.Healthcheck}}", "<nil>");   /* nil pointer */
  T("{{index .Config.Labels \"zz\"}}", ""); /* map[string]string zero */
  T("{{.Config.Labels.zz}}", "<no value>"); /* missing map key */
  T("{{index .Config.Labels \"a\"}}", "1");
}

static void test_functions(void)
{
  T("{{json .Config.Cmd}}", "[\"python\",\"app.py\"]");
  T("{{json .Config.Labels}}", "{\"b\":\"2\",\"a\":\"1\"}");
  T("{{json .Config.Env}}", "[\"A=1\",\"B=<x>&y\"]");
  T("{{json .Size}}", "172344679");
  T("{{json .Missing}}", "null");
  T("{{.Config.Cmd | json}}", "[\"python\",\"app.py\"]");
  T("{{index .RootFS.Layers 1}}", "sha256:l2");
  T("{{index .Config.Labels \"b\"}}", "2");
  T("{{index . \"RootFS\" \"Type\"}}", "layers");
  T("{{join .RepoTags \", \"}}", "app:1, app:latest");
  T("{{join (split \"a:b:c\" \":\") \"-\"}}", "a-b-c");
  T("{{upper .RootFS.Type}}|{{lower \"ABC\"}}|{{title \"hello world\"}}", "LAYERS|abc|Hello World");
  T("{{len .Id}} {{len .Config.Labels}} {{len .Empty}}", "10 2 0");
  T("{{println .Size}}", "172344679\n");
  T("{{println \"a\" 1 2 \"b\"}}", "a 1 2 b\n");
  T("{{print \"a\" 1 2 \"b\"}}", "a1 2b");
  T("{{printf \"%s=%d (%5.2f)\" .RootFS.Type .Size .Ratio}}", "layers=172344679 ( 0.85)");
  T("{{pad .RootFS.Type 1 2}}|{{truncate .Id 6}}", " layers  |sha256");
  T("{{if eq .RootFS.Type \"layers\"}}yes{{end}}", "yes");
  T("{{if and .Flag (gt .Size 100)}}big{{else}}small{{end}}", "big");
  T("{{if or .Missing .Nothing}}t{{else}}f{{end}}", "f");
  T("{{not .Flag}} {{ne 1 2}} {{lt \"a\" \"b\"}} {{ge 2 2}} {{le 3 2}}", "false true true true false");
  T("{{eq .Size 1 2 172344679}}", "true");
}

static void test_json_escaping(void)
{
  char *got = run_flags("{{json .Config.Env}}", PYOCI_GT_JSON_ESCAPE_HTML);
  is_str(got, "[\"A=1\",\"B=\\u003cx\\u003e\\u0026y\"]", "json.Marshal escaping of <>& with the flag");
  free(got);
  const char *raw = "tab\there\x01 \xe2\x80\xa8 \xff \"q\" \\";
  json_t *s = json_stringn_nocheck(raw, strlen(raw));
  strbuf_t sb = STRBUF_INIT;
  pyoci_go_json_encode(&sb, s, NULL, false);
  is_str(strbuf_str(&sb), "\"tab\\there\\u0001 \\u2028 \\ufffd \\\"q\\\" \\\\\"", "Go string escapes");
  strbuf_release(&sb);
  json_decref(s);
  json_t *o = json_pack("{s:[], s:{}, s:[i,s], s:f}", "a", "b", "c", 1, "x", "d", 1.5);
  pyoci_go_json_encode(&sb, o, "    ", false);
  is_str(strbuf_str(&sb), "{\n    \"a\": [],\n    \"b\": {},\n    \"c\": [\n        1,\n        \"x\"\n    ],\n"
                          "    \"d\": 1.5\n}",
         "json.Indent layout with 4 spaces");
  strbuf_release(&sb);
  json_decref(o);
  pyoci_go_json_float(&sb, 1e21);
  strbuf_addch(&sb, ' ');
  pyoci_go_json_float(&sb, 1e-7);
  strbuf_addch(&sb, ' ');
  pyoci_go_json_float(&sb, 123456789.0);
  is_str(strbuf_str(&sb), "1e+21 1e-7 123456789", "encoding/json float forms");
  strbuf_release(&sb);
  pyoci_go_format_float(&sb, 0.1 + 0.2);
  strbuf_addch(&sb, ' ');
  pyoci_go_format_float(&sb, 123456.0);
  strbuf_addch(&sb, ' ');
  pyoci_go_format_float(&sb, 1234567.0);
  strbuf_addch(&sb, ' ');
  pyoci_go_format_float(&sb, 0.0001);
  is_str(strbuf_str(&sb), "0.30000000000000004 123456 1.234567e+06 0.0001", "fmt %%v float forms");
  strbuf_release(&sb);
}

static void test_control(void)
{
  T("{{range .RepoTags}}[{{.}}]{{end}}", "[app:1][app:latest]");
  T("{{range $i, $t := .RepoTags}}{{$i}}={{$t}} {{end}}", "0=app:1 1=app:latest ");
  T("{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}},{{end}}", "a:1,b:2,");
  T("{{range .Empty}}x{{else}}none{{end}}", "none");
  T("{{range .Config.Entrypoint}}x{{else}}nil{{end}}", "nil");
  T("{{range .Missing}}x{{else}}missing{{end}}", "missing");
  T("{{if .Config.User}}u{{else if .Flag}}flag{{else}}none{{end}}", "flag");
  T("{{if .Empty}}a{{else}}b{{end}}", "b");
  T("{{with .RootFS}}{{.Type}}{{end}}", "layers");
  T("{{with .Missing}}x{{else}}y{{end}}", "y");
  T("{{$n := len .RepoTags}}{{$n}} {{$n = 5}}{{$n}}", "2 5");
  T("{{range .RepoTags}}{{$.Id}} {{end}}", "sha256:abc sha256:abc ");
  T("a  {{- .Size -}}  b", "a172344679b");
  T("a \n{{- /* comment */ -}}\n b", "ab");
  T("{{/* only a comment */}}x", "x");
  T("{{(index .RootFS.Layers 0) | upper}}", "SHA256:L1");
  T("{{range .RootFS.Layers}}{{println .}}{{end}}", "sha256:l1\nsha256:l2\n");
}

static void test_errors(void)
{
  T_ERR("{{.Id", "ERR: template: :1: unclosed action");
  T_ERR("{{if .Flag}}x", "ERR: template: :1: unexpected EOF");
  T_ERR("x{{end}}", "ERR: template: :1: unexpected {{end}}");
  T_ERR("{{nosuch .Id}}", "ERR: template: :1: function \"nosuch\" not defined");
  T_ERR("{{$x}}", "ERR: template: :1: undefined variable \"$x\"");
  T_ERR("{{}}", "ERR: template: :1: missing value for command");
  T_ERR("{{if}}{{end}}", "ERR: template: :1: missing value for if");
  T_ERR("line1\n{{.Id !}}", "ERR: template: :2: bad character U+0021 '!'");
  T_ERR("{{\"open}}", "ERR: template: :1: unterminated quoted string");
  T_ERR("{{index .RootFS.Layers 5}}",
        "ERR: template: :1:3: executing \"\" at <index .RootFS.Layers 5>: error calling index: index out of range: 5");
  T_ERR("{{len .Size}}", "ERR: template: :1:3: executing \"\" at <len .Size>: error calling len: len of type int");
  T_ERR("{{.Id.Foo}}", "ERR: template: :1:3: executing \"\" at <.Id.Foo>: can't evaluate field Foo in type string");
  T_ERR("{{.Id | .Size}}", "ERR: template: :1:9: executing \"\" at <.Size>: can't give argument to non-function");
  T_ERR("{{range .Size}}{{end}}", "ERR: template: :1:9: executing \"\" at <.Size>: range can't iterate over");
  T_ERR("{{upper .Size}}", "ERR: template: :1:3: executing \"\" at <upper .Size>: wrong type for value; expected string");
  T_ERR("{{template \"x\"}}", "ERR: template: :1: {{template}} is not supported");
  T_ERR("{{len}}", "ERR: template: :1:3: executing \"\" at <len>: wrong number of args for len");
}

int main(void)
{
  setup();
  test_basics();
  test_kinds();
  test_functions();
  test_json_escaping();
  test_control();
  test_errors();
  json_decref(data);
  json_decref(kinds);
  return done_testing();
}
