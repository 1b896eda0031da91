# pyoci — plain Makefile + pkg-config (module map: docs/ARCHITECTURE.md).
#   make                 build $(O)/pyoci
#   make check           install deps if missing, build, run every test (prove)
#   make demo            install deps if missing, build, run the flask example
#   make SANITIZE=address,undefined check
#   make fuzz            build libFuzzer harnesses (clang); make fuzz-run FUZZ_TIME=300
# Sanitizer builds go to their own directory: objects built with other
# flags must never be mixed into them.
ifdef SANITIZE
O ?= build-san
endif
O ?= build
CC ?= cc
# LAZY_PKGS are compiled against but not linked: lib/util/lazylib.h opens
# them on first use (their dependencies cost every command ~14 ms at start).
LAZY_PKGS := libcurl libarchive
LINK_PKGS := libcrypto zlib libdeflate libisal libzstd jansson sqlite3 libpcre2-8 yaml-0.1
PKGS := $(LAZY_PKGS) $(LINK_PKGS)
# Read when make parses this file.  `check` and `demo` install the -dev
# packages first and then build in a sub-make, which parses it again: on a
# fresh machine these would otherwise be empty and the link would fail.
PKG_OK := $(shell pkg-config --exists $(PKGS) 2>/dev/null && echo yes)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(LINK_PKGS) 2>/dev/null) -lpthread -lm
# Unit tests make archives with libarchive's writer themselves: linked for
# them (the library's own calls still go through lazylib).
TEST_LIBS := $(PKG_LIBS) $(shell pkg-config --libs $(LAZY_PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2 -Wformat-truncation=1 \
        -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition -Wpointer-arith \
        -Wvla -Wundef -Wnull-dereference -Wimplicit-fallthrough
OPT ?= -O2 -g
ifdef SANITIZE
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
SAN_LDFLAGS := -fsanitize=$(SANITIZE)
endif
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) -fstack-protector-strong \
              -D_FORTIFY_SOURCE=2 -I. $(PKG_CFLAGS) $(OPT) $(CFLAGS)
ALL_LDFLAGS := $(SAN_LDFLAGS) $(LDFLAGS)

LIB_SRCS := $(sort $(wildcard lib/*/*.c))
CLI_SRCS := $(sort $(wildcard cli/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))

LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(O)/%.o)
UNIT_BINS := $(UNIT_SRCS:%.c=$(O)/%)
FUZZ_BINS := $(FUZZ_SRCS:%.c=$(O)/%)

all: $(O)/pyoci $(UNIT_BINS)

# Quiet by default; `make V=1` shows the commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

$(O)/%.o: %.c | pkgcheck
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(O)/libpyoci.a: $(LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(O)/pyoci: $(CLI_OBJS) $(O)/libpyoci.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) $(O)/libpyoci.a $(PKG_LIBS)

$(O)/tests/unit/%: $(O)/tests/unit/%.o $(O)/libpyoci.a
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(O)/libpyoci.a $(TEST_LIBS)

# Fuzz harnesses: clang + libFuzzer, the library compiled once with
# ASan/UBSan and fuzzer instrumentation, each harness linked against it.
FUZZ_CC ?= clang
FUZZ_FLAGS := -std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I. $(PKG_CFLAGS) -g -O1 \
              -fsanitize=address,undefined -DPYOCI_FUZZ
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(O)/fuzzobj/%.o)
$(O)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
$(O)/libpyoci-fuzz.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^
$(O)/tests/fuzz/%: tests/fuzz/%.c $(O)/libpyoci-fuzz.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(O)/libpyoci-fuzz.a $(PKG_LIBS)

fuzz: $(FUZZ_BINS)

FUZZ_TIME ?= 60
fuzz-run: fuzz
	@for f in $(FUZZ_BINS); do n=$$(basename $$f); mkdir -p $(O)/fuzz-corpus/$$n; \
	  echo "== $$n ($(FUZZ_TIME)s)"; \
	  $$f -max_total_time=$(FUZZ_TIME) -max_len=1048576 $(O)/fuzz-corpus/$$n tests/fuzz/corpus/$$n \
	    >$(O)/fuzz-corpus/$$n.log 2>&1; rc=$$?; tail -3 $(O)/fuzz-corpus/$$n.log; \
	  [ $$rc = 0 ] || { echo "fuzz-run: $$n failed (exit $$rc), log: $(O)/fuzz-corpus/$$n.log" >&2; exit 1; }; done

# Fails early, naming what is missing, instead of a wall of link errors.
pkgcheck:
ifneq ($(PKG_OK),yes)
	@echo "pyoci: missing build libraries (run 'make deps' or scripts/deps.sh as root):" >&2
	@pkg-config --print-errors --exists $(PKGS) 2>&1 | sed 's/^/  /' >&2; exit 1
endif

deps:
	@scripts/deps.sh --if-missing

# TESTS=... runs only those tests (paths, as tests/run.sh takes them).
check: deps
	@$(MAKE) --no-print-directory all
	@tests/run.sh $(O) $(TESTS)

demo: deps
	@$(MAKE) --no-print-directory $(O)/pyoci
	@examples/flask-hello/demo.sh $(O)/pyoci

bench: $(O)/pyoci
	@for b in bench/*.sh; do $$b $(O)/pyoci || exit 1; done

clean:
	rm -rf $(O)

.PHONY: all check demo deps pkgcheck fuzz fuzz-run bench clean
.SECONDARY:

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(UNIT_BINS:=.d) $(FUZZ_LIB_OBJS:.o=.d)
